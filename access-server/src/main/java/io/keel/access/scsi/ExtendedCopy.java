package io.keel.access.scsi;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy manager of one logical unit: EXTENDED COPY (LID1, 83h/00h) with identification
 * target descriptors (E4h, an NAA designator of a logical unit of this target or of another
 * target the initiator could log in to) and block to block segment descriptors (02h), and
 * RECEIVE COPY RESULTS (84h) COPY STATUS and OPERATING PARAMETERS. This is what VMware's VAAI
 * XCOPY (clone, Storage vMotion) sends.
 * Every descriptor and range is checked before any block is copied; blocks are read from the
 * source unit and written to the destination unit in 1 MiB pieces.
 */
final class ExtendedCopy {

    private static final Logger LOG = LoggerFactory.getLogger(ExtendedCopy.class);

    static final int EXTENDED_COPY = 0x83;
    static final int RECEIVE_COPY_RESULTS = 0x84;
    static final int COPY_STATUS = 0x00;
    static final int OPERATING_PARAMETERS = 0x03;

    static final int MAX_TARGET_DESCRIPTORS = 2;
    static final int MAX_SEGMENT_DESCRIPTORS = 8;
    private static final int TARGET_DESCRIPTOR = 32;
    private static final int BLOCK_TO_BLOCK = 0x02;
    private static final int BLOCK_TO_BLOCK_LENGTH = 28;
    private static final int IDENTIFICATION = 0xe4;
    /** Room for the most descriptors of each kind accepted: more is a PARAMETER LIST LENGTH ERROR. */
    static final int MAX_DESCRIPTOR_LIST_LENGTH =
            MAX_TARGET_DESCRIPTORS * TARGET_DESCRIPTOR + MAX_SEGMENT_DESCRIPTORS * BLOCK_TO_BLOCK_LENGTH;
    /** The most bytes one segment descriptor may copy (VMware sends at most its MaxHWTransferSize, 4–16 MiB). */
    static final int MAX_SEGMENT_BYTES = 32 << 20;
    private static final int CHUNK_BLOCKS = 2048;
    /** Bytes a copy reads into memory at once: one piece. */
    static final long PIECE_BYTES = CHUNK_BLOCKS * 512L;
    /** Results of completed copies held for RECEIVE COPY RESULTS (LIST ID USAGE 00b), oldest dropped first. */
    private static final int HELD_RESULTS = 64;

    private final LogicalUnit self;
    private final BiFunction<ItNexus, byte[], LogicalUnit> unitByIdentifier;
    private final int maxConcurrentCopies;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<HeldKey, Result> held = new LinkedHashMap<>();

    private record HeldKey(ItNexus nexus, int listId) {
    }

    private record Result(int segments, long bytes) {
    }

    /** One parsed identification target descriptor: its unit, or null when NUL or not one of ours. */
    private record Target(LogicalUnit unit) {
    }

    private record Segment(int index, Target source, Target destination, long sourceLba, long destinationLba,
            int blocks) {
    }

    ExtendedCopy(final LogicalUnit self, final BiFunction<ItNexus, byte[], LogicalUnit> unitByIdentifier,
            final int maxConcurrentCopies) {
        this.self = self;
        this.unitByIdentifier = unitByIdentifier;
        this.maxConcurrentCopies = maxConcurrentCopies;
    }

    private static SenseException copyAborted(final int asc, final int ascq) {
        return SenseException.of(Sense.COPY_ABORTED, asc, ascq);
    }

    /** EXTENDED COPY (LID1). */
    ScsiResult extendedCopy(final ScsiCommand c, final byte[] cdb) {
        long length = Bytes.u32(cdb, 10);
        if (length == 0) {
            return ScsiResult.good();
        }
        if (length < 16) {
            throw SenseException.parameterListLength();
        }
        if (length > 16 + MAX_DESCRIPTOR_LIST_LENGTH + 4096) {
            throw SenseException.parameterListLength();
        }
        byte[] p = BlockIo.bytes(BlockIo.dataOut(c, length));
        int listId = Bytes.u8(p, 0);
        int usage = (p[1] >>> 3) & 0x03;
        if (usage == 0x01) {
            throw SenseException.invalidParameter(1, 4);
        }
        int targetBytes = Bytes.u16(p, 2);
        long segmentBytes = Bytes.u32(p, 8);
        long inlineBytes = Bytes.u32(p, 12);
        if (Bytes.u16(p, 4) != 0 || p[6] != 0 || p[7] != 0) {
            throw SenseException.invalidParameter(4, -1);
        }
        if (targetBytes + segmentBytes > MAX_DESCRIPTOR_LIST_LENGTH) {
            throw SenseException.parameterListLength();
        }
        if (16 + targetBytes + segmentBytes + inlineBytes > p.length) {
            throw SenseException.parameterListLength();
        }
        if (inlineBytes != 0) {
            throw SenseException.invalidParameter(12, -1); // MAXIMUM INLINE DATA LENGTH is 0
        }
        List<Target> targets = targets(c.nexus(), p, 16, targetBytes);
        List<Segment> segments = segments(p, 16 + targetBytes, (int) segmentBytes, targets);
        long bytes = 0;
        for (Segment s : segments) {
            copy(c.nexus(), s);
            bytes += (long) s.blocks() * BlockIo.BLOCK;
        }
        if (usage == 0x00) {
            hold(new HeldKey(c.nexus(), listId), new Result(segments.size(), bytes));
        }
        return ScsiResult.good();
    }

