package io.keel.journal;

import java.io.IOException;

/**
 * The journal hit a write or flush error and stopped: every append that was not yet durable, and
 * every later one, fails with this exception. A failed flush is never retried, because the kernel
 * may already have dropped the dirty pages it could not write; reopening the journal replays what
 * actually reached the disk.
 */
public class JournalFailedException extends IOException {

    private static final long serialVersionUID = 1L;

    /** A failure described by {@code message}, caused by {@code cause} (may be null). */
    public JournalFailedException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
