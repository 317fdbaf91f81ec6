package io.keel.access.scsi;

import java.io.IOException;

/**
 * A read failed because the data at {@link #offset} cannot be read back (a damaged sector whose
 * checksum does not match): MEDIUM ERROR / UNRECOVERED READ ERROR then reports that LBA, which
 * initiators use to tell how much of the transfer before it was good.
 */
public final class UnreadableDataException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long offset;

    /** The data at byte {@code offset} of the backend is unreadable; {@code cause} says why. */
    public UnreadableDataException(final long offset, final IOException cause) {
        super("unreadable data at byte offset " + offset + ": " + cause.getMessage(), cause);
        this.offset = offset;
    }

    /** The byte offset, in the backend, of the first unreadable sector. */
    public long offset() {
        return offset;
    }
}