    private List<Target> targets(final ItNexus nexus, final byte[] p, final int from, final int length) {
        List<Target> targets = new ArrayList<>();
        int at = from;
        while (at < from + length) {
            int type = Bytes.u8(p, at);
            if (type < 0xe0 || type > 0xe9) {
                throw SenseException.of(Sense.ILLEGAL_REQUEST, 0x26, 0x07); // UNSUPPORTED TARGET DESCRIPTOR TYPE CODE
            }
            if (targets.size() == MAX_TARGET_DESCRIPTORS) {
                throw SenseException.of(Sense.ILLEGAL_REQUEST, 0x26, 0x06); // TOO MANY TARGET DESCRIPTORS
            }
            if (at + TARGET_DESCRIPTOR > from + length) {
                throw SenseException.parameterListLength();
            }
            if (type != IDENTIFICATION) {
                throw SenseException.of(Sense.ILLEGAL_REQUEST, 0x26, 0x07);
            }
            targets.add(identification(nexus, p, at));
            at += TARGET_DESCRIPTOR;
        }
        return targets;
    }

    /**
     * An identification descriptor of a block device with 512-byte blocks. LU ID TYPE is obsolete
     * in SPC-4 and ignored (libiscsi checks that it is, for an SPC-4 device).
     */
    private Target identification(final ItNexus nexus, final byte[] p, final int at) {
        boolean nul = (p[at + 1] & 0x20) != 0;
        int deviceType = p[at + 1] & 0x1f;
        if (deviceType != 0) {
            throw SenseException.invalidParameter(at + 1, 4);
        }
        if (Bytes.u24(p, at + 29) != BlockIo.BLOCK) {
            throw SenseException.invalidParameter(at + 29, -1);
        }
        int codeSet = p[at + 4] & 0x0f;
        int association = (p[at + 5] >>> 4) & 0x03;
        int designatorType = p[at + 5] & 0x0f;
        int designatorLength = Bytes.u8(p, at + 7);
        if (nul || codeSet != 0x01 || association != 0 || designatorType != 0x03 || designatorLength != 16) {
            return new Target(null); // not a logical unit of this target: unreachable if a segment names it
        }
        return new Target(unitByIdentifier.apply(nexus, Arrays.copyOfRange(p, at + 8, at + 24)));
    }

    private List<Segment> segments(final byte[] p, final int from, final int length, final List<Target> targets) {
        List<Segment> segments = new ArrayList<>();
        int at = from;
        while (at < from + length) {
            if (at + 4 > from + length) {
                throw SenseException.parameterListLength();
            }
            int type = Bytes.u8(p, at);
            int descriptorLength = Bytes.u16(p, at + 2) + 4;
            if (type != BLOCK_TO_BLOCK) {
                throw SenseException.of(Sense.ILLEGAL_REQUEST, 0x26, 0x09); // UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE
            }
            if (segments.size() == MAX_SEGMENT_DESCRIPTORS) {
                throw SenseException.of(Sense.ILLEGAL_REQUEST, 0x26, 0x08); // TOO MANY SEGMENT DESCRIPTORS
            }
            if (descriptorLength != BLOCK_TO_BLOCK_LENGTH) {
                throw SenseException.invalidParameter(at + 2, -1);
            }
            if (at + BLOCK_TO_BLOCK_LENGTH > from + length) {
                throw SenseException.parameterListLength();
            }
            int blocks = Bytes.u16(p, at + 10);
            if ((long) blocks * BlockIo.BLOCK > MAX_SEGMENT_BYTES) {
                throw SenseException.invalidParameter(at + 10, -1);
            }
            Segment s = new Segment(segments.size(), target(targets, Bytes.u16(p, at + 4)),
                    target(targets, Bytes.u16(p, at + 6)), Bytes.u64(p, at + 12), Bytes.u64(p, at + 20), blocks);
            segments.add(s);
            at += BLOCK_TO_BLOCK_LENGTH;
        }
        for (Segment s : segments) {
            inRange(s.source().unit(), s.sourceLba(), s.blocks());
            inRange(s.destination().unit(), s.destinationLba(), s.blocks());
        }
        return segments;
    }

