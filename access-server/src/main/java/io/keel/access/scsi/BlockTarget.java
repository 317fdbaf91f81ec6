package io.keel.access.scsi;

import io.keel.runtime.time.Clock;
import io.keel.runtime.time.SystemClock;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.BiFunction;

/**
 * A SCSI target device of block logical units, one per {@link LunSpec}: routes each command to
 * its logical unit, answers REPORT LUNS, and answers for LUNs that do not exist (INQUIRY with
 * peripheral qualifier 011b, REQUEST SENSE, else LOGICAL UNIT NOT SUPPORTED). Its LUN map can
 * change while sessions use it ({@link #update}).
 */
public final class BlockTarget implements ScsiTarget {

    private final TargetOptions options;
    private final Clock clock;
    /** Units of the node's other targets a nexus may reach, by identifier (EXTENDED COPY between datastores). */
    private final BiFunction<ItNexus, byte[], LogicalUnit> elsewhere;
    /** Replaced whole by {@link #update}; commands route through whichever map they read. */
    private volatile Map<Integer, LogicalUnit> units;
    private volatile boolean retired;
    private final Commands noUnitCommands = Commands.forUnit(false);

    /** A target of {@code luns} (distinct LUN numbers) with {@code options}, on the system clock. */
    public BlockTarget(final List<LunSpec> luns, final TargetOptions options) {
        this(luns, options, SystemClock.INSTANCE);
    }

    /** A target of {@code luns} with {@code options}; {@code clock} paces long-running work (SANITIZE). */
    public BlockTarget(final List<LunSpec> luns, final TargetOptions options, final Clock clock) {
        this(luns, options, clock, (nexus, naa) -> null);
    }

    /**
     * A target whose EXTENDED COPY may also reach the units {@code elsewhere} gives a nexus (units
     * of the node's other targets, by NAA identifier, that the nexus's initiator may use), as
     * hypervisors copying between datastores of one array expect.
     */
    public BlockTarget(final List<LunSpec> luns, final TargetOptions options, final Clock clock,
            final BiFunction<ItNexus, byte[], LogicalUnit> elsewhere) {
        this.options = options;
        this.clock = clock;
        this.elsewhere = elsewhere;
        this.units = build(luns, Map.of());
    }

    /**
     * Maps the LUNs of {@code luns} in place of the current ones, for the sessions logged in now as
     * for later ones. A LUN that keeps its volume keeps its logical unit, with its unit attentions,
     * mode pages and reservations; a new or remapped LUN gets a new unit, whose first command from a
     * nexus finds POWER ON OCCURRED; an unmapped LUN answers LOGICAL UNIT NOT SUPPORTED from then on
     * (commands sent to it before, not yet run, are refused: see {@link #unitToken}). When anything
     * changed, every nexus that used the target finds REPORTED LUNS DATA HAS CHANGED (SPC-4 6.33) on
     * each unit, so initiators rescan. Returns whether anything changed.
     */
    public synchronized boolean update(final List<LunSpec> luns) {
        Map<Integer, LogicalUnit> before = units;
        Map<Integer, LogicalUnit> after = build(luns, before);
        if (after.equals(before)) {
            return false;
        }
        Set<ItNexus> nexuses = new HashSet<>();
        for (LogicalUnit unit : before.values()) {
            nexuses.addAll(unit.nexuses());
        }
        units = after;
        for (LogicalUnit unit : before.values()) {
            if (after.get(unit.lun()) != unit) {
                unit.retire();
            }
        }
        for (LogicalUnit unit : after.values()) {
            if (before.get(unit.lun()) == unit) {
                unit.raiseForEveryNexus(Sense.REPORTED_LUNS_CHANGED);
            } else {
                for (ItNexus nexus : nexuses) {
                    unit.raise(nexus, Sense.REPORTED_LUNS_CHANGED); // after the POWER ON its first command finds
                }
            }
        }
        return true;
    }

    /**
     * The target no longer exists: every LUN is unmapped (as by an {@link #update} to none), and
     * {@link #retired} says so to the transport, which ends the sessions still logged in to it.
     */
    public void retire() {
        update(List.of());
        retired = true;
    }

    @Override
    public boolean retired() {
        return retired;
    }

    /** The logical unit {@code lun} addresses now: a command that finds another when it runs is refused. */
    @Override
    public Object unitToken(final int lun) {
        return units.get(lun);
    }

