package io.keel.journal;

import java.io.IOException;

/**
 * The handle of one appended record: its sequence number and its durability. A record is durable
 * once the device flush covering the write of its batch has returned; appends become durable in
 * sequence order.
 */
public interface JournalAppend {

    /** The sequence number assigned when the record was appended. */
    long sequence();

    /** Whether the record is durable now. */
    boolean isDurable();

    /**
     * Blocks until the record is durable; when no commit is in flight the calling thread writes
     * and flushes the pending batches itself (leader-based group commit). Throws
     * {@link JournalFailedException} if the journal failed before that, and
     * {@link java.io.InterruptedIOException} if the thread is interrupted (the record may still
     * become durable later).
     */
    void awaitDurable() throws IOException;

    /**
     * Runs {@code action} once the record is durable, or once the journal has failed without
     * making it durable (the action then sees {@link #isDurable()} false and
     * {@link #awaitDurable()} throws). Runs at once on the calling thread if either already
     * happened, otherwise on the thread that commits the record (a waiting appender or the journal's
     * committer, which commits records nobody waits for within a few milliseconds), so it must be
     * short and not block.
     */
    void whenDurable(Runnable action);
}
