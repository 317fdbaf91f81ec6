package io.keel.access.scsi;

/**
 * What a volume's QoS limit took ahead for one write whose data was still to come
 * ({@link BlockBackend#admitWrite}): the write hands it back to the backend, which then lets it
 * through without waiting again; a write that never reaches the backend (aborted or refused)
 * releases it, so its tokens go back to the volume.
 */
public interface WriteAdmission {

    /** An admission for which nothing was taken (no limit). */
    WriteAdmission NONE = () -> { };

    /** Gives back what was taken unless the write spent it; later calls do nothing. */
    void release();
}
