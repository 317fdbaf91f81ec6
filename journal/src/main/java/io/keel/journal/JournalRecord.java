package io.keel.journal;

import java.nio.ByteBuffer;

/**
 * One record handed to a {@link RecordHandler} during replay: its sequence number, its type and a
 * read-only view of its body, positioned at the body's first byte. The view is valid only for the
 * duration of the handler call; copy what must outlive it.
 */
public record JournalRecord(long sequence, short type, ByteBuffer body) {
}
