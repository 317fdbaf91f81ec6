package io.keel.access.scsi;

import io.keel.chunk.store.StoreFullException;
import io.keel.runtime.log.RateLimitedLog;
import io.keel.runtime.time.SystemClock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SBC-3 commands that move or check blocks of one logical unit: reads, writes, verifies,
 * WRITE SAME, UNMAP, COMPARE AND WRITE, GET LBA STATUS, capacity. It owns the mapping of CDB
 * ranges onto backend byte offsets and of backend failures onto medium-error sense.
 */
final class BlockIo {

    static final int BLOCK = 512;

    private static final Logger LOG = LoggerFactory.getLogger(BlockIo.class);
    /** A full store fails every write that needs a new block: a few lines a minute say so. */
    private static final RateLimitedLog NO_SPACE_LOG = new RateLimitedLog(LOG, SystemClock.INSTANCE, 5,
            Duration.ofMinutes(1));

    /** WRITE SAME writes its pattern in pieces of this many blocks (1 MiB). */
    private static final int CHUNK_BLOCKS = 2048;

    /** WRITE ATOMIC(16) writes at most this many blocks (1 MiB): one compare-and-write of the range. */
    private static final int MAX_ATOMIC_BLOCKS = 2048;

    /** A read-modify-write that lost this many races to other writes gives up. */
    private static final int ATOMIC_ATTEMPTS = 64;

    /** GET LBA STATUS looks at most this many blocks (1 GiB) past the starting LBA. */
    private static final long LBA_STATUS_WINDOW = 1L << 21;

    private final BlockBackend backend;
    private final TargetOptions options;

    BlockIo(final BlockBackend backend, final TargetOptions options) {
        this.backend = backend;
        this.options = options;
    }

    long capacity() {
        return backend.sizeBytes() / BLOCK;
    }

    long maxWriteSameBlocks() {
        return options.maxUnmapBlocks();
    }

    // ---- CDB fields shared by the READ/WRITE/VERIFY families (by CDB group) ----

    static long lba(final byte[] cdb) {
        return switch (Bytes.u8(cdb, 0) >>> 5) {
            case 0 -> ((cdb[1] & 0x1f) << 16) | Bytes.u16(cdb, 2);
            case 4 -> Bytes.u64(cdb, 2);
            default -> Bytes.u32(cdb, 2);
        };
    }

    static int lengthIndex(final byte[] cdb) {
        return switch (Bytes.u8(cdb, 0) >>> 5) {
            case 0 -> 4;
            case 4 -> 10;
            case 5 -> 6;
            default -> 7;
        };
    }

    static long length(final byte[] cdb) {
        int i = lengthIndex(cdb);
        return switch (i) {
            case 4 -> Bytes.u8(cdb, 4) == 0 ? 256 : Bytes.u8(cdb, 4);
            case 7 -> Bytes.u16(cdb, 7);
            default -> Bytes.u32(cdb, i);
        };
    }

    void checkRange(final long lba, final long blocks) {
        long cap = capacity();
        if (lba < 0 || blocks < 0 || lba > cap || blocks > cap - lba) {
            throw SenseException.lbaOutOfRange();
        }
    }

    /**
     * The TRANSFER LENGTH of a READ/WRITE/VERIFY-family CDB starting at {@code lba}, checked against
     * the capacity (LBA OUT OF RANGE) and the maximum transfer (INVALID FIELD at the length field).
     */
    private long checkedBlocks(final byte[] cdb, final long lba) {
        long blocks = length(cdb);
        checkRange(lba, blocks);
        if (blocks > options.maxTransferBlocks()) {
            throw SenseException.invalidCdb(lengthIndex(cdb), -1);
        }
        return blocks;
    }

    /** The first {@code needed} bytes of the command's data-out, or CHECK CONDITION when fewer arrived. */
    static ByteBuffer dataOut(final ScsiCommand c, final long needed) {
        ByteBuffer d = c.dataOut();
        int have = d == null ? 0 : d.remaining();
        if (needed > have) {
            throw SenseException.missingDataOut();
        }
        ByteBuffer s = d == null ? ByteBuffer.allocate(0) : d.duplicate();
        s.limit(s.position() + (int) needed);
        return s.slice();
    }

