package io.keel.access.scsi;

/** Where a logical unit's parts raise unit attention conditions for a nexus (e.g. reservations preempted). */
public interface UnitAttentionSink {

    /** Queues {@code sense} (sense key UNIT ATTENTION) for the next command from {@code nexus}. */
    void raise(ItNexus nexus, Sense sense);
}
