package io.keel.meta.model;

import java.util.Set;

/**
 * A virtual disk in a pool, cut into extents of {@code extentSize} bytes (the last one may be only
 * partly inside the volume). {@code servingNode} is the node whose access server serves it, or
 * {@code null}. {@code qos} are the volume's own QoS limits, or {@code null} when its pool's hold.
 * {@code physicalBlockBytes} is the physical block size its LUNs report when it is not the default
 * 4096 (512e, the stores' own block): 512 (512n, for guests that need it). The default is kept as
 * {@code null}, so a default volume is stored byte for byte as before the field existed and builds
 * that do not know it still read it; {@link #effectivePhysicalBlockBytes} gives the size.
 */
public record Volume(String id, String name, String pool, long sizeBytes, Provisioning provisioning,
        String servingNode, VolumeState state, long createdAt, long extentSize, QosLimits qos,
        Integer physicalBlockBytes) {

    /** The default extent size, 256 MiB. */
    public static final long DEFAULT_EXTENT_SIZE = 256L << 20;

    /** The physical block size LUNs report unless the volume was created with another (512e). */
    public static final int DEFAULT_PHYSICAL_BLOCK_BYTES = 4096;

    /** The physical block sizes a volume may report: 512-byte logical blocks on 4096 (512e) or 512 (512n). */
    public static final Set<Integer> PHYSICAL_BLOCK_BYTES = Set.of(512, 4096);

    /** Keeps the default physical block size as {@code null} (left out when stored). */
    public Volume {
        if (physicalBlockBytes != null && physicalBlockBytes == DEFAULT_PHYSICAL_BLOCK_BYTES) {
            physicalBlockBytes = null;
        }
    }

    /** The physical block size the volume's LUNs report (4096 unless it was created with 512). */
    public int effectivePhysicalBlockBytes() {
        return physicalBlockBytes == null ? DEFAULT_PHYSICAL_BLOCK_BYTES : physicalBlockBytes;
    }

    /** How many extents a volume of {@code sizeBytes} has with extents of {@code extentSize}. */
    public static long extentCount(final long sizeBytes, final long extentSize) {
        return (sizeBytes + extentSize - 1) / extentSize;
    }

    /** The volume with {@code qos} as its own QoS limits ({@code null}: its pool's). */
    public Volume withQos(final QosLimits limits) {
        return new Volume(id, name, pool, sizeBytes, provisioning, servingNode, state, createdAt, extentSize, limits,
                physicalBlockBytes);
    }

    /** The volume grown (or not) to {@code newSizeBytes}. */
    public Volume withSize(final long newSizeBytes) {
        return new Volume(id, name, pool, newSizeBytes, provisioning, servingNode, state, createdAt, extentSize, qos,
                physicalBlockBytes);
    }

    /** The volume served by {@code nodeId} ({@code null}: by none). */
    public Volume withServingNode(final String nodeId) {
        return new Volume(id, name, pool, sizeBytes, provisioning, nodeId, state, createdAt, extentSize, qos,
                physicalBlockBytes);
    }

    /** The limits that hold for this volume: its own when set, else {@code poolQos}. */
    public QosLimits effectiveQos(final QosLimits poolQos) {
        return qos != null ? qos : poolQos == null ? QosLimits.UNLIMITED : poolQos;
    }

    /** How many extents this volume has. */
    public long extentCount() {
        return extentCount(sizeBytes, extentSize);
    }
}
