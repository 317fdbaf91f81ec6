package io.keel.access.scsi;

/**
 * What a {@link BlockTarget} tells initiators about itself and the limits it enforces on every
 * logical unit (INQUIRY identification, Block Limits VPD page, queue depth).
 *
 * @param vendorId T10 vendor identification (at most 8 ASCII characters)
 * @param productId product identification (at most 16 ASCII characters)
 * @param productRevision product revision level (at most 4 ASCII characters)
 * @param maxQueueDepth commands in flight per logical unit before TASK SET FULL
 * @param maxTransferBlocks the MAXIMUM TRANSFER LENGTH of reads, writes and verifies, in 512-byte blocks
 * @param maxUnmapBlocks the MAXIMUM UNMAP LBA COUNT, also the MAXIMUM WRITE SAME LENGTH
 * @param maxUnmapDescriptors the MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT
 * @param maxCompareAndWriteBlocks the MAXIMUM COMPARE AND WRITE LENGTH (1–255)
 */
public record TargetOptions(String vendorId, String productId, String productRevision, int maxQueueDepth,
        int maxTransferBlocks, int maxUnmapBlocks, int maxUnmapDescriptors, int maxCompareAndWriteBlocks) {

    /** Validates the limits. */
    public TargetOptions {
        if (vendorId.length() > 8 || productId.length() > 16 || productRevision.length() > 4) {
            throw new IllegalArgumentException("vendor/product/revision too long");
        }
        if (maxQueueDepth < 1 || maxTransferBlocks < 1 || maxUnmapBlocks < 1 || maxUnmapDescriptors < 1
                || maxCompareAndWriteBlocks < 1 || maxCompareAndWriteBlocks > 255) {
            throw new IllegalArgumentException("limits out of range");
        }
    }

    /**
     * Keel's defaults: 1024 commands in flight per logical unit, whatever the number of sessions
     * (a shared datastore has every host of the cluster on one unit, each allowed up to its own
     * LUN queue depth, 128 for ESXi's software initiator and open-iscsi; each session is held to its
     * CmdSN window anyway), 32 MiB transfers (65536 blocks: libiscsi's WriteSame16.Unmap writes
     * that many in one WRITE(16), and initiators such as Linux cap their requests at the advertised
     * maximum anyway), 512 MiB per UNMAP/WRITE SAME, 256 descriptors, 1-block ATS.
     */
    public static TargetOptions defaults() {
        return new TargetOptions("KEEL", "Keel Volume", "0001", 1024, 65536, 1 << 20, 256, 1);
    }
}
