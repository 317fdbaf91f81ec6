package io.keel.iopattern;

import java.util.Objects;

/**
 * Classifies I/Os as sequential or random by tracking up to {@code maxStreamsPerKey} concurrent streams per
 * key (an extent id with in-extent offsets, or a volume id with volume offsets so streams cross extents).
 * An I/O is sequential when it continues a stream that has already seen {@code minRunLength} I/Os or
 * {@code minRunBytes} bytes. Not thread-safe: one instance per worker.
 */
public final class SequentialDetector {

    private final StreamTable table;

    /** A detector with the given limits. */
    public SequentialDetector(final SequentialDetectorConfig config) {
        this.table = new StreamTable(Objects.requireNonNull(config, "config"));
    }

    /** Records the I/O {@code [offset, offset + length)} under {@code streamKey} and classifies it. */
    public AccessPattern observe(final long streamKey, final long offset, final long length, final long nowNanos) {
        StreamTable.Stream s = table.observe(streamKey, offset, length, nowNanos);
        return new AccessPattern(s.sequential, s.start, s.bytes, s.runLength);
    }

    /** Forgets the streams of a key (e.g. its extent was deleted). */
    public void forget(final long streamKey) {
        table.forget(streamKey);
    }

    /** Keys currently tracked. */
    public int trackedKeys() {
        return table.keyCount();
    }

    /** Streams currently tracked over all keys (idle ones may linger until their key is touched or evicted). */
    public int trackedStreams() {
        return table.streamCount();
    }
}
