package io.keel.access.scsi;

import io.keel.runtime.time.Clock;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One logical unit over a {@link BlockBackend}: it owns the unit's unit attentions per nexus,
 * its mode pages, its reservations and the order of checks every command goes through (unit
 * attention, reservation conflict, CDB validation, execution).
 */
public final class LogicalUnit {

    private static final Logger LOG = LoggerFactory.getLogger(LogicalUnit.class);

    static final int TEST_UNIT_READY = 0x00;
    static final int REQUEST_SENSE = 0x03;
    static final int INQUIRY = 0x12;
    static final int REPORT_LUNS = 0xa0;

    /** The commands that change the medium, refused on a read-only unit and while SWP is set. */
    private static final Set<Integer> WRITES = Set.of(0x0a, 0x2a, 0xaa, 0x8a, 0x2e, 0xae, 0x8e, 0x41, 0x93, 0x42,
            0x89, 0x8b, 0x9c, Sanitize.OPCODE);

    /** The writes whose data goes to the volume as it came (COMPARE AND WRITE: its second half). */
    private static final Set<Integer> DATA_WRITES = Set.of(0x0a, 0x2a, 0xaa, 0x8a, 0x2e, 0xae, 0x8e, 0x89, 0x8b, 0x9c);
    private static final int COMPARE_AND_WRITE = 0x89;

    private final int lun;
    private final BlockBackend backend;
    private final boolean readOnly;
    private final TargetOptions options;
    private final UnitAttentions attentions = new UnitAttentions();
    private final ModePages modes;
    private final Reservations reservations;
    private final Commands commands;
    private final BlockIo io;
    private final Sanitize sanitize;
    private final ExtendedCopy copyManager;
    private final byte[] identifier;
    private final InquiryData.Unit inquiryUnit;
    private final AtomicLong knownCapacity;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean retired;

    /**
     * A unit for {@code spec}; {@code unitByIdentifier} finds a unit a nexus may copy from or to by
     * its NAA identifier (the EXTENDED COPY target descriptors name units that way), or null;
     * {@code clock} paces a SANITIZE OVERWRITE.
     */
    LogicalUnit(final LunSpec spec, final TargetOptions options,
            final BiFunction<ItNexus, byte[], LogicalUnit> unitByIdentifier, final Clock clock) {
        this.lun = spec.lun();
        this.backend = spec.backend();
        this.readOnly = spec.readOnly();
        this.modes = spec.modes() == null ? new ModePages() : spec.modes();
        this.modes.attach(attentions);
        this.options = options;
        this.reservations = spec.reservations().apply(attentions);
        this.commands = Commands.forUnit(backend.thinProvisioned());
        this.io = new BlockIo(backend, options);
        this.sanitize = new Sanitize(io, backend.volumeId(), clock);
        this.copyManager = new ExtendedCopy(this, unitByIdentifier, options.maxQueueDepth());
        this.identifier = UnitIdentifier.naa(backend.volumeId());
        this.inquiryUnit = new InquiryData.Unit(backend, options, io.maxWriteSameBlocks(), io.maxAtomicBlocks());
        this.knownCapacity = new AtomicLong(io.capacity());
    }

    /** The logical unit number. */
    public int lun() {
        return lun;
    }

    /** The volume behind the unit. */
    public String volumeId() {
        return backend.volumeId();
    }

    /** The unit's NAA identifier (VPD page 83h). */
    byte[] identifier() {
        return identifier.clone();
    }

    BlockIo io() {
        return io;
    }

    /** Whether the unit is exported read-only. */
    boolean readOnly() {
        return readOnly;
    }

    /**
     * Whether a copy that another unit's EXTENDED COPY makes from ({@code write} false) or to this
     * unit must be refused: a sanitize is running, a destination is write-protected, or the same
     * READ or WRITE from {@code nexus} would meet a reservation conflict.
     */
    boolean refusesCopy(final ItNexus nexus, final boolean write) {
        byte[] probe = new byte[16];
        probe[0] = (byte) (write ? 0x8a : 0x88);
        return sanitize.inProgress() || write && writeProtection() != null || reservations.conflicts(nexus, probe);
    }

    /**
     * Why the medium cannot be changed, or null when it can: DATA PROTECT / WRITE PROTECTED on a
     * unit exported read-only, WRITE PROTECTED, SOFTWARE WRITE PROTECTED while SWP is set.
     */
    Sense writeProtection() {
        if (readOnly) {
            return Sense.of(Sense.DATA_PROTECT, 0x27, 0x00);
        }
        return modes.softwareWriteProtect() ? Sense.of(Sense.DATA_PROTECT, 0x27, 0x02) : null;
    }

