package io.keel.journal;

import java.io.IOException;

/**
 * Receives replayed records in sequence order when a journal opens. An exception thrown here
 * aborts the open and is passed on to the caller of {@link Journal#open}.
 */
@FunctionalInterface
public interface RecordHandler {

    /** Applies one record; {@code record.body()} is only valid during this call. */
    void apply(JournalRecord record) throws IOException;
}
