package io.keel.journal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Records packed back to back in one aligned buffer, written with one device write at
 * {@link #position}, optionally preceded by a padding record at {@link #paddingPosition} that
 * fills the region up to its end (the batch then starts at the region start).
 */
final class Batch {

    final ByteBuffer buffer;
    final boolean pooled;
    final List<AppendHandle> handles = new ArrayList<>();
    long position;
    long paddingPosition = -1;
    int length;
    long firstSequence;
    long lastSequence;
    boolean barrier;
    /** When its first record was appended (the journal's clock). */
    long openedNanos;

    Batch(final ByteBuffer buffer, final boolean pooled) {
        this.buffer = buffer;
        this.pooled = pooled;
    }

    int records() {
        return (int) (lastSequence - firstSequence + 1);
    }

    void reset(final long startPosition, final long padding, final long nextSequence, final long nowNanos) {
        openedNanos = nowNanos;
        position = startPosition;
        paddingPosition = padding;
        length = 0;
        firstSequence = nextSequence;
        lastSequence = nextSequence - 1;
        barrier = false;
        handles.clear();
        // The last write of a pooled buffer left its limit at that batch's end.
        buffer.clear();
    }

    /** Zeroes the bytes between the last record and the next block boundary, which are written too. */
    void zeroTail(final int block) {
        int end = (int) Aligned.up(length, block);
        for (int i = length; i < end; i++) {
            buffer.put(i, (byte) 0);
        }
    }
}
