package io.keel.meta.command;

/**
 * A log entry that this build cannot decode: either written by a newer format version (this node
 * must be upgraded before it may apply further) or malformed.
 */
public final class EntryFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final boolean newerVersion;

    EntryFormatException(final String message, final boolean newerVersion, final Throwable cause) {
        super(message, cause);
        this.newerVersion = newerVersion;
    }

    /** Whether the entry has a format version newer than {@link CommandCodec#FORMAT_VERSION}. */
    public boolean newerVersion() {
        return newerVersion;
    }
}
