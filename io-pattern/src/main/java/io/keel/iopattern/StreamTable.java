package io.keel.iopattern;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bounded set of streams per key that {@link SequentialDetector} and {@link ReadAheadAdvisor} share.
 * A stream is continued by an I/O starting at its end or up to {@code maxGapBytes} past it; anything else
 * starts a new stream and leaves the existing ones alone, which is what keeps one odd I/O from flipping an
 * established stream.
 */
final class StreamTable {

    /** One tracked stream; mutable, never leaves the package. */
    static final class Stream {
        final long start;
        long end;
        long bytes;
        int runLength;
        long lastSeenNanos;
        long lastUse;
        /** Classification of the stream's latest I/O. */
        boolean sequential;
        /** Read-ahead state, used only by ReadAheadAdvisor. */
        long window;
        long prefetchedEnd;

        Stream(final long start, final long end, final long nowNanos) {
            this.start = start;
            this.end = end;
            this.bytes = end - start;
            this.runLength = 1;
            this.lastSeenNanos = nowNanos;
        }
    }

    private final SequentialDetectorConfig config;
    private final Map<Long, List<Stream>> keys;
    private long useCounter;

    StreamTable(final SequentialDetectorConfig config) {
        this.config = config;
        this.keys = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(final Map.Entry<Long, List<Stream>> eldest) {
                return size() > config.maxKeys();
            }
        };
    }

    /** Records the I/O and returns the stream it now belongs to, with {@code sequential} set for this I/O. */
    Stream observe(final long key, final long offset, final long length, final long nowNanos) {
        long end = Args.rangeEnd(offset, length);
        List<Stream> streams = keys.computeIfAbsent(key, k -> new ArrayList<>(Math.min(config.maxStreamsPerKey(), 8)));
        streams.removeIf(s -> Args.elapsed(s.lastSeenNanos, nowNanos, config.idleTimeoutNanos()));
        Stream stream = continued(streams, offset);
        if (stream != null) {
            stream.sequential = established(stream);
            stream.end = end;
            stream.bytes = Args.saturatingAdd(stream.bytes, length);
            stream.runLength = stream.runLength == Integer.MAX_VALUE ? Integer.MAX_VALUE : stream.runLength + 1;
        } else {
            if (streams.size() >= config.maxStreamsPerKey()) {
                streams.remove(victim(streams));
            }
            stream = new Stream(offset, end, nowNanos);
            streams.add(stream);
        }
        // A caller passing a slightly stale time must not make the stream look older than it is.
        stream.lastSeenNanos = Math.max(stream.lastSeenNanos, nowNanos);
        stream.lastUse = ++useCounter;
        return stream;
    }

    /** Forgets every stream of {@code key}. */
    void forget(final long key) {
        keys.remove(key);
    }

    int keyCount() {
        return keys.size();
    }

    int streamCount() {
        return keys.values().stream().mapToInt(List::size).sum();
    }

    private boolean established(final Stream stream) {
        return stream.runLength >= config.minRunLength() || stream.bytes >= config.minRunBytes();
    }

    /** The stream the I/O at {@code offset} continues: smallest gap first, then the longer run. */
    private Stream continued(final List<Stream> streams, final long offset) {
        Stream best = null;
        for (Stream s : streams) {
            if (offset < s.end || offset - s.end > config.maxGapBytes()) {
                continue;
            }
            if (best == null || offset - s.end < offset - best.end
                    || offset - s.end == offset - best.end && s.runLength > best.runLength) {
                best = s;
            }
        }
        return best;
    }

    /**
     * The stream to drop for a new one: the least recently used stream that has not yet been classified
     * sequential, so a burst of random I/O cycles through the spare slots instead of pushing out sequential
     * streams. (Counting thresholds instead would protect every one-I/O stream when {@code minRunLength} is 1.)
     */
    private Stream victim(final List<Stream> streams) {
        Stream lruAny = null;
        Stream lruTentative = null;
        for (Stream s : streams) {
            if (lruAny == null || s.lastUse < lruAny.lastUse) {
                lruAny = s;
            }
            if (!s.sequential && (lruTentative == null || s.lastUse < lruTentative.lastUse)) {
                lruTentative = s;
            }
        }
        return lruTentative != null ? lruTentative : lruAny;
    }
}
