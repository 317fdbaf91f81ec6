package io.keel.journal;

import java.io.IOException;

/**
 * The device does not hold a journal this Keel can open: no journal header, both header copies
 * corrupt, a newer format version, or a different journal id than the caller expected.
 */
public class JournalFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** A format problem described by {@code message}. */
    public JournalFormatException(final String message) {
        super(message);
    }
}