    /** Where the unit's parts (its reservations) raise unit attentions. */
    UnitAttentionSink attentions() {
        return attentions;
    }

    /** Runs one command addressed to this unit. */
    ScsiResult execute(final ScsiCommand c) {
        if (inFlight.incrementAndGet() > options.maxQueueDepth()) {
            inFlight.decrementAndGet();
            return ScsiResult.status(ScsiStatus.TASK_SET_FULL);
        }
        try {
            return run(c);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /**
     * Starts {@code c} without blocking when it is a READ or WRITE (6/10/12/16) that nothing stands
     * in the way of (no unit attention, reservation conflict, sanitize, capacity change, write
     * protection or CDB error, whose answers {@link #execute} gives) and the volume can read or
     * write so: true, and {@code done} then gets its result. False, having started nothing, otherwise.
     */
    boolean start(final ScsiCommand c, final Consumer<ScsiResult> done) {
        byte[] cdb = padded(c.cdb());
        int opcode = Bytes.u8(cdb, 0);
        boolean read = opcode == 0x08 || opcode == 0x28 || opcode == 0xa8 || opcode == 0x88;
        boolean write = opcode == 0x0a || opcode == 0x2a || opcode == 0xaa || opcode == 0x8a;
        if (!read && !write) {
            return false;
        }
        ItNexus nexus = c.nexus();
        if (!attentions.quiet(nexus) || sanitize.inProgress() || io.capacity() != knownCapacity.get()
                || reservations.conflicts(nexus, cdb) || write && writeProtection() != null) {
            return false;
        }
        try {
            commands.decode(cdb);
        } catch (SenseException e) {
            return false;
        }
        if (inFlight.incrementAndGet() > options.maxQueueDepth()) {
            inFlight.decrementAndGet();
            return false;
        }
        Consumer<ScsiResult> finished = result -> {
            inFlight.decrementAndGet();
            done.accept(result);
        };
        boolean started = false;
        try {
            started = read ? io.startRead(cdb, finished, this::fail) : io.startWrite(c, cdb, finished, this::fail);
            return started;
        } finally {
            if (!started) {
                inFlight.decrementAndGet();
            }
        }
    }

    /**
     * Admits the data of {@code cdb} ({@code bytes}; see {@link ScsiTarget#admitData}): a write that
     * the volume writes as it came is admitted by the volume's QoS limit; anything else at once.
     * Checks of the command itself wait for its execution.
     */
    WriteAdmission admitData(final byte[] cdb, final long bytes, final Runnable whenAdmitted) {
        int opcode = cdb.length == 0 ? -1 : Bytes.u8(cdb, 0);
        if (!DATA_WRITES.contains(opcode) || writeProtection() != null) {
            return WriteAdmission.NONE;
        }
        return backend.admitWrite(opcode == COMPARE_AND_WRITE ? bytes / 2 : bytes, whenAdmitted);
    }

    private ScsiResult run(final ScsiCommand c) {
        ItNexus nexus = c.nexus();
        byte[] cdb = padded(c.cdb());
        int opcode = Bytes.u8(cdb, 0);
        try {
            attentions.noteNexus(nexus);
            noticeCapacityChange();
            boolean exempt = opcode == INQUIRY || opcode == REPORT_LUNS || opcode == REQUEST_SENSE;
            if (!exempt && sanitize.inProgress()) {
                return fail(Sanitize.inProgressSense());
            }
            if (!exempt) {
                Sense attention = attentions.take(nexus);
                if (attention != null) {
                    return fail(attention);
                }
            }
            if (reservations.conflicts(nexus, cdb)) {
                return ScsiResult.status(ScsiStatus.RESERVATION_CONFLICT);
            }
            commands.decode(cdb);
            Sense protection = WRITES.contains(opcode) ? writeProtection() : null;
            if (protection != null) {
                return fail(protection);
            }
            return dispatch(c, cdb);
        } catch (SenseException e) {
            return fail(e.sense());
        } catch (RuntimeException e) {
            LOG.error("volume {} LUN {}: command {} failed", backend.volumeId(), lun, hex(cdb), e);
            return fail(Sense.INTERNAL_TARGET_FAILURE);
        }
    }

    /**
     * Cuts data-in to the CDB's ALLOCATION LENGTH (SPC-4 4.2.5.6): the initiator asked for no
     * more, and more than it asked for would show as a residual overflow on the transport.
     */
    static ScsiResult withinAllocationLength(final ScsiResult result, final byte[] cdb) {
        long allowed = allocationLength(cdb);
        ByteBuffer data = result.dataIn();
        if (allowed < 0 || data == null || data.remaining() <= allowed) {
            return result;
        }
        return new ScsiResult(result.status(), data.slice(data.position(), (int) allowed), result.sense(),
                result.dataInLease());
    }

    /** The ALLOCATION LENGTH of a command that returns parameter data, or -1 for commands without one. */
    static long allocationLength(final byte[] cdb) {
        return switch (Bytes.u8(cdb, 0)) {
            case 0x03, 0x1a -> Bytes.u8(cdb, 4); // REQUEST SENSE, MODE SENSE(6)
            case 0x12 -> Bytes.u16(cdb, 3); // INQUIRY
            case 0x5a, 0x5e, 0x37, 0x4d -> Bytes.u16(cdb, 7); // MODE SENSE(10), PR IN, READ DEFECT DATA(10), LOG SENSE
            case 0xa0, 0xa3, 0xb7 -> Bytes.u32(cdb, 6); // REPORT LUNS, MAINTENANCE IN, READ DEFECT DATA(12)
            case 0x9e, 0x84 -> Bytes.u32(cdb, 10); // SERVICE ACTION IN(16), RECEIVE COPY RESULTS
            default -> -1;
        };
    }

    /** The CDB, zero-padded to 16 bytes so every field of its command can be read. */
    static byte[] padded(final byte[] cdb) {
        if (cdb == null || cdb.length == 0) {
            return new byte[] {(byte) 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        }
        return Arrays.copyOf(cdb, Math.max(16, cdb.length));
    }

    private static String hex(final byte[] cdb) {
        StringBuilder s = new StringBuilder();
        for (byte b : cdb) {
            s.append(String.format("%02x", b & 0xff));
        }
        return s.toString();
    }

    private void noticeCapacityChange() {
        long now = io.capacity();
        long before = knownCapacity.get();
        if (now != before && knownCapacity.compareAndSet(before, now)) {
            attentions.raiseOthers(null, Sense.of(Sense.UNIT_ATTENTION, 0x2a, 0x09));
        }
    }

    private ScsiResult dispatch(final ScsiCommand c, final byte[] cdb) {
        int opcode = Bytes.u8(cdb, 0);
        return switch (opcode) {
            case TEST_UNIT_READY -> ScsiResult.good();
            case REQUEST_SENSE -> requestSense(c.nexus(), cdb);
            case INQUIRY -> inquiry(c.nexus(), cdb);
            case 0x15, 0x55 -> modeSelect(c, cdb);
            case 0x1a -> ScsiResult.good(modes.sense(cdb, false, io.capacity(), readOnly));
            case 0x5a -> ScsiResult.good(modes.sense(cdb, true, io.capacity(), readOnly));
            case 0x1b -> startStopUnit(cdb);
            case 0x16, 0x56 -> inSenseFormat(reservations.reserve(c.nexus(), cdb));
            case 0x17, 0x57 -> inSenseFormat(reservations.release(c.nexus(), cdb));
            case 0x5e -> inSenseFormat(reservations.persistentReserveIn(c.nexus(), cdb));
            case 0x5f -> inSenseFormat(reservations.persistentReserveOut(c.nexus(), cdb,
                    BlockIo.dataOut(c, Bytes.u32(cdb, 5))));
            case 0x25 -> io.readCapacity10(cdb);
            case 0x08, 0x28, 0xa8, 0x88 -> io.read(cdb);
            case 0x0a, 0x2a, 0xaa, 0x8a -> io.write(c, cdb);
            case 0x2e, 0xae, 0x8e -> io.writeAndVerify(c, cdb);
            case 0x2f, 0xaf, 0x8f -> io.verify(c, cdb);
            case 0x34, 0x90 -> io.prefetch(cdb);
            case 0x35, 0x91 -> io.synchronizeCache(cdb);
            case 0x41, 0x93 -> io.writeSame(c, cdb);
            case 0x42 -> io.unmap(c, cdb);
            case 0x89 -> io.compareAndWrite(c, cdb);
            case 0x8b -> io.orWrite(c, cdb);
            case 0x9c -> io.writeAtomic(c, cdb);
            case 0x37, 0xb7 -> BlockIo.readDefectData(cdb);
            case Sanitize.OPCODE -> sanitize.execute(c, cdb);
            case ExtendedCopy.EXTENDED_COPY -> copyManager.extendedCopy(c, cdb);
            case ExtendedCopy.RECEIVE_COPY_RESULTS -> copyManager.receiveCopyResults(c, cdb);
            case 0x9e -> (cdb[1] & 0x1f) == 0x10 ? io.readCapacity16(cdb) : io.getLbaStatus(cdb);
            case 0xa3 -> ScsiResult.good(commands.reportSupported(cdb));
            default -> throw SenseException.of(Sense.ILLEGAL_REQUEST, 0x20, 0x00);
        };
    }

    /** REQUEST SENSE reports a sanitize in progress, else (and clears) the oldest unit attention, else NO SENSE. */
    private ScsiResult requestSense(final ItNexus nexus, final byte[] cdb) {
        Sense s = sanitize.inProgress() ? Sanitize.inProgressSense() : attentions.take(nexus);
        if (s == null) {
            s = Sense.of(Sense.NO_SENSE, 0x00, 0x00);
        }
        boolean descriptor = (cdb[1] & 0x01) != 0;
        return ScsiResult.good(ByteBuffer.wrap(senseData(s, descriptor)));
    }

    private ScsiResult inquiry(final ItNexus nexus, final byte[] cdb) {
        boolean evpd = (cdb[1] & 0x01) != 0;
        int page = Bytes.u8(cdb, 2);
        if (!evpd) {
            if (page != 0) {
                throw SenseException.invalidCdb(2, -1);
            }
            return ScsiResult.good(InquiryData.standard(options));
        }
        return ScsiResult.good(InquiryData.vpd(page, inquiryUnit, nexus));
    }

    private ScsiResult modeSelect(final ScsiCommand c, final byte[] cdb) {
        boolean ten = Bytes.u8(cdb, 0) == 0x55;
        int length = ten ? Bytes.u16(cdb, 7) : Bytes.u8(cdb, 4);
        if ((cdb[1] & 0x01) != 0) {
            throw SenseException.invalidCdb(1, 0); // SP: no page can be saved
        }
        if (length == 0) {
            return ScsiResult.good();
        }
        if ((cdb[1] & 0x10) == 0) {
            throw SenseException.invalidCdb(1, 4); // PF=0: vendor-specific page format, none defined
        }
        byte[] params = BlockIo.bytes(BlockIo.dataOut(c, length));
        modes.select(c.nexus(), params, ten, io.capacity());
        return ScsiResult.good();
    }

    /** START STOP UNIT is accepted and changes nothing: the medium cannot stop or be ejected. */
    private static ScsiResult startStopUnit(final byte[] cdb) {
        int powerCondition = (cdb[4] >>> 4) & 0x0f;
        switch (powerCondition) {
            case 0x0, 0x1, 0x2, 0x3, 0x5, 0x7, 0xa, 0xb:
                return ScsiResult.good();
            default:
                throw SenseException.invalidCdb(4, 7);
        }
    }

    /** A result built by {@link Reservations} (fixed-format sense), re-encoded when D_SENSE asks for descriptors. */
    private ScsiResult inSenseFormat(final ScsiResult r) {
        byte[] s = r.sense();
        if (r.status() != ScsiStatus.CHECK_CONDITION || s == null || s.length < 14 || (s[0] & 0x7f) != 0x70
                || !modes.descriptorSense()) {
            return r;
        }
        long information = (s[0] & 0x80) != 0 ? Bytes.u32(s, 3) : -1;
        Sense.FieldPointer pointer = null;
        if (s.length >= 18 && (s[15] & 0x80) != 0 && (s[2] & 0x0f) == Sense.ILLEGAL_REQUEST) {
            pointer = new Sense.FieldPointer((s[15] & 0x40) != 0, Bytes.u16(s, 16),
                    (s[15] & 0x08) != 0 ? s[15] & 0x07 : -1);
        }
        return fail(new Sense(s[2] & 0x0f, Bytes.u8(s, 12), Bytes.u8(s, 13), information, pointer));
    }

    /** CHECK CONDITION with {@code sense} in the format D_SENSE selects. */
    ScsiResult fail(final Sense sense) {
        return new ScsiResult(ScsiStatus.CHECK_CONDITION, null, senseData(sense, modes.descriptorSense()));
    }

    /** Sense data for {@code sense}: fixed format (70h/F0h) or descriptor format (72h). */
    static byte[] senseData(final Sense sense, final boolean descriptor) {
        if (!descriptor) {
            return sense.toFixedFormat();
        }
        boolean info = sense.information() >= 0;
        boolean pointer = sense.fieldPointer() != null;
        byte[] b = new byte[8 + (info ? 12 : 0) + (pointer ? 8 : 0)];
        b[0] = 0x72;
        b[1] = (byte) (sense.key() & 0x0f);
        b[2] = (byte) sense.asc();
        b[3] = (byte) sense.ascq();
        b[7] = (byte) (b.length - 8);
        int p = 8;
        if (info) {
            b[p + 1] = 0x0a;
            b[p + 2] = (byte) 0x80;
            Bytes.put64(b, p + 4, sense.information());
            p += 12;
        }
        if (pointer) {
            Sense.FieldPointer f = sense.fieldPointer();
            b[p] = 0x02;
            b[p + 1] = 0x06;
            int flags = 0x80 | (f.inCdb() ? 0x40 : 0) | (f.bit() >= 0 ? 0x08 | (f.bit() & 0x07) : 0);
            b[p + 4] = (byte) flags;
            Bytes.put16(b, p + 5, f.byteIndex());
        }
        return b;
    }

    /** ABORT TASK: a SANITIZE waiting for its operation stops waiting (the operation goes on). */
    void taskAborted(final ItNexus nexus, final long taskTag) {
        sanitize.abandon(nexus, taskTag);
    }

    /** ABORT TASK SET / CLEAR TASK SET: the transport aborted the tasks; no SCSI state depends on them. */
    void taskSetAborted(final ItNexus nexus) {
        LOG.debug("volume {} LUN {}: task set aborted by {}", backend.volumeId(), lun, nexus.initiatorPortName());
    }

    /**
     * LOGICAL UNIT RESET: SPC-2 reservations go, mode pages revert, and every nexus (the one that
     * asked too, SAM-5 6.3; libiscsi's multipath reset test expects it on every path) gets 29h/03h.
     */
    void logicalUnitReset(final ItNexus nexus) {
        reset(Sense.of(Sense.UNIT_ATTENTION, 0x29, 0x03));
    }

    /** TARGET WARM RESET: a logical unit reset of every unit, reported as 29h/02h. */
    void targetReset(final ItNexus nexus) {
        reset(Sense.of(Sense.UNIT_ATTENTION, 0x29, 0x02));
    }

    /** TARGET COLD RESET: a warm reset reported as POWER ON OCCURRED (29h/01h). */
    void targetColdReset(final ItNexus nexus) {
        reset(Sense.of(Sense.UNIT_ATTENTION, 0x29, 0x01));
    }

    private void reset(final Sense attention) {
        reservations.logicalUnitReset(attentions);
        modes.reset();
        attentions.raiseOthers(null, attention);
    }

    /** Raises {@code attention} for every nexus that has used the unit (REPORTED LUNS DATA HAS CHANGED). */
    void raiseForEveryNexus(final Sense attention) {
        attentions.raiseOthers(null, attention);
    }

    /** Raises {@code attention} for {@code nexus}, whether or not it has used the unit yet. */
    void raise(final ItNexus nexus, final Sense attention) {
        attentions.raise(nexus, attention);
    }

    /** The nexuses that have used the unit. */
    Set<ItNexus> nexuses() {
        return attentions.seen();
    }

    /**
     * The unit's LUN was unmapped: for its nexuses it is as if they were lost (an SPC-2
     * reservation one of them holds is released), and its reservations, which may serve other
     * units of the volume, forget it.
     */
    void retire() {
        retired = true;
        for (ItNexus nexus : attentions.seen()) {
            reservations.nexusLost(nexus);
        }
        reservations.detach(attentions);
        modes.detach(attentions);
        LOG.info("volume {}: LUN {} unmapped", backend.volumeId(), lun);
    }

    /** Whether the unit's LUN was unmapped (or remapped): a copy that still holds it must stop. */
    boolean retired() {
        return retired;
    }

    /** The nexus is gone: its SPC-2 reservation and unit attentions go with it. */
    void nexusLost(final ItNexus nexus) {
        reservations.nexusLost(nexus);
        attentions.forget(nexus);
    }
}
