package io.keel.access.volume;

/**
 * The shape of a volume as the meta server defines it.
 *
 * @param volumeId the volume's id
 * @param sizeBytes bytes of the volume
 * @param extentSize bytes per extent (the last extent may be only partly inside the volume)
 * @param thin whether blocks are allocated on first write
 */
public record VolumeLayout(String volumeId, long sizeBytes, long extentSize, boolean thin) {

    /** Checks the sizes. */
    public VolumeLayout {
        if (sizeBytes <= 0 || sizeBytes % 512 != 0) {
            throw new IllegalArgumentException("volume " + volumeId + ": size " + sizeBytes
                    + " must be a positive multiple of 512");
        }
        if (extentSize <= 0) {
            throw new IllegalArgumentException("volume " + volumeId + ": extent size " + extentSize
                    + " must be positive");
        }
    }

    /** The extent index holding byte {@code offset}. */
    public long extentIndex(final long offset) {
        return offset / extentSize;
    }
}
