package io.keel.iopattern;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Groups small sequential writes into contiguous batches. It owns only the grouping: handles go out in batches,
 * never acknowledged here. Non-sequential writes pass through at once as batches of one; sequential writes are
 * held in per-key runs (several per key, so interleaved streams each coalesce) until a run ends on a
 * {@code targetBytes} boundary or holds a whole aligned block, reaches {@code maxWritesPerBatch}, times out, or
 * must make room under {@code maxPendingBytes}. Any write overlapping a held run releases that run first, so
 * overlapping writes leave in offer order. Not thread-safe: one instance per worker.
 *
 * @param <T> the caller's handle for one write
 */
public final class WriteCoalescer<T> {

    /** A held contiguous run of sequential writes; held runs of one key never overlap. */
    private static final class Run<T> {
        final long key;
        final long offset;
        long end;
        final List<T> handles = new ArrayList<>();
        final long deadline;
        final long order;

        Run(final long key, final long offset, final long deadline, final long order) {
            this.key = key;
            this.offset = offset;
            this.end = offset;
            this.deadline = deadline;
            this.order = order;
        }
    }

    private final CoalescerConfig config;
    private final Map<Long, TreeMap<Long, Run<T>>> runsByKey = new HashMap<>();
    private final TreeSet<Run<T>> byDeadline = new TreeSet<>((a, b) -> a.deadline != b.deadline
            ? Long.compare(a.deadline, b.deadline) : Long.compare(a.order, b.order));
    private long pendingBytes;
    private long runCounter;

    /** A coalescer with the given limits. */
    public WriteCoalescer(final CoalescerConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Offers one write and returns the batches it releases, in the order they must be issued: runs it
     * overlaps or displaces come before the batch holding the write (if that is released now).
     */
    public List<WriteBatch<T>> offer(final long streamKey, final long offset, final int length, final T handle,
            final boolean sequential, final long nowNanos) {
        long end = Args.rangeEnd(offset, length);
        Objects.requireNonNull(handle, "handle");
        List<WriteBatch<T>> out = new ArrayList<>(2);
        releaseOverlapping(streamKey, offset, end, out);
        if (!sequential) {
            out.add(new WriteBatch<>(streamKey, offset, length, List.of(handle), false));
            return out;
        }
        Run<T> run = runEndingAt(streamKey, offset);
        if (run != null) {
            boolean full = pendingBytes > config.maxPendingBytes() - length;
            append(run, end, length, handle);
            if (full || ready(run)) {
                release(run, out);
            }
            return out;
        }
        if (length > config.maxPendingBytes()) {
            out.add(new WriteBatch<>(streamKey, offset, length, List.of(handle), true));
            return out;
        }
        while (pendingBytes > config.maxPendingBytes() - length) {
            release(byDeadline.first(), out);
        }
        run = new Run<>(streamKey, offset, Args.saturatingAdd(nowNanos, config.maxHoldNanos()), runCounter++);
        append(run, end, length, handle);
        if (ready(run)) {
            // Nothing to gain from holding it: pass it on without registering the run.
            pendingBytes -= length;
            out.add(new WriteBatch<>(streamKey, offset, length, List.of(handle), true));
            return out;
        }
        runsByKey.computeIfAbsent(streamKey, k -> new TreeMap<>()).put(offset, run);
        byDeadline.add(run);
        return out;
    }

    /** Releases every run whose hold time is up at {@code nowNanos}, oldest first. */
    public List<WriteBatch<T>> expire(final long nowNanos) {
        List<WriteBatch<T>> out = new ArrayList<>();
        while (!byDeadline.isEmpty() && byDeadline.first().deadline <= nowNanos) {
            release(byDeadline.first(), out);
        }
        return out;
    }

    /** When {@link #expire} next has something to release; {@code Long.MAX_VALUE} when nothing is held. */
    public long nextDeadlineNanos() {
        return byDeadline.isEmpty() ? Long.MAX_VALUE : byDeadline.first().deadline;
    }

    /**
     * Releases the held runs of {@code streamKey} that overlap {@code [offset, offset + length)}, e.g. before a
     * read or unmap of that range is served from the device.
     */
    public List<WriteBatch<T>> flush(final long streamKey, final long offset, final long length) {
        long end = Args.rangeEnd(offset, length);
        List<WriteBatch<T>> out = new ArrayList<>(1);
        releaseOverlapping(streamKey, offset, end, out);
        return out;
    }

    /** Releases everything held, oldest first (shutdown, flush command). */
    public List<WriteBatch<T>> drain() {
        List<WriteBatch<T>> out = new ArrayList<>(byDeadline.size());
        while (!byDeadline.isEmpty()) {
            release(byDeadline.first(), out);
        }
        return out;
    }

    /** Bytes held in runs. */
    public long pendingBytes() {
        return pendingBytes;
    }

    /** Writes held in runs. */
    public int pendingWrites() {
        int writes = 0;
        for (Run<T> run : byDeadline) {
            writes += run.handles.size();
        }
        return writes;
    }

    private void append(final Run<T> run, final long end, final int length, final T handle) {
        run.handles.add(handle);
        run.end = end;
        pendingBytes += length;
    }

    /**
     * Whether holding the run longer gains nothing: it ends on a block boundary, or it already holds a whole
     * aligned block (every further write can only add a partial block, and the run must stay bounded).
     */
    private boolean ready(final Run<T> run) {
        long target = config.targetBytes();
        return run.handles.size() >= config.maxWritesPerBatch()
                || run.end % target == 0
                || BlockAlignment.wholeBlocks(run.offset, run.end - run.offset, target) > 0;
    }

    private Run<T> runEndingAt(final long key, final long offset) {
        TreeMap<Long, Run<T>> runs = runsByKey.get(key);
        if (runs == null) {
            return null;
        }
        Map.Entry<Long, Run<T>> before = runs.lowerEntry(offset);
        return before != null && before.getValue().end == offset ? before.getValue() : null;
    }

    private void releaseOverlapping(final long key, final long offset, final long end, final List<WriteBatch<T>> out) {
        TreeMap<Long, Run<T>> runs = runsByKey.get(key);
        if (runs == null) {
            return;
        }
        List<Run<T>> overlapping = new ArrayList<>();
        Map.Entry<Long, Run<T>> first = runs.floorEntry(offset);
        long from = first != null && first.getValue().end > offset ? first.getKey() : offset;
        Iterator<Run<T>> it = runs.subMap(from, true, end, false).values().iterator();
        while (it.hasNext()) {
            Run<T> run = it.next();
            if (run.end > offset) {
                overlapping.add(run);
            }
        }
        for (Run<T> run : overlapping) {
            release(run, out);
        }
    }

    private void release(final Run<T> run, final List<WriteBatch<T>> out) {
        TreeMap<Long, Run<T>> runs = runsByKey.get(run.key);
        runs.remove(run.offset);
        if (runs.isEmpty()) {
            runsByKey.remove(run.key);
        }
        byDeadline.remove(run);
        pendingBytes -= run.end - run.offset;
        out.add(new WriteBatch<>(run.key, run.offset, run.end - run.offset, run.handles, true));
    }
}
