package io.keel.meta.store;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The snapshot stream (docs/metadata-format.md): magic {@code KEELMSNP}, u32 version, u64 applied
 * index, then records {@code u32 keyLength, key, u32 valueLength, value} in key order, a u32 0 as
 * end marker, and a u32 CRC32C over everything before it. Integers are big-endian.
 */
final class SnapshotCodec {

    static final byte[] MAGIC = "KEELMSNP".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int MAX_KEY = 64 * 1024;
    static final int MAX_VALUE = 64 * 1024 * 1024;

    private SnapshotCodec() {
    }

    /** Writes a stream for the entries {@code source} visits (all keys, in order). */
    static void write(final OutputStream out, final long index, final Kv source) throws IOException {
        final CRC32C crc = new CRC32C();
        final BufferedOutputStream buffered = new BufferedOutputStream(out, 1 << 16);
        final DataOutputStream data = new DataOutputStream(new CheckedOutputStream(buffered, crc));
        data.write(MAGIC);
        data.writeInt(VERSION);
        data.writeLong(index);
        final IOException[] failure = new IOException[1];
        source.scan(new byte[0], (k, v) -> {
            try {
                data.writeInt(k.length);
                data.write(k);
                data.writeInt(v.length);
                data.write(v);
                return true;
            } catch (IOException e) {
                failure[0] = e;
                return false;
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        data.writeInt(0);
        data.flush();
        new DataOutputStream(buffered).writeInt((int) crc.getValue());
        buffered.flush();
    }

    /** Receives the records of a stream being read; nothing is verified until {@link #read} returns. */
    @FunctionalInterface
    interface Sink {
        void accept(byte[] key, byte[] value) throws IOException;
    }

    /**
     * Reads a stream into {@code sink} and then checks its CRC; throws
     * {@link SnapshotFormatException} if anything is wrong, in which case the caller must discard
     * whatever the sink received.
     */
    static void read(final InputStream in, final long expectedIndex, final Sink sink) throws IOException {
        final CRC32C crc = new CRC32C();
        final DataInputStream data = new DataInputStream(new CheckedInputStream(new BufferedInputStream(in, 1 << 16),
                crc));
        try {
            final byte[] magic = new byte[MAGIC.length];
            data.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new SnapshotFormatException("not a Keel metadata snapshot (bad magic)");
            }
            final int version = data.readInt();
            if (version != VERSION) {
                throw new SnapshotFormatException("metadata snapshot has stream version " + version
                        + ", this build reads " + VERSION);
            }
            final long index = data.readLong();
            if (index != expectedIndex) {
                throw new SnapshotFormatException("metadata snapshot is at index " + index + ", expected "
                        + expectedIndex);
            }
            for (int keyLength = data.readInt(); keyLength != 0; keyLength = data.readInt()) {
                if (keyLength < 0 || keyLength > MAX_KEY) {
                    throw new SnapshotFormatException("metadata snapshot is corrupt: key length " + keyLength);
                }
                final byte[] key = new byte[keyLength];
                data.readFully(key);
                final int valueLength = data.readInt();
                if (valueLength < 0 || valueLength > MAX_VALUE) {
                    throw new SnapshotFormatException("metadata snapshot is corrupt: value length " + valueLength);
                }
                final byte[] value = new byte[valueLength];
                data.readFully(value);
                sink.accept(key, value);
            }
            final int computed = (int) crc.getValue();
            final int stored = data.readInt();
            if (computed != stored) {
                throw new SnapshotFormatException(String.format("metadata snapshot is corrupt: CRC32C %08x, "
                        + "stored %08x", computed, stored));
            }
        } catch (EOFException e) {
            throw new SnapshotFormatException("metadata snapshot is truncated");
        }
    }
}
