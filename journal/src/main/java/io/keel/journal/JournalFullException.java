package io.keel.journal;

import java.io.IOException;

/**
 * An append that does not fit in the journal's free space. Nothing was appended; the caller
 * checkpoints, trims and retries. The journal itself stays healthy.
 */
public class JournalFullException extends IOException {

    private static final long serialVersionUID = 1L;

    /** A full journal described by {@code message}. */
    public JournalFullException(final String message) {
        super(message);
    }
}
