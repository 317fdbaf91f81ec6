package io.keel.iopattern;

import java.util.Objects;

/**
 * Suggests prefetch ranges for sequential read streams. A stream's first sequential read gets a window of
 * {@code initialWindowBytes} past its end; whenever less than half a window of prefetched data is left ahead of
 * the reader the window doubles (up to {@code maxWindowBytes}) and the next range is suggested, so prefetching
 * runs ahead of the reader instead of on every read. A read that continues no stream gets no hint and starts a
 * new stream with no window. The caller clips hints to what exists. Not thread-safe: one instance per worker.
 */
public final class ReadAheadAdvisor {

    private final ReadAheadConfig config;
    private final StreamTable table;

    /** An advisor with the given limits. */
    public ReadAheadAdvisor(final ReadAheadConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.table = new StreamTable(config.streams());
    }

    /** Records the read {@code [offset, offset + length)} under {@code streamKey} and returns what to prefetch. */
    public ReadAheadHint observe(final long streamKey, final long offset, final long length, final long nowNanos) {
        StreamTable.Stream s = table.observe(streamKey, offset, length, nowNanos);
        if (!s.sequential) {
            s.window = 0;
            s.prefetchedEnd = s.end;
            return ReadAheadHint.NONE;
        }
        if (s.window > 0 && s.prefetchedEnd - s.end >= s.window / 2) {
            return ReadAheadHint.NONE;
        }
        s.window = s.window == 0 ? config.initialWindowBytes()
                : Math.min(config.maxWindowBytes(), Args.saturatingAdd(s.window, s.window));
        long from = Math.max(s.end, s.prefetchedEnd);
        long to = Args.saturatingAdd(s.end, s.window);
        if (to <= from) {
            return ReadAheadHint.NONE;
        }
        s.prefetchedEnd = to;
        return new ReadAheadHint(from, to - from);
    }

    /** Forgets the streams of a key. */
    public void forget(final long streamKey) {
        table.forget(streamKey);
    }
}
