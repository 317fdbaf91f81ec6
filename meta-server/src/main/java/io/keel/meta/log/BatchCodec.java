package io.keel.meta.log;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/** Encodes and checks the data of one batch znode (format in docs/meta-log-format.md). */
final class BatchCodec {

    static final int MAGIC = 0x4B4C4F47; // "KLOG"
    static final short VERSION = 1;
    /** Header (magic, version, flags, term, first index, count) and the trailing checksum. */
    static final int OVERHEAD = 4 + 2 + 2 + 8 + 8 + 4 + 4;
    /** Length prefix of each entry. */
    static final int PER_ENTRY = 4;

    /** One decoded batch. */
    record Batch(long term, long firstIndex, List<byte[]> entries) {
        long lastIndex() {
            return firstIndex + entries.size() - 1;
        }
    }

    private BatchCodec() {
    }

    static int encodedSize(final List<byte[]> entries) {
        int size = OVERHEAD;
        for (byte[] e : entries) {
            size += PER_ENTRY + e.length;
        }
        return size;
    }

    static byte[] encode(final long term, final long firstIndex, final List<byte[]> entries) {
        ByteBuffer buf = ByteBuffer.allocate(encodedSize(entries));
        buf.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(term).putLong(firstIndex)
                .putInt(entries.size());
        for (byte[] e : entries) {
            buf.putInt(e.length).put(e);
        }
        buf.putInt(crc(buf.array(), buf.position()));
        return buf.array();
    }

    /**
     * Decodes batch data read from {@code where}; throws {@link LogFormatException} rather than
     * return anything that did not pass every check.
     */
    static Batch decode(final String where, final byte[] data) {
        if (data == null || data.length < OVERHEAD) {
            throw new LogFormatException("batch " + where + " is truncated: " + (data == null ? 0 : data.length)
                    + " bytes, a batch has at least " + OVERHEAD);
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        int magic = buf.getInt();
        if (magic != MAGIC) {
            throw new LogFormatException("batch " + where + " is not a Keel log batch (magic "
                    + Integer.toHexString(magic) + ")");
        }
        short version = buf.getShort();
        if (version != VERSION) {
            throw new LogFormatException("batch " + where + " has format version " + version + "; this member reads "
                    + "only version " + VERSION + " (written by a newer Keel? upgrade this member)");
        }
        int stored = ByteBuffer.wrap(data, data.length - 4, 4).getInt();
        int actual = crc(data, data.length - 4);
        if (stored != actual) {
            throw new LogFormatException("batch " + where + " fails its checksum (stored " + Integer.toHexString(stored)
                    + ", computed " + Integer.toHexString(actual) + "); not applied");
        }
        buf.getShort(); // flags: none defined in version 1
        long term = buf.getLong();
        long firstIndex = buf.getLong();
        int count = buf.getInt();
        if (firstIndex < 1 || term < 1 || count < 1 || count > (data.length - OVERHEAD) / PER_ENTRY) {
            throw new LogFormatException("batch " + where + " has a bad header: term " + term + ", first index "
                    + firstIndex + ", " + count + " entries");
        }
        List<byte[]> entries = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                int len = buf.getInt();
                if (len < 0 || len > buf.remaining() - 4) {
                    throw new LogFormatException("batch " + where + " entry " + i + " has a bad length " + len);
                }
                byte[] e = new byte[len];
                buf.get(e);
                entries.add(e);
            }
        } catch (BufferUnderflowException e) {
            throw new LogFormatException("batch " + where + " ends inside its entries");
        }
        if (buf.remaining() != 4) {
            throw new LogFormatException("batch " + where + " has " + (buf.remaining() - 4)
                    + " unexpected bytes after its entries");
        }
        return new Batch(term, firstIndex, List.copyOf(entries));
    }

    static int crc(final byte[] data, final int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, 0, length);
        return (int) crc.getValue();
    }
}
