package io.keel.chunk.store;

import com.codahale.metrics.MetricRegistry;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.SystemClock;
import java.time.Duration;

/**
 * How a chunk store runs (as opposed to how its device is laid out, which is fixed at format):
 * journal group-commit limits, when a worker checkpoints, the scrubber's pace and how often it starts
 * a pass, the clock and where metrics go.
 *
 * @param journalBatchBytes most bytes one journal write carries
 * @param journalBatchDelay longest a journal batch waits for more records (zero: natural batching only)
 * @param checkpointThreshold fraction of a journal in use that starts a checkpoint
 * @param scrubBytesPerSecond pace of the background scrubber; zero turns it off
 * @param scrubPassInterval how often a background scrub pass starts at most (counted from one pass's
 *     start to the next), so that a small store is not re-read over and over
 * @param metrics where metrics are registered, or null
 */
public record StoreOptions(int journalBatchBytes, Duration journalBatchDelay, double checkpointThreshold,
        long scrubBytesPerSecond, Duration scrubPassInterval, Clock clock, MetricRegistry metrics) {

    /** The default {@link #scrubPassInterval}: a day. */
    public static final Duration DEFAULT_SCRUB_PASS_INTERVAL = Duration.ofHours(24);

    public StoreOptions {
        if (journalBatchBytes < 4096) {
            throw new IllegalArgumentException("journalBatchBytes must be at least 4096, not " + journalBatchBytes);
        }
        if (journalBatchDelay.isNegative()) {
            throw new IllegalArgumentException("journalBatchDelay must not be negative");
        }
        if (!(checkpointThreshold > 0 && checkpointThreshold < 0.9)) {
            throw new IllegalArgumentException("checkpointThreshold must be in (0, 0.9), not " + checkpointThreshold);
        }
        if (scrubBytesPerSecond < 0) {
            throw new IllegalArgumentException("scrubBytesPerSecond must not be negative");
        }
        if (!scrubPassInterval.isPositive()) {
            throw new IllegalArgumentException("scrubPassInterval must be positive, not " + scrubPassInterval);
        }
    }

    /**
     * 1 MiB batches, no added delay, checkpoint at half a journal, scrub 16 MiB/s starting a pass at
     * most once a day, system clock, no metrics.
     */
    public static StoreOptions defaults() {
        return new StoreOptions(1 << 20, Duration.ZERO, 0.5, 16L << 20, DEFAULT_SCRUB_PASS_INTERVAL,
                SystemClock.INSTANCE, null);
    }

    public StoreOptions withMetrics(final MetricRegistry registry) {
        return new StoreOptions(journalBatchBytes, journalBatchDelay, checkpointThreshold, scrubBytesPerSecond,
                scrubPassInterval, clock, registry);
    }

    public StoreOptions withScrubBytesPerSecond(final long bytesPerSecond) {
        return new StoreOptions(journalBatchBytes, journalBatchDelay, checkpointThreshold, bytesPerSecond,
                scrubPassInterval, clock, metrics);
    }

    public StoreOptions withScrubPassInterval(final Duration interval) {
        return new StoreOptions(journalBatchBytes, journalBatchDelay, checkpointThreshold, scrubBytesPerSecond,
                interval, clock, metrics);
    }

    public StoreOptions withCheckpointThreshold(final double threshold) {
        return new StoreOptions(journalBatchBytes, journalBatchDelay, threshold, scrubBytesPerSecond,
                scrubPassInterval, clock, metrics);
    }
}
