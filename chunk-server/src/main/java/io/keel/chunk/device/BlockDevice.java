package io.keel.chunk.device;

import io.keel.journal.JournalDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

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

    /** One write of a {@link #writeAll} batch: all remaining bytes of {@code source} at {@code position}. */
    record Write(long position, ByteBuffer source) {
    }

    /**
     * Writes every piece of {@code batch} and returns once all completed; no flush. The pieces may
     * be in flight together and complete in any order, so they must not overlap. A failure is
     * thrown only once no piece is still being written (the buffers are the caller's). The
     * sources' positions stay where they were.
     */
    default void writeAll(List<Write> batch) throws IOException {
        for (Write piece : batch) {
            write(piece.position(), piece.source().duplicate());
        }
    }

    /** One read of a {@link #startReads} batch: all remaining bytes of {@code target} from {@code position}. */
    record Read(long position, ByteBuffer target) {
    }

    /**
     * Starts every read of {@code batch} without waiting for them and returns true; {@code done}
     * then runs exactly once, when all have finished, with null or the first failure, on a thread
     * of the device's (it must be quick and must not block). Returns false, having started
     * nothing, when the device cannot read this way right now (no asynchronous I/O here, or as
     * many reads in flight as it takes): the caller reads with {@link #read}. The targets'
     * positions stay put.
     */
    default boolean startReads(List<Read> batch, Consumer<IOException> done) throws IOException {
        return false;
    }

    /** Reads started by {@link #startReads} and not yet finished (a gauge). */
    default int readsInFlight() {
        return 0;
    }

    /**
     * Whether the first write to a place may have to allocate it (a plain file standing in for a
     * device, which may be sparse): such a write costs more, and a durable one also waits for the
     * allocation's metadata to be durable. Regions written over and over (journals) are worth
     * writing once in full at format.
     */
    default boolean allocatesOnFirstWrite() {
        return false;
    }

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