    /**
     * The blocks a WRITE or WRITE AND VERIFY stores. When the initiator's expected transfer
     * length cut the data-out short of what the CDB asks for, the command still runs (FCP-4 and
     * RFC 7143 residual rules: data beyond the expected length is neither requested nor
     * transferred, the transport reports the overflow): the bytes that arrived replace the start
     * of the range and the rest keeps what the medium holds.
     */
    private ByteBuffer writeData(final ScsiCommand c, final long lba, final long blocks) {
        long needed = blocks * BLOCK;
        ByteBuffer d = c.dataOut();
        int have = d == null ? 0 : d.remaining();
        if (have >= needed) {
            return dataOut(c, needed);
        }
        ByteBuffer merged = readBlocks(lba, blocks);
        if (have > 0) {
            merged.put(0, d, d.position(), have);
        }
        return merged;
    }

    /**
     * Data-out for commands whose data-out is not a stream of blocks (WRITE SAME, COMPARE AND
     * WRITE): the initiator must send exactly what the CDB implies, more is as wrong as less.
     */
    static ByteBuffer exactDataOut(final ScsiCommand c, final long needed) {
        if (c.expectedDataTransferLength() != needed) {
            throw SenseException.missingDataOut();
        }
        return dataOut(c, needed);
    }

    static byte[] bytes(final ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    /**
     * A failed read's sense, MEDIUM ERROR / UNRECOVERED READ ERROR: its INFORMATION is the first
     * unreadable LBA the read asked for when the backend says which, else the read's first LBA.
     */
    private SenseException readError(final long lba, final IOException e) {
        long failed = e instanceof UnreadableDataException u ? Math.max(lba, u.offset() / BLOCK) : lba;
        LOG.warn("volume {}: read from LBA {} failed at LBA {}", backend.volumeId(), lba, failed, e);
        return new SenseException(new Sense(Sense.MEDIUM_ERROR, 0x11, 0x00, failed, null));
    }

    /**
     * A failed write's sense: out of space (the store has no free block for it) is DATA PROTECT /
     * SPACE ALLOCATION FAILED WRITE PROTECT (SBC-3 §4.7.3.6), which hypervisors treat as "out of
     * space" (ESXi pauses the VM, QEMU reports ENOSPC for its werror policy) rather than as a
     * failing disk; anything else is MEDIUM ERROR / WRITE ERROR.
     */
    private SenseException writeError(final long lba, final IOException e) {
        if (outOfSpace(e)) {
            NO_SPACE_LOG.warn("volume " + backend.volumeId() + ": no space for a write at LBA " + lba + ": "
                    + e.getMessage());
            return new SenseException(new Sense(Sense.DATA_PROTECT, 0x27, 0x07, lba, null));
        }
        LOG.warn("volume {}: write failed at LBA {}", backend.volumeId(), lba, e);
        return new SenseException(new Sense(Sense.MEDIUM_ERROR, 0x0c, 0x00, lba, null));
    }

    private static boolean outOfSpace(final Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StoreFullException) {
                return true;
            }
        }
        return false;
    }

    private static SenseException miscompare(final long offset) {
        return new SenseException(new Sense(Sense.MISCOMPARE, 0x1d, 0x00, offset, null));
    }

    ByteBuffer readBlocks(final long lba, final long blocks) {
        ByteBuffer buf = ByteBuffer.allocate((int) (blocks * BLOCK));
        try {
            backend.read(lba * BLOCK, buf.duplicate());
        } catch (IOException e) {
            throw readError(lba, e);
        }
        return buf;
    }

    void writeBlocks(final long lba, final ByteBuffer data) {
        writeBlocks(lba, data, null);
    }

    /** Writes {@code data} at {@code lba}, for a command {@code admission} (or null) already paid the QoS limit for. */
    private void writeBlocks(final long lba, final ByteBuffer data, final WriteAdmission admission) {
        try {
            backend.write(lba * BLOCK, data.duplicate(), admission);
        } catch (IOException e) {
            throw writeError(lba, e);
        }
    }

    // ---- commands ----

    ScsiResult read(final byte[] cdb) {
        long lba = lba(cdb);
        long blocks = checkedBlocks(cdb, lba);
        if (blocks == 0) {
            return ScsiResult.good();
        }
        // Into a lent direct buffer the store reads without copying, and the transport sends from it as is.
        TransferBuffers.Lease lease = TransferBuffers.shared().tryLend((int) (blocks * BLOCK));
        if (lease == null) {
            return ScsiResult.good(readBlocks(lba, blocks));
        }
        ByteBuffer data = lease.buffer();
        boolean filled = false;
        try {
            backend.read(lba * BLOCK, data.duplicate());
            filled = true;
        } catch (IOException e) {
            throw readError(lba, e);
        } finally {
            if (!filled) {
                lease.release();
            }
        }
        return ScsiResult.good(data, lease::release);
    }

    /**
     * Starts a READ without blocking: true when started, and {@code done} then gets its result
     * (a failed read as {@code failed} words its MEDIUM ERROR). False, having started nothing, when
     * this READ does not go that way (a CDB error, nothing to read, no lendable buffer, or the
     * backend): {@link #read} answers it.
     */
    boolean startRead(final byte[] cdb, final Consumer<ScsiResult> done, final Function<Sense, ScsiResult> failed) {
        long lba = lba(cdb);
        long blocks = blocksOrZero(cdb, lba);
        // The backend reads whole physical blocks: a READ that starts or ends inside one reads the
        // blocks around it, and its data-in is the part it asked for.
        long offset = lba * BLOCK;
        long length = blocks * BLOCK;
        int unit = backend.physicalBlockSize();
        long start = offset - offset % unit;
        long end = (offset + length + unit - 1) / unit * unit;
        TransferBuffers.Lease lease = blocks == 0 || end - start > TransferBuffers.LARGEST ? null
                : TransferBuffers.shared().tryLend((int) (end - start));
        if (lease == null) {
            return false;
        }
        ByteBuffer covering = lease.buffer();
        ByteBuffer data = covering.slice((int) (offset - start), (int) length);
        boolean started = backend.startRead(start, covering, failure -> {
            if (failure == null) {
                done.accept(ScsiResult.good(data, lease::release));
            } else {
                lease.release();
                done.accept(failed.apply(readError(lba, failure).sense()));
            }
        });
        if (!started) {
            lease.release();
        }
        return started;
    }

    /**
     * Starts a WRITE without blocking: true when started, and {@code done} then gets its result
     * once the data is durable (a failed write as {@code failed} words its MEDIUM ERROR). False,
     * having written nothing, when this WRITE does not go that way (a CDB error, nothing to write,
     * less data-out than the CDB asks for, or the backend): {@link #write} answers it.
     */
    boolean startWrite(final ScsiCommand c, final byte[] cdb, final Consumer<ScsiResult> done,
            final Function<Sense, ScsiResult> failed) {
        long lba = lba(cdb);
        long blocks = blocksOrZero(cdb, lba);
        ByteBuffer d = c.dataOut();
        long needed = blocks * BLOCK;
        if (blocks == 0 || d == null || d.remaining() < needed) {
            return false;
        }
        return backend.startWrite(lba * BLOCK, dataOut(c, needed), c.admission(), failure -> done.accept(
                failure == null ? ScsiResult.good() : failed.apply(writeError(lba, failure).sense())));
    }

    /** The CDB's checked transfer length, or 0 (nothing to start) for a CDB in error, which executing it answers. */
    private long blocksOrZero(final byte[] cdb, final long lba) {
        try {
            return checkedBlocks(cdb, lba);
        } catch (SenseException e) {
            return 0;
        }
    }

    ScsiResult write(final ScsiCommand c, final byte[] cdb) {
        long lba = lba(cdb);
        long blocks = checkedBlocks(cdb, lba);
        if (blocks == 0) {
            return ScsiResult.good();
        }
        writeBlocks(lba, writeData(c, lba, blocks), c.admission());
        return ScsiResult.good();
    }

    /** WRITE AND VERIFY: BYTCHK 0 reads the blocks back, 1 also compares them with what was written. */
    ScsiResult writeAndVerify(final ScsiCommand c, final byte[] cdb) {
        long lba = lba(cdb);
        boolean byteCheck = (cdb[1] & 0x02) != 0;
        long blocks = checkedBlocks(cdb, lba);
        if (blocks == 0) {
            return ScsiResult.good();
        }
        ByteBuffer data = writeData(c, lba, blocks);
        writeBlocks(lba, data, c.admission());
        ByteBuffer back = readBlocks(lba, blocks);
        if (byteCheck) {
            int at = back.mismatch(data);
            if (at >= 0) {
                throw miscompare(at);
            }
        }
        return ScsiResult.good();
    }

    /** VERIFY: BYTCHK 00b checks the blocks are readable, 01b compares them, 11b compares each with one block. */
    ScsiResult verify(final ScsiCommand c, final byte[] cdb) {
        long lba = lba(cdb);
        int byteCheck = (cdb[1] >>> 1) & 0x03;
        if (byteCheck == 2) {
            throw SenseException.invalidCdb(1, 2);
        }
        long blocks = checkedBlocks(cdb, lba);
        if (blocks == 0) {
            return ScsiResult.good();
        }
        ByteBuffer expected = switch (byteCheck) {
            case 1 -> dataOut(c, blocks * BLOCK);
            case 3 -> dataOut(c, BLOCK);
            default -> null;
        };
        ByteBuffer read = readBlocks(lba, blocks);
        if (byteCheck == 1) {
            int at = read.mismatch(expected);
            if (at >= 0) {
                throw miscompare(at);
            }
        } else if (byteCheck == 3) {
            for (int i = 0; i < blocks; i++) {
                int at = read.slice(i * BLOCK, BLOCK).mismatch(expected);
                if (at >= 0) {
                    throw miscompare((long) i * BLOCK + at);
                }
            }
        }
        return ScsiResult.good();
    }

    /**
     * WRITE SAME(10/16). On a thin volume the UNMAP bit, or a block of zeros, deallocates the range
     * (it reads as zeros afterwards, LBPRZ); otherwise the block is written over the range.
     */
    ScsiResult writeSame(final ScsiCommand c, final byte[] cdb) {
        boolean sixteen = Bytes.u8(cdb, 0) == 0x93;
        long lba = sixteen ? Bytes.u64(cdb, 2) : Bytes.u32(cdb, 2);
        long blocks = sixteen ? Bytes.u32(cdb, 10) : Bytes.u16(cdb, 7);
        int lengthIndex = sixteen ? 10 : 7;
        boolean unmap = (cdb[1] & 0x08) != 0;
        boolean noDataOut = sixteen && (cdb[1] & 0x01) != 0;
        checkRange(lba, blocks);
        if (blocks == 0) {
            blocks = capacity() - lba; // WSNZ=0: zero blocks means up to the end of the medium
        }
        if (blocks > maxWriteSameBlocks()) {
            throw SenseException.invalidCdb(lengthIndex, -1);
        }
        ByteBuffer block = noDataOut ? exactDataOut(c, 0) : exactDataOut(c, BLOCK);
        if (noDataOut) {
            block = ByteBuffer.allocate(BLOCK);
        }
        if (blocks == 0) {
            return ScsiResult.good();
        }
        // On a thin volume the UNMAP bit deallocates whatever the block holds (as LIO and tgtd do, and
        // libiscsi's WriteSame10.UnmapUntilEnd sends 0xFF blocks expecting zeros back); zeros are written
        // by deallocating too, UNMAP bit or not, since deallocated blocks read as zeros (LBPRZ).
        if (backend.thinProvisioned() && (unmap || block.mismatch(ByteBuffer.allocate(BLOCK)) < 0)) {
            unmapBlocks(lba, blocks);
            return ScsiResult.good();
        }
        fill(lba, blocks, block);
        return ScsiResult.good();
    }

    /** Writes {@code block} to each of {@code blocks} blocks from {@code lba}, in pieces of at most 1 MiB. */
    void fill(final long lba, final long blocks, final ByteBuffer block) {
        int chunk = (int) Math.min(blocks, CHUNK_BLOCKS);
        ByteBuffer pattern = ByteBuffer.allocate(chunk * BLOCK);
        for (int i = 0; i < chunk; i++) {
            pattern.put(block.duplicate());
        }
        pattern.flip();
        for (long done = 0; done < blocks; done += chunk) {
            int n = (int) Math.min(chunk, blocks - done);
            writeBlocks(lba + done, pattern.slice(0, n * BLOCK));
        }
    }

    void unmapBlocks(final long lba, final long blocks) {
        try {
            backend.unmap(lba * BLOCK, blocks * BLOCK);
        } catch (IOException e) {
            throw writeError(lba, e);
        }
    }

    /** UNMAP: every descriptor is checked before any range is released. */
    ScsiResult unmap(final ScsiCommand c, final byte[] cdb) {
        int parameterLength = Bytes.u16(cdb, 7);
        if (parameterLength == 0) {
            return ScsiResult.good();
        }
        if (parameterLength < 8) {
            throw SenseException.parameterListLength();
        }
        byte[] p = bytes(dataOut(c, parameterLength));
        int descriptorBytes = Math.min(Bytes.u16(p, 2), parameterLength - 8);
        int count = descriptorBytes / 16;
        if (count > options.maxUnmapDescriptors()) {
            throw SenseException.invalidParameter(2, -1);
        }
        long total = 0;
        for (int i = 0; i < count; i++) {
            int at = 8 + 16 * i;
            long lba = Bytes.u64(p, at);
            long blocks = Bytes.u32(p, at + 8);
            checkRange(lba, blocks);
            total += blocks;
            if (total > options.maxUnmapBlocks()) {
                throw SenseException.invalidParameter(at + 8, -1);
            }
        }
        for (int i = 0; i < count; i++) {
            int at = 8 + 16 * i;
            long lba = Bytes.u64(p, at);
            long blocks = Bytes.u32(p, at + 8);
            if (blocks > 0) {
                unmapBlocks(lba, blocks);
            }
        }
        return ScsiResult.good();
    }

    /** COMPARE AND WRITE: data-out is the verify blocks then the write blocks; atomic in the backend. */
    ScsiResult compareAndWrite(final ScsiCommand c, final byte[] cdb) {
        long lba = Bytes.u64(cdb, 2);
        int blocks = Bytes.u8(cdb, 13);
        if (blocks > options.maxCompareAndWriteBlocks()) {
            throw SenseException.invalidCdb(13, -1);
        }
        checkRange(lba, blocks);
        if (blocks == 0) {
            // Initiators that put 256 into the 8-bit field send 0 with a full data-out: a bad CDB, not a no-op.
            if (c.expectedDataTransferLength() != 0) {
                throw SenseException.invalidCdb(13, -1);
            }
            return ScsiResult.good();
        }
        int half = blocks * BLOCK;
        ByteBuffer all = exactDataOut(c, 2L * half);
        ByteBuffer expected = all.slice(0, half);
        ByteBuffer data = all.slice(half, half);
        long at;
        try {
            at = backend.compareAndWrite(lba * BLOCK, expected, data, c.admission());
        } catch (IOException e) {
            throw writeError(lba, e);
        }
        if (at >= 0) {
            throw miscompare(at);
        }
        return ScsiResult.good();
    }

    /**
     * ORWRITE(16): each block becomes the OR of its data and the data-out. The read-modify-write
     * is made atomic with respect to every other write by writing through {@code compareAndWrite}
     * against what was read, and starting over when another write got in between.
     */
    ScsiResult orWrite(final ScsiCommand c, final byte[] cdb) {
        long lba = lba(cdb);
        long blocks = checkedBlocks(cdb, lba);
        if (blocks == 0) {
            return ScsiResult.good();
        }
        ByteBuffer mask = dataOut(c, blocks * BLOCK);
        replaceAtomically(lba, blocks, c.admission(), current -> {
            ByteBuffer or = ByteBuffer.allocate(current.remaining());
            for (int i = 0; i < or.capacity(); i++) {
                or.put(i, (byte) (current.get(i) | mask.get(i)));
            }
            return or;
        });
        return ScsiResult.good();
    }

    /** The MAXIMUM ATOMIC TRANSFER LENGTH: WRITE ATOMIC(16) writes at most this many blocks. */
    int maxAtomicBlocks() {
        return Math.min(MAX_ATOMIC_BLOCKS, options.maxTransferBlocks());
    }

    /**
     * WRITE ATOMIC(16): the blocks are written through {@code compareAndWrite} against what they
     * held, so no other write (each holds its range in the volume client) lands in the middle of
     * it. It must start on and cover whole 4 KiB store blocks (the Block Limits page says so), the
     * unit the store writes and checksums, whatever physical block size the volume reports.
     */
    ScsiResult writeAtomic(final ScsiCommand c, final byte[] cdb) {
        long lba = Bytes.u64(cdb, 2);
        int blocks = Bytes.u16(cdb, 12);
        int physical = backend.physicalBlockSize() / BLOCK;
        checkRange(lba, blocks);
        if (blocks > maxAtomicBlocks() || blocks % physical != 0) {
            throw SenseException.invalidCdb(12, -1);
        }
        if (lba % physical != 0) {
            throw SenseException.invalidCdb(2, -1);
        }
        if (blocks == 0) {
            return ScsiResult.good();
        }
        ByteBuffer data = dataOut(c, (long) blocks * BLOCK);
        replaceAtomically(lba, blocks, c.admission(), current -> data.duplicate());
        return ScsiResult.good();
    }

    /**
     * Replaces blocks with a function of their current contents, atomically with respect to other
     * writes: compare-and-write against what was read, again (bounded) when another write won.
     * {@code admission} (or null) pays the first write's way through the QoS limit.
     */
    private void replaceAtomically(final long lba, final long blocks, final WriteAdmission admission,
            final UnaryOperator<ByteBuffer> update) {
        for (int attempt = 0; attempt < ATOMIC_ATTEMPTS; attempt++) {
            ByteBuffer current = readBlocks(lba, blocks);
            ByteBuffer next = update.apply(current.duplicate());
            long at;
            try {
                at = backend.compareAndWrite(lba * BLOCK, current, next, admission);
            } catch (IOException e) {
                throw writeError(lba, e);
            }
            if (at < 0) {
                return;
            }
        }
        // Other writes kept changing the range: the initiator retries (SAM-5: the unit was busy).
        throw SenseException.of(Sense.ABORTED_COMMAND, 0x2c, 0x00);
    }

    /**
     * READ DEFECT DATA(10) and (12): a volume has no medium defects; the lists asked for come back
     * empty (and valid) in the format asked for.
     */
    static ScsiResult readDefectData(final byte[] cdb) {
        boolean twelve = Bytes.u8(cdb, 0) == 0xb7;
        int flags = twelve ? Bytes.u8(cdb, 1) : Bytes.u8(cdb, 2);
        int format = flags & 0x07;
        if (format == 1 || format == 2 || format == 7) {
            throw SenseException.invalidCdb(twelve ? 1 : 2, 2); // reserved defect list formats
        }
        byte[] b = new byte[twelve ? 8 : 4];
        b[1] = (byte) (flags & 0x1f); // PLISTV/GLISTV as requested, the format asked for
        return ScsiResult.good(ByteBuffer.wrap(b));
    }

    ScsiResult synchronizeCache(final byte[] cdb) {
        boolean sixteen = Bytes.u8(cdb, 0) == 0x91;
        long lba = sixteen ? Bytes.u64(cdb, 2) : Bytes.u32(cdb, 2);
        long blocks = sixteen ? Bytes.u32(cdb, 10) : Bytes.u16(cdb, 7);
        checkRange(lba, blocks);
        try {
            backend.flush();
        } catch (IOException e) {
            throw writeError(lba, e);
        }
        return ScsiResult.good();
    }

    /** PRE-FETCH: there is no cache to load, so GOOD (not CONDITION MET) once the range is valid. */
    ScsiResult prefetch(final byte[] cdb) {
        boolean sixteen = Bytes.u8(cdb, 0) == 0x90;
        long lba = sixteen ? Bytes.u64(cdb, 2) : Bytes.u32(cdb, 2);
        long blocks = sixteen ? Bytes.u32(cdb, 10) : Bytes.u16(cdb, 7);
        checkRange(lba, blocks);
        return ScsiResult.good();
    }

    ScsiResult readCapacity10(final byte[] cdb) {
        if ((cdb[8] & 0x01) == 0 && Bytes.u32(cdb, 2) != 0) {
            throw SenseException.invalidCdb(2, -1);
        }
        byte[] b = new byte[8];
        Bytes.put32(b, 0, Math.min(Math.max(capacity() - 1, 0), 0xffffffffL));
        Bytes.put32(b, 4, BLOCK);
        return ScsiResult.good(ByteBuffer.wrap(b));
    }

    ScsiResult readCapacity16(final byte[] cdb) {
        if ((cdb[14] & 0x01) == 0 && Bytes.u64(cdb, 2) != 0) {
            throw SenseException.invalidCdb(2, -1);
        }
        byte[] b = new byte[32];
        Bytes.put64(b, 0, Math.max(capacity() - 1, 0));
        Bytes.put32(b, 8, BLOCK);
        int exponent = Integer.numberOfTrailingZeros(Math.max(BLOCK, backend.reportedPhysicalBlockSize()) / BLOCK);
        b[13] = (byte) (exponent & 0x0f);
        if (backend.thinProvisioned()) {
            b[14] = (byte) 0xc0; // LBPME, LBPRZ
        }
        return ScsiResult.good(ByteBuffer.wrap(b));
    }

    /** GET LBA STATUS: runs of mapped (0) and deallocated (1) blocks from the starting LBA. */
    ScsiResult getLbaStatus(final byte[] cdb) {
        long lba = Bytes.u64(cdb, 2);
        long allocation = Bytes.u32(cdb, 10);
        long cap = capacity();
        if (lba < 0 || lba >= cap) {
            throw SenseException.lbaOutOfRange();
        }
        int maxDescriptors = (int) Math.max(1, Math.min(256, (allocation - 8) / 16));
        long end = Math.min(cap, lba + LBA_STATUS_WINDOW);
        List<BlockBackend.AllocationRun> runs;
        try {
            runs = backend.allocation(lba * BLOCK, (end - lba) * BLOCK);
        } catch (IOException e) {
            throw readError(lba, e);
        }
        ByteBuffer d = ByteBuffer.allocate(8 + 16 * maxDescriptors);
        d.position(8);
        long next = lba;
        int status = -1;
        long runStart = lba;
        for (BlockBackend.AllocationRun r : runs) {
            long from = Math.max(next, r.offset() / BLOCK);
            long to = Math.min(end, (r.offset() + r.length() + BLOCK - 1) / BLOCK);
            if (to <= from) {
                continue;
            }
            int s = r.mapped() ? 0 : 1;
            if (s != status && status >= 0) {
                if (!descriptor(d, runStart, from - runStart, status)) {
                    break;
                }
                runStart = from;
            } else if (status < 0) {
                runStart = lba;
            }
            status = s;
            next = to;
        }
        if (status < 0) {
            descriptor(d, lba, end - lba, backend.thinProvisioned() ? 1 : 0);
        } else if (d.hasRemaining()) {
            descriptor(d, runStart, next - runStart, status);
        }
        byte[] b = new byte[d.position()];
        d.flip();
        d.get(b);
        Bytes.put32(b, 0, b.length - 4L);
        return ScsiResult.good(ByteBuffer.wrap(b));
    }

    private static boolean descriptor(final ByteBuffer d, final long lba, final long blocks, final int status) {
        if (!d.hasRemaining()) {
            return false;
        }
        d.putLong(lba).putInt((int) Math.min(blocks, 0xffffffffL)).put((byte) status).put(new byte[3]);
        return d.hasRemaining();
    }
}
