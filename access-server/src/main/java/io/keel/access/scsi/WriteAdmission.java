package io.keel.access.scsi;

/**
 * What a volume's QoS limit took ahead for one write whose data was still to come
 * ({@link BlockBackend#admitWrite}). When the limit made the write wait ({@link #waits}), the
 * write's data may be asked for only once the admission's callback ran. The write hands the
 * admission back to the backend, which then lets it through without waiting again; a write that
 * never reaches the backend (aborted or refused) releases it, so its tokens go back to the volume
 * and a callback not yet run never runs.
 */
public interface WriteAdmission {

    /** An admission for which nothing was taken (no limit): the write goes at once. */
    WriteAdmission NONE = () -> { };

    /** Whether the write must wait for the admission's callback before its data is asked for. */
    default boolean waits() {
        return false;
    }

    /** Gives back what was taken unless the write spent it, and cancels a callback not yet run; once. */
    void release();
}
