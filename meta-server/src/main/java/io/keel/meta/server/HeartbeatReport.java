package io.keel.meta.server;

import java.util.List;

/**
 * What a node tells the meta leader at every heartbeat: its devices' capacity and free space,
 * the extents it holds, its load and the iSCSI sessions logged in to it.
 *
 * @param nodeId        the reporting node
 * @param disks         every data device of the node
 * @param extentIds     the extents its chunk stores hold
 * @param loadAverage   the node's one-minute load average (negative when unknown)
 * @param iscsiSessions the normal iSCSI sessions logged in to its portal (none when absent)
 */
public record HeartbeatReport(String nodeId, List<DiskReport> disks, List<Long> extentIds, double loadAverage,
        List<IscsiSession> iscsiSessions) {

    /** Copies the lists; a report without sessions (a node without the access role) has none. */
    public HeartbeatReport {
        disks = List.copyOf(disks);
        extentIds = List.copyOf(extentIds);
        iscsiSessions = iscsiSessions == null ? List.of() : List.copyOf(iscsiSessions);
    }

    /**
     * One iSCSI session logged in to the node's portal.
     *
     * @param target           the target's IQN
     * @param initiator        the initiator's iSCSI name
     * @param isid             the initiator session id (12 hex digits)
     * @param tsih             the target session identifying handle
     * @param initiatorAddress where the initiator connects from ({@code host:port})
     */
    public record IscsiSession(String target, String initiator, String isid, int tsih, String initiatorAddress) {
    }

    /**
     * One device's capacity and free space.
     *
     * @param diskId        the device id from its superblock
     * @param capacityBytes what the device can hold
     * @param freeBytes     what is still free
     */
    public record DiskReport(String diskId, long capacityBytes, long freeBytes) {
    }

    /** Free bytes over all the node's devices. */
    public long freeBytes() {
        return disks.stream().mapToLong(DiskReport::freeBytes).sum();
    }

    /** Capacity over all the node's devices. */
    public long capacityBytes() {
        return disks.stream().mapToLong(DiskReport::capacityBytes).sum();
    }
}
