package io.keel.meta.server;

import java.util.List;

/**
 * What a node tells the meta leader at every heartbeat: its devices' capacity and free space,
 * the extents it holds and its load.
 *
 * @param nodeId      the reporting node
 * @param disks       every data device of the node
 * @param extentIds   the extents its chunk stores hold
 * @param loadAverage the node's one-minute load average (negative when unknown)
 */
public record HeartbeatReport(String nodeId, List<DiskReport> disks, List<Long> extentIds, double loadAverage) {

    /** Copies the lists. */
    public HeartbeatReport {
        disks = List.copyOf(disks);
        extentIds = List.copyOf(extentIds);
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
