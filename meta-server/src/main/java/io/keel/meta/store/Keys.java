package io.keel.meta.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The LevelDB key layout (docs/metadata-format.md). Keys are an ASCII prefix ending in '/', then
 * UTF-8 names or ids, with 0x00 between components (names and ids never contain it) and
 * 8-byte big-endian numbers, so LevelDB's bytewise order lists numbers in numeric order.
 */
final class Keys {

    static final byte[] FORMAT = ascii("m/format");
    static final byte[] APPLIED = ascii("m/applied");
    static final byte[] NEXT_EXTENT = ascii("m/next-extent");
    static final byte[] RESULT_COUNT = ascii("m/result-count");
    static final byte[] ADMIN = ascii("m/admin");
    static final byte[] DISCOVERY_CHAP = ascii("m/iscsi-discovery-chap");

    static final byte[] NODES = ascii("n/");
    static final byte[] NODE_NAMES = ascii("nn/");
    static final byte[] NODE_DISKS = ascii("nd/");
    static final byte[] NODE_PLACED = ascii("np/");
    static final byte[] DISKS = ascii("d/");
    static final byte[] POOLS = ascii("p/");
    static final byte[] POOL_VOLUMES = ascii("pv/");
    static final byte[] VOLUMES = ascii("v/");
    static final byte[] VOLUME_NAMES = ascii("vn/");
    static final byte[] VOLUME_EXTENTS = ascii("ve/");
    static final byte[] VOLUME_SNAPSHOTS = ascii("vs/");
    static final byte[] VOLUME_TARGETS = ascii("vt/");
    static final byte[] SCSI_RESERVATIONS = ascii("vpr/");
    static final byte[] EXTENTS = ascii("e/");
    static final byte[] SNAPSHOTS = ascii("s/");
    static final byte[] TARGETS = ascii("t/");
    static final byte[] RESULTS = ascii("r/");
    static final byte[] RESULT_INDEX = ascii("ri/");

    static final byte[] EMPTY = new byte[0];

    private Keys() {
    }

    static byte[] node(final String id) {
        return key(NODES, id);
    }

    static byte[] nodeName(final String name) {
        return key(NODE_NAMES, name);
    }

    static byte[] nodeDisk(final String nodeId, final String diskId) {
        return key(NODE_DISKS, nodeId, diskId);
    }

    static byte[] nodeDisks(final String nodeId) {
        return prefix(NODE_DISKS, nodeId);
    }

    static byte[] nodePlaced(final String nodeId) {
        return key(NODE_PLACED, nodeId);
    }

    static byte[] disk(final String id) {
        return key(DISKS, id);
    }

    static byte[] pool(final String name) {
        return key(POOLS, name);
    }

    static byte[] poolVolume(final String pool, final String volumeId) {
        return key(POOL_VOLUMES, pool, volumeId);
    }

    static byte[] poolVolumes(final String pool) {
        return prefix(POOL_VOLUMES, pool);
    }

    static byte[] volume(final String id) {
        return key(VOLUMES, id);
    }

    static byte[] volumeName(final String name) {
        return key(VOLUME_NAMES, name);
    }

    static byte[] volumeExtent(final String volumeId, final long index) {
        return concat(prefix(VOLUME_EXTENTS, volumeId), u64(index));
    }

    static byte[] volumeExtents(final String volumeId) {
        return prefix(VOLUME_EXTENTS, volumeId);
    }

    static byte[] volumeSnapshot(final String volumeId, final String name) {
        return key(VOLUME_SNAPSHOTS, volumeId, name);
    }

    static byte[] volumeSnapshots(final String volumeId) {
        return prefix(VOLUME_SNAPSHOTS, volumeId);
    }

    static byte[] volumeTarget(final String volumeId, final String iqn) {
        return key(VOLUME_TARGETS, volumeId, iqn);
    }

    static byte[] volumeTargets(final String volumeId) {
        return prefix(VOLUME_TARGETS, volumeId);
    }

    static byte[] scsiReservations(final String volumeId) {
        return key(SCSI_RESERVATIONS, volumeId);
    }

    static byte[] extent(final long id) {
        return concat(EXTENTS, u64(id));
    }

    static byte[] snapshot(final String id) {
        return key(SNAPSHOTS, id);
    }

    static byte[] target(final String iqn) {
        return key(TARGETS, iqn);
    }

    static byte[] result(final String changeId) {
        return key(RESULTS, changeId);
    }

    static byte[] resultIndex(final long index) {
        return concat(RESULT_INDEX, u64(index));
    }

    static byte[] u64(final long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    static long u64(final byte[] b) {
        return ByteBuffer.wrap(b).getLong();
    }

    static byte[] u32(final int v) {
        return ByteBuffer.allocate(4).putInt(v).array();
    }

    static int u32(final byte[] b) {
        return ByteBuffer.wrap(b).getInt();
    }

    static String utf8(final byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The text after {@code prefix} in {@code key}. */
    static String suffix(final byte[] key, final byte[] prefix) {
        return new String(key, prefix.length, key.length - prefix.length, StandardCharsets.UTF_8);
    }

    static boolean startsWith(final byte[] key, final byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    // A null name (from a malformed command) is looked up as "" and so is simply not found.
    private static byte[] key(final byte[] prefix, final String a) {
        return concat(prefix, (a == null ? "" : a).getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] key(final byte[] prefix, final String a, final String b) {
        return concat(prefix(prefix, a), (b == null ? "" : b).getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] prefix(final byte[] prefix, final String a) {
        return concat(prefix, (a == null ? "" : a).getBytes(StandardCharsets.UTF_8), new byte[] {0});
    }

    private static byte[] ascii(final String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(final byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        final byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
