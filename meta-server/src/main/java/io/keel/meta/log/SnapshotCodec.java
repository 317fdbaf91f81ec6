package io.keel.meta.log;

import java.nio.ByteBuffer;

/** Encodes and checks the completion marker of a snapshot in ZooKeeper (docs/meta-log-format.md). */
final class SnapshotCodec {

    static final int MAGIC = 0x4B534E50; // "KSNP"
    static final short VERSION = 1;
    static final int MARKER_SIZE = 4 + 2 + 2 + 8 + 8 + 4 + 8 + 4 + 4;

    /** What a complete snapshot's marker says about it. */
    record Marker(long index, long term, int chunks, long totalBytes, int payloadCrc) {
    }

    private SnapshotCodec() {
    }

    static byte[] encode(final Marker m) {
        ByteBuffer buf = ByteBuffer.allocate(MARKER_SIZE);
        buf.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(m.index()).putLong(m.term())
                .putInt(m.chunks()).putLong(m.totalBytes()).putInt(m.payloadCrc());
        buf.putInt(BatchCodec.crc(buf.array(), buf.position()));
        return buf.array();
    }

    static Marker decode(final String where, final byte[] data) {
        if (data == null || data.length < 8) {
            throw new LogFormatException("snapshot marker " + where + " is truncated");
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        if (buf.getInt() != MAGIC) {
            throw new LogFormatException("snapshot marker " + where + " is not a Keel snapshot marker");
        }
        short version = buf.getShort();
        if (version != VERSION) {
            throw new LogFormatException("snapshot " + where + " has format version " + version
                    + "; this member reads only version " + VERSION + " (written by a newer Keel?)");
        }
        if (data.length != MARKER_SIZE) {
            throw new LogFormatException("snapshot marker " + where + " has " + data.length + " bytes, not "
                    + MARKER_SIZE);
        }
        int stored = ByteBuffer.wrap(data, MARKER_SIZE - 4, 4).getInt();
        if (stored != BatchCodec.crc(data, MARKER_SIZE - 4)) {
            throw new LogFormatException("snapshot marker " + where + " fails its checksum");
        }
        buf.getShort();
        Marker m = new Marker(buf.getLong(), buf.getLong(), buf.getInt(), buf.getLong(), buf.getInt());
        if (m.index() < 1 || m.chunks() < 0 || m.totalBytes() < 0) {
            throw new LogFormatException("snapshot marker " + where + " is inconsistent: " + m);
        }
        return m;
    }
}