    /**
     * Units for {@code luns}, taking from {@code current} each unit whose LUN keeps its volume and
     * its read-only setting (a unit that changes between the two is a new unit: POWER ON first).
     */
    private Map<Integer, LogicalUnit> build(final List<LunSpec> luns, final Map<Integer, LogicalUnit> current) {
        if (luns.stream().map(LunSpec::lun).distinct().count() != luns.size()) {
            throw new IllegalArgumentException("duplicate LUN in " + luns.stream().map(LunSpec::lun).toList());
        }
        Map<Integer, LogicalUnit> m = new TreeMap<>();
        for (LunSpec spec : luns) {
            LogicalUnit kept = current.get(spec.lun());
            boolean keep = kept != null && kept.volumeId().equals(spec.backend().volumeId())
                    && kept.readOnly() == spec.readOnly();
            m.put(spec.lun(), keep ? kept : new LogicalUnit(spec, options, this::unitByIdentifier, clock));
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * The unit whose NAA identifier is {@code naa} (EXTENDED COPY target descriptors): one of this
     * target's, else one of the node's other targets' that {@code nexus}'s initiator may use, else null.
     */
    private LogicalUnit unitByIdentifier(final ItNexus nexus, final byte[] naa) {
        LogicalUnit own = unitWithIdentifier(naa);
        return own != null ? own : elsewhere.apply(nexus, naa);
    }

    /** This target's unit whose NAA identifier is {@code naa}, or null. */
    public LogicalUnit unitWithIdentifier(final byte[] naa) {
        for (LogicalUnit unit : units.values()) {
            if (java.util.Arrays.equals(unit.identifier(), naa)) {
                return unit;
            }
        }
        return null;
    }

    /** The logical unit {@code lun}, or null. */
    public LogicalUnit logicalUnit(final int lun) {
        return units.get(lun);
    }

    @Override
    public ScsiResult execute(final ScsiCommand command) {
        byte[] cdb = LogicalUnit.padded(command.cdb());
        return LogicalUnit.withinAllocationLength(route(command, cdb), cdb);
    }

    @Override
    public boolean start(final ScsiCommand command, final Consumer<ScsiResult> done) {
        LogicalUnit unit = units.get(command.lun());
        return unit != null && unit.start(command, done);
    }

    @Override
    public WriteAdmission admitData(final int lun, final byte[] cdb, final long bytes, final Runnable whenAdmitted) {
        LogicalUnit unit = units.get(lun);
        return unit == null ? WriteAdmission.NONE : unit.admitData(cdb, bytes, whenAdmitted);
    }

    private ScsiResult route(final ScsiCommand command, final byte[] cdb) {
        int opcode = Bytes.u8(cdb, 0);
        LogicalUnit unit = units.get(command.lun());
        if (opcode == LogicalUnit.REPORT_LUNS) {
            try {
                noUnitCommands.decode(cdb);
                return reportLuns(cdb);
            } catch (SenseException e) {
                return unit == null ? ScsiResult.checkCondition(e.sense()) : unit.fail(e.sense());
            }
        }
        if (unit != null) {
            return unit.execute(command);
        }
        try {
            return noUnit(cdb);
        } catch (SenseException e) {
            return ScsiResult.checkCondition(e.sense());
        }
    }

    private ScsiResult noUnit(final byte[] cdb) {
        int opcode = Bytes.u8(cdb, 0);
        if (opcode == LogicalUnit.INQUIRY) {
            noUnitCommands.decode(cdb);
            boolean evpd = (cdb[1] & 0x01) != 0;
            if (!evpd && cdb[2] != 0) {
                throw SenseException.invalidCdb(2, -1);
            }
            return ScsiResult.good(InquiryData.noUnit(options, evpd, Bytes.u8(cdb, 2)));
        }
        Sense notSupported = Sense.of(Sense.ILLEGAL_REQUEST, 0x25, 0x00);
        if (opcode == LogicalUnit.REQUEST_SENSE) {
            noUnitCommands.decode(cdb);
            return ScsiResult.good(ByteBuffer.wrap(LogicalUnit.senseData(notSupported, (cdb[1] & 0x01) != 0)));
        }
        return ScsiResult.checkCondition(notSupported);
    }

    /** REPORT LUNS: SELECT REPORT 0 and 2 list every logical unit, 1 (well-known LUNs) none. */
    private ScsiResult reportLuns(final byte[] cdb) {
        int select = Bytes.u8(cdb, 2);
        if (Bytes.u32(cdb, 6) < 16) {
            throw SenseException.invalidCdb(6, -1);
        }
        if (select > 2) {
            throw SenseException.invalidCdb(2, -1);
        }
        List<Integer> luns = select == 1 ? List.of() : List.copyOf(units.keySet());
        byte[] b = new byte[8 + 8 * luns.size()];
        Bytes.put32(b, 0, 8L * luns.size());
        int p = 8;
        for (int lun : luns) {
            if (lun < 256) {
                b[p + 1] = (byte) lun; // peripheral device addressing, bus 0
            } else {
                b[p] = (byte) (0x40 | (lun >>> 8)); // flat space addressing
                b[p + 1] = (byte) lun;
            }
            p += 8;
        }
        return ScsiResult.good(ByteBuffer.wrap(b));
    }

    @Override
    public boolean hasLun(final int lun) {
        return units.containsKey(lun);
    }

    @Override
    public void taskAborted(final ItNexus nexus, final int lun, final long taskTag) {
        LogicalUnit unit = units.get(lun);
        if (unit != null) {
            unit.taskAborted(nexus, taskTag);
        }
    }

    @Override
    public ScsiResult checkCondition(final int lun, final Sense sense) {
        LogicalUnit unit = units.get(lun);
        return unit == null ? ScsiResult.checkCondition(sense) : unit.fail(sense);
    }

    @Override
    public byte[] unitIdentifier(final Object unitToken) {
        return unitToken instanceof LogicalUnit unit ? unit.identifier() : null;
    }

    @Override
    public void commandsCleared(final ItNexus nexus, final int lun) {
        LogicalUnit unit = units.get(lun);
        if (unit != null) {
            unit.raise(nexus, Sense.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
        }
    }

    @Override
    public void taskSetAborted(final ItNexus nexus, final int lun) {
        LogicalUnit unit = units.get(lun);
        if (unit != null) {
            unit.taskSetAborted(nexus);
        }
    }

    @Override
    public void logicalUnitReset(final ItNexus nexus, final int lun) {
        LogicalUnit unit = units.get(lun);
        if (unit != null) {
            unit.logicalUnitReset(nexus);
        }
    }

    @Override
    public void targetReset(final ItNexus nexus) {
        for (LogicalUnit unit : units.values()) {
            unit.targetReset(nexus);
        }
    }

    @Override
    public void targetColdReset(final ItNexus nexus) {
        for (LogicalUnit unit : units.values()) {
            unit.targetColdReset(nexus);
        }
    }

    @Override
    public void nexusLost(final ItNexus nexus) {
        for (LogicalUnit unit : units.values()) {
            unit.nexusLost(nexus);
        }
    }
}
