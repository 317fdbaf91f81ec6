package io.keel.chunk.device;

import io.keel.journal.JournalDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * One raw device (a block device such as /dev/loop0, or a plain file standing in for one) opened
 * for direct I/O: the page cache is bypassed, so positions, lengths and buffer addresses are
 * multiples of {@link #alignment()}. A completed write is durable only after {@link #flush()}.
 * Implementations are safe for concurrent use by many threads.
 */
public interface BlockDevice extends AutoCloseable {

    /** Where the device lives, for messages. */
    Path path();

    /** Usable size in bytes, a multiple of {@link #alignment()}. */
    long size();

    /** The direct-I/O alignment in bytes (4096). */
    int alignment();

    /** Fills all remaining bytes of {@code target} from {@code position}. */
    void read(long position, ByteBuffer target) throws IOException;

    /** Writes all remaining bytes of {@code source} at {@code position}. */
    void write(long position, ByteBuffer source) throws IOException;

    /** Makes every write that completed before this call durable (fdatasync). */
    void flush() throws IOException;

    /**
     * Writes all remaining bytes of {@code source} at {@code position} and returns once they are
     * durable (as O_DSYNC does); promises nothing about other writes.
     */
    default void writeDurably(long position, ByteBuffer source) throws IOException {
        write(position, source);
        flush();
    }

    /** A view of {@code [offset, offset + length)} that a journal can own. */
    JournalDevice region(long offset, long length);

    @Override
    void close() throws IOException;
}
