package io.keel.chunk.device;

import io.keel.chunk.device.DeviceRefusedException.Reason;
import io.keel.chunk.device.SuperblockCodec.Blank;
import io.keel.chunk.device.SuperblockCodec.Decoded;
import io.keel.chunk.device.SuperblockCodec.Newer;
import io.keel.chunk.device.SuperblockCodec.Valid;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a formatted device: reads both superblock copies, decides which one to trust, checks it
 * belongs to this cluster, node and role, and repairs a damaged or stale copy from the good one.
 * Refusals are {@link DeviceRefusedException}s; nothing is written to a device that is refused.
 */
public final class DeviceOpener {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceOpener.class);

    private DeviceOpener() {
    }

    /** Opens {@code path} with {@link DirectFileDevice} and checks it; the device is closed if refused. */
    public static OpenedDevice open(Path path, UUID expectedClusterId, UUID expectedNodeId, DeviceRole expectedRole)
            throws IOException {
        DirectFileDevice device = DirectFileDevice.open(path);
        try {
            return open(device, expectedClusterId, expectedNodeId, expectedRole);
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /** Checks an already open {@code device}; on success the returned {@link OpenedDevice} owns it. */
    public static OpenedDevice open(BlockDevice device, UUID expectedClusterId, UUID expectedNodeId,
            DeviceRole expectedRole) throws IOException {
        Objects.requireNonNull(expectedClusterId, "expectedClusterId");
        Objects.requireNonNull(expectedNodeId, "expectedNodeId");
        Objects.requireNonNull(expectedRole, "expectedRole");
        Path path = device.path();
        SuperblockCopies.Found found = SuperblockCopies.read(device);
        Decoded a = found.a();
        Decoded b = found.b();
        String both = "copy A: " + SuperblockCopies.describe(a) + "; copy B (offset " + found.bOffset() + "): "
                + SuperblockCopies.describe(b);

        int newer = Math.max(a instanceof Newer(int v) ? v : 0, b instanceof Newer(int v) ? v : 0);
        if (newer > 0) {
            throw new DeviceRefusedException(path, Reason.NEWER_FORMAT, "written by device format version "
                    + newer + "; this Keel reads up to " + SuperblockCodec.MAX_READ_VERSION);
        }
        Superblock chosen;
        int repair; // which copy to rewrite from chosen, or -1
        String why;
        if (a instanceof Valid(Superblock sa) && b instanceof Valid(Superblock sb)) {
            if (!sa.identity().equals(sb.identity())) {
                throw new DeviceRefusedException(path, Reason.COPIES_DISAGREE, "both superblock copies are valid but"
                        + " name different devices (copy A: " + sa.identity() + ", generation " + sa.generation()
                        + "; copy B: " + sb.identity() + ", generation " + sb.generation() + "); an interrupted"
                        + " format may have left them so; not guessing which is right");
            }
            if (sa.generation() != sb.generation()) {
                boolean aNewer = sa.generation() > sb.generation();
                chosen = aNewer ? sa : sb;
                repair = aNewer ? Superblock.COPY_B : Superblock.COPY_A;
                why = "it holds generation " + (aNewer ? sb : sa).generation() + ", older than the other copy's "
                        + chosen.generation();
            } else if (!sa.sameContentAs(sb)) {
                throw new DeviceRefusedException(path, Reason.COPIES_DISAGREE, "both superblock copies are valid,"
                        + " of generation " + sa.generation() + ", but differ: copy A " + sa + "; copy B " + sb);
            } else {
                chosen = sa;
                repair = -1;
                why = null;
            }
        } else if (a instanceof Valid(Superblock sa)) {
            chosen = sa;
            repair = Superblock.COPY_B;
            why = SuperblockCopies.describe(b);
        } else if (b instanceof Valid(Superblock sb)) {
            chosen = sb;
            repair = Superblock.COPY_A;
            why = SuperblockCopies.describe(a);
        } else if (a instanceof Blank && b instanceof Blank) {
            throw new DeviceRefusedException(path, Reason.NOT_FORMATTED, "no Keel superblock in either copy"
                    + " (offset 0 and offset " + found.bOffset() + ")");
        } else {
            throw new DeviceRefusedException(path, Reason.CORRUPT, "no valid superblock copy: " + both);
        }

        check(path, device, chosen, expectedClusterId, expectedNodeId, expectedRole);
        if (repair >= 0) {
            Superblock fixed = chosen.asCopy(repair);
            LOG.warn("{}: rewriting superblock copy {} at offset {} from copy {}: {}", path, letter(repair),
                    fixed.offset(), letter(chosen.copyIndex()), why);
            SuperblockCopies.write(device, fixed);
            device.flush();
        }
        return new OpenedDevice(device, chosen.asCopy(Superblock.COPY_A));
    }

    private static void check(Path path, BlockDevice device, Superblock sb, UUID cluster, UUID node, DeviceRole role)
            throws DeviceRefusedException {
        DeviceIdentity id = sb.identity();
        if (!id.clusterId().equals(cluster)) {
            throw new DeviceRefusedException(path, Reason.OTHER_CLUSTER, "belongs to cluster " + id.clusterId()
                    + " (node " + id.nodeId() + ", device " + id.deviceId() + "), expected cluster " + cluster);
        }
        if (!id.nodeId().equals(node)) {
            throw new DeviceRefusedException(path, Reason.OTHER_NODE, "belongs to node " + id.nodeId()
                    + " of cluster " + id.clusterId() + " (device " + id.deviceId() + "), expected node " + node);
        }
        if (sb.role() != role) {
            throw new DeviceRefusedException(path, Reason.WRONG_ROLE, "formatted as " + sb.role() + " (device "
                    + id.deviceId() + "), expected " + role);
        }
        if (device.size() < sb.deviceSize()) {
            throw new DeviceRefusedException(path, Reason.SIZE_MISMATCH, "device is " + device.size()
                    + " bytes but was formatted with " + sb.deviceSize() + " bytes (device " + id.deviceId() + ")");
        }
    }

    private static char letter(int copy) {
        return copy == Superblock.COPY_A ? 'A' : 'B';
    }
}
