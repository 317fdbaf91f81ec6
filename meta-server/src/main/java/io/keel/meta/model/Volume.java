package io.keel.meta.model;

/**
 * A virtual disk in a pool, cut into extents of {@code extentSize} bytes (the last one may be only
 * partly inside the volume). {@code servingNode} is the node whose access server serves it, or
 * {@code null}. {@code qos} are the volume's own QoS limits, or {@code null} when its pool's hold.
 */
public record Volume(String id, String name, String pool, long sizeBytes, Provisioning provisioning,
        String servingNode, VolumeState state, long createdAt, long extentSize, QosLimits qos) {

    /** The default extent size, 256 MiB. */
    public static final long DEFAULT_EXTENT_SIZE = 256L << 20;

    /** How many extents a volume of {@code sizeBytes} has with extents of {@code extentSize}. */
    public static long extentCount(final long sizeBytes, final long extentSize) {
        return (sizeBytes + extentSize - 1) / extentSize;
    }

    /** The volume with {@code qos} as its own QoS limits ({@code null}: its pool's). */
    public Volume withQos(final QosLimits limits) {
        return new Volume(id, name, pool, sizeBytes, provisioning, servingNode, state, createdAt, extentSize, limits);
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
