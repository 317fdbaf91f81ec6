package io.keel.access.scsi.reservation;

import io.keel.access.scsi.ItNexus;
import io.keel.access.scsi.Reservations;
import io.keel.access.scsi.ScsiResult;
import io.keel.access.scsi.Sense;
import io.keel.access.scsi.UnitAttentionSink;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Function;

/**
 * One volume's reservations shared by every logical unit that exports it on this node: the same
 * volume mapped in two targets, or kept by sessions across a change of their target's LUN map, is
 * one logical unit to its initiators (it has one NAA identifier), so a registration, RESERVE or
 * reservation made through one must hold through all of them. Unit attentions the reservations
 * raise (registrations preempted, reservations released) go to every attached unit that the nexus
 * has used.
 */
public final class SharedReservations implements Reservations {

    private static final Sense LOGICAL_UNIT_RESET = Sense.of(Sense.UNIT_ATTENTION, 0x29, 0x03);

    private final Set<UnitAttentionSink> units = new CopyOnWriteArraySet<>();
    private final Reservations delegate;

    /** Reservations built once by {@code build} around a sink that reaches every attached unit. */
    public SharedReservations(final Function<UnitAttentionSink, Reservations> build) {
        this.delegate = build.apply(new EveryUnit());
    }

    /** What the reservations raise, raised on every attached unit for the nexuses that used it. */
    private final class EveryUnit implements UnitAttentionSink {
        @Override
        public void raise(final ItNexus nexus, final Sense sense) {
            for (UnitAttentionSink unit : units) {
                unit.raiseIfKnown(nexus, sense);
            }
        }

        @Override
        public void raiseForInitiatorPort(final ItNexus nexus, final ItNexus except, final Sense sense) {
            for (UnitAttentionSink unit : units) {
                unit.raiseForInitiatorPort(nexus, except, sense);
            }
        }
    }

    /** Attaches a logical unit's sink and returns these reservations (a {@code LunSpec}'s builder). */
    public Reservations attach(final UnitAttentionSink unit) {
        units.add(unit);
        return this;
    }

    @Override
    public void detach(final UnitAttentionSink unit) {
        units.remove(unit);
    }

    /** How many logical units are attached now. */
    public int attachedUnits() {
        return units.size();
    }

    @Override
    public ScsiResult persistentReserveIn(final ItNexus nexus, final byte[] cdb) {
        return delegate.persistentReserveIn(nexus, cdb);
    }

    @Override
    public ScsiResult persistentReserveOut(final ItNexus nexus, final byte[] cdb, final ByteBuffer parameters) {
        return delegate.persistentReserveOut(nexus, cdb, parameters);
    }

    @Override
    public ScsiResult reserve(final ItNexus nexus, final byte[] cdb) {
        return delegate.reserve(nexus, cdb);
    }

    @Override
    public ScsiResult release(final ItNexus nexus, final byte[] cdb) {
        return delegate.release(nexus, cdb);
    }

    @Override
    public boolean conflicts(final ItNexus nexus, final byte[] cdb) {
        return delegate.conflicts(nexus, cdb);
    }

    @Override
    public void logicalUnitReset() {
        delegate.logicalUnitReset();
    }

    /** The other units' nexuses find LOGICAL UNIT RESET OCCURRED: the volume's SPC-2 reservation went for them too. */
    @Override
    public void logicalUnitReset(final UnitAttentionSink resetUnit) {
        delegate.logicalUnitReset();
        for (UnitAttentionSink unit : units) {
            if (unit != resetUnit) {
                unit.raiseForEveryNexus(LOGICAL_UNIT_RESET);
            }
        }
    }

    @Override
    public void nexusLost(final ItNexus nexus) {
        delegate.nexusLost(nexus);
    }
}
