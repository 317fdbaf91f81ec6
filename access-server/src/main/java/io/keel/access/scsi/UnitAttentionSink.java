package io.keel.access.scsi;

/** Where a logical unit's parts raise unit attention conditions for a nexus (e.g. reservations preempted). */
public interface UnitAttentionSink {

    /** Queues {@code sense} (sense key UNIT ATTENTION) for the next command from {@code nexus}. */
    void raise(ItNexus nexus, Sense sense);

    /**
     * Like {@link #raise}, but only for a nexus that has used the logical unit: what one unit of a
     * volume raises for the others, which a nexus of another target never reaches (one that comes
     * later finds POWER ON OCCURRED first anyway).
     */
    default void raiseIfKnown(ItNexus nexus, Sense sense) {
        raise(nexus, sense);
    }

    /**
     * Raises {@code sense} for every nexus of {@code nexus}'s initiator port, through whatever target
     * port, that has used the logical unit, but {@code except} (may be null): the I_T nexuses of a
     * registration made with ALL_TG_PT. A sink that does not know the unit's nexuses raises it for
     * {@code nexus} unless that is {@code except}.
     */
    default void raiseForInitiatorPort(ItNexus nexus, ItNexus except, Sense sense) {
        if (!nexus.equals(except)) {
            raise(nexus, sense);
        }
    }

    /** Raises {@code sense} for every nexus that has used the logical unit (a reset through another path). */
    default void raiseForEveryNexus(Sense sense) {
    }
}