    /** The target a segment names: unknown indexes, NUL descriptors and other targets' units are unreachable. */
    private static Target target(final List<Target> targets, final int index) {
        if (index >= targets.size() || targets.get(index).unit() == null) {
            throw copyAborted(0x0d, 0x02); // COPY TARGET DEVICE NOT REACHABLE
        }
        return targets.get(index);
    }

    private static void inRange(final LogicalUnit unit, final long lba, final int blocks) {
        long capacity = unit.io().capacity();
        if (lba < 0 || lba > capacity || blocks > capacity - lba) {
            throw copyAborted(0x00, 0x00); // libiscsi expects COPY ABORTED with no more specific code
        }
    }

    private void copy(final ItNexus nexus, final Segment s) {
        LogicalUnit from = s.source().unit();
        LogicalUnit to = s.destination().unit();
        Sense protection = to == self ? self.writeProtection() : null;
        if (protection != null) {
            throw new SenseException(protection);
        }
        for (int done = 0; done < s.blocks(); done += CHUNK_BLOCKS) {
            // Units other than the one addressed get the checks their own READ or WRITE would get, before
            // every piece: a reservation preempted meanwhile (fencing this host) stops the copy there.
            if (from != self && from.refusesCopy(nexus, false) || to != self && to.refusesCopy(nexus, true)) {
                throw copyAborted(0x0d, 0x02);
            }
            if (from.retired() || to.retired()) {
                throw copyAborted(0x0d, 0x02); // a unit's LUN was unmapped or remapped meanwhile
            }
            int n = Math.min(CHUNK_BLOCKS, s.blocks() - done);
            try {
                ByteBuffer data = from.io().readBlocks(s.sourceLba() + done, n);
                to.io().writeBlocks(s.destinationLba() + done, data);
            } catch (SenseException e) {
                // The failure is a copy target's, not the addressed unit's: its sense (a MEDIUM ERROR's
                // LBA, out of space) would otherwise read as this unit's own (SPC-4 6.4.5).
                Sense cause = e.sense();
                LOG.warn("EXTENDED COPY from {}: segment {} stopped at block {} of {} -> {}: sense {}/{}/{}", nexus,
                        s.index(), done, from.volumeId(), to.volumeId(), Integer.toHexString(cause.key()),
                        Integer.toHexString(cause.asc()), Integer.toHexString(cause.ascq()));
                throw copyAborted(0x0d, 0x01); // THIRD PARTY DEVICE FAILURE
            }
        }
    }

    private void hold(final HeldKey key, final Result result) {
        lock.lock();
        try {
            held.remove(key);
            held.put(key, result);
            if (held.size() > HELD_RESULTS) {
                held.remove(held.keySet().iterator().next());
            }
        } finally {
            lock.unlock();
        }
    }

    /** RECEIVE COPY RESULTS: COPY STATUS of a held list identifier, or OPERATING PARAMETERS. */
    ScsiResult receiveCopyResults(final ScsiCommand c, final byte[] cdb) {
        int action = cdb[1] & 0x1f;
        if (action == OPERATING_PARAMETERS) {
            return ScsiResult.good(ByteBuffer.wrap(operatingParameters()));
        }
        Result r;
        lock.lock();
        try {
            r = held.get(new HeldKey(c.nexus(), Bytes.u8(cdb, 2)));
        } finally {
            lock.unlock();
        }
        if (r == null) {
            throw SenseException.invalidCdb(2, -1); // no copy with that list identifier
        }
        byte[] b = new byte[12];
        Bytes.put32(b, 0, b.length - 4L);
        b[4] = 0x01; // completed successfully (copies run to the end before EXTENDED COPY returns)
        Bytes.put16(b, 5, r.segments());
        b[7] = 0x01; // TRANSFER COUNT in KiB
        Bytes.put32(b, 8, Math.min(r.bytes() >>> 10, 0xffffffffL));
        return ScsiResult.good(ByteBuffer.wrap(b));
    }

    private byte[] operatingParameters() {
        int[] implemented = {BLOCK_TO_BLOCK, IDENTIFICATION};
        byte[] b = new byte[44 + implemented.length];
        Bytes.put32(b, 0, b.length - 4L);
        b[4] = 0x01; // SNLID: LIST ID USAGE 11b accepted
        Bytes.put16(b, 8, MAX_TARGET_DESCRIPTORS);
        Bytes.put16(b, 10, MAX_SEGMENT_DESCRIPTORS);
        Bytes.put32(b, 12, MAX_DESCRIPTOR_LIST_LENGTH);
        Bytes.put32(b, 16, MAX_SEGMENT_BYTES);
        Bytes.put16(b, 34, maxConcurrentCopies);
        b[36] = (byte) Math.min(255, maxConcurrentCopies);
        b[37] = 9; // DATA SEGMENT GRANULARITY: 2^9 = one block
        b[43] = (byte) implemented.length;
        for (int i = 0; i < implemented.length; i++) {
            b[44 + i] = (byte) implemented[i];
        }
        return b;
    }
}
