package io.keel.chunk.device;

import java.util.Objects;
import java.util.UUID;

/** Who a device belongs to: its cluster, its node, and its own id, all fixed when it is formatted. */
public record DeviceIdentity(UUID clusterId, UUID nodeId, UUID deviceId) {

    /** The all-zero UUID, which never names a cluster, node or device. */
    public static final UUID NONE = new UUID(0, 0);

    /** Checks that every id is present and not {@link #NONE}. */
    public DeviceIdentity {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(deviceId, "deviceId");
        if (clusterId.equals(NONE) || nodeId.equals(NONE) || deviceId.equals(NONE)) {
            throw new IllegalArgumentException("device identity ids must not be the all-zero UUID: " + describe(
                    clusterId, nodeId, deviceId));
        }
    }

    @Override
    public String toString() {
        return describe(clusterId, nodeId, deviceId);
    }

    private static String describe(UUID clusterId, UUID nodeId, UUID deviceId) {
        return "cluster " + clusterId + ", node " + nodeId + ", device " + deviceId;
    }
}
