package io.keel.access.volume;

/**
 * The shape of a volume as the meta server defines it.
 *
 * @param volumeId the volume's id
 * @param sizeBytes bytes of the volume
 * @param extentSize bytes per extent (the last extent may be only partly inside the volume)
 * @param thin whether blocks are allocated on first write
 * @param reportedPhysicalBlockBytes the physical block size its LUNs report (512 or 4096)
 */
public record VolumeLayout(String volumeId, long sizeBytes, long extentSize, boolean thin,
        int reportedPhysicalBlockBytes) {

    /** A volume whose LUNs report 4096-byte physical blocks (512e), the stores' own block. */
    public VolumeLayout(final String volumeId, final long sizeBytes, final long extentSize, final boolean thin) {
        this(volumeId, sizeBytes, extentSize, thin, 4096);
    }

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
        if (reportedPhysicalBlockBytes != 512 && reportedPhysicalBlockBytes != 4096) {
            throw new IllegalArgumentException("volume " + volumeId + ": physical block size "
                    + reportedPhysicalBlockBytes + " must be 512 or 4096");
        }
    }

    /** The extent index holding byte {@code offset}. */
    public long extentIndex(final long offset) {
        return offset / extentSize;
    }
}
