package io.keel.journal;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The byte range a {@link Journal} owns on some device: positions start at 0 and end at
 * {@link #size()}. Writes and reads use direct buffers whose address, position and length are
 * multiples of {@link #alignment()} (the device may be opened with O_DIRECT). A completed write is
 * durable only after a later {@link #flush()} returns: devices here have a volatile write cache.
 */
public interface JournalDevice {

    /** Bytes every write and read position and length must be a multiple of (a power of two). */
    int alignment();

    /** Size of the range in bytes, a multiple of {@link #alignment()}. */
    long size();

    /** Writes all remaining bytes of {@code source} at {@code position}. */
    void write(long position, ByteBuffer source) throws IOException;

    /** Fills all remaining bytes of {@code target} from {@code position}. */
    void read(long position, ByteBuffer target) throws IOException;

    /** Makes every write that completed before this call durable (fdatasync). */
    void flush() throws IOException;

    /**
     * Writes all remaining bytes of {@code source} at {@code position} and returns once they are
     * durable; promises nothing about other writes. A device opened write-through (O_DSYNC) does it
     * in one call, which on disks with a volatile cache costs less than a write and a flush.
     */
    default void writeDurably(final long position, final ByteBuffer source) throws IOException {
        write(position, source);
        flush();
    }
}
