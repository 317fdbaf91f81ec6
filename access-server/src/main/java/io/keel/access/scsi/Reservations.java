package io.keel.access.scsi;

import java.nio.ByteBuffer;

/**
 * A logical unit's reservations: SPC-3 persistent reservations (registrations and the
 * reservation, kept in a {@link ReservationStore}) and SPC-2 RESERVE/RELEASE. The logical unit
 * asks it whether each command conflicts before running it.
 */
public interface Reservations {

    /** PERSISTENT RESERVE IN (5Eh); its data is the full parameter data (the caller truncates it). */
    ScsiResult persistentReserveIn(ItNexus nexus, byte[] cdb);

    /** PERSISTENT RESERVE OUT (5Fh) with its parameter list. */
    ScsiResult persistentReserveOut(ItNexus nexus, byte[] cdb, ByteBuffer parameters);

    /** RESERVE(6) (16h) or RESERVE(10) (56h). */
    ScsiResult reserve(ItNexus nexus, byte[] cdb);

    /** RELEASE(6) (17h) or RELEASE(10) (57h). */
    ScsiResult release(ItNexus nexus, byte[] cdb);

    /** Whether {@code cdb} from {@code nexus} must end in RESERVATION CONFLICT (SPC-4 5.9.1 and 5.9.10). */
    boolean conflicts(ItNexus nexus, byte[] cdb);

    /** A logical unit reset: SPC-2 reservations are released; persistent ones stay. */
    void logicalUnitReset();

    /**
     * A logical unit reset through the unit whose unit-attention sink is {@code resetUnit}, which
     * reports it to its own nexuses: reservations that other units share report it to theirs.
     */
    default void logicalUnitReset(final UnitAttentionSink resetUnit) {
        logicalUnitReset();
    }

    /** {@code nexus} is gone: an SPC-2 reservation it held is released; persistent state stays. */
    void nexusLost(ItNexus nexus);

    /**
     * The logical unit whose unit-attention sink is {@code unit} no longer serves these reservations
     * (its LUN was unmapped): nothing is to be raised there any more. Reservations built for one unit
     * alone need do nothing.
     */
    default void detach(UnitAttentionSink unit) {
    }
}
