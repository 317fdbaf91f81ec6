package io.keel.journal;

import com.codahale.metrics.MetricRegistry;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.SystemClock;
import java.io.Flushable;
import java.time.Duration;
import java.util.Objects;

/**
 * How one journal runs: its name (in thread names, logs and metric names), the most bytes one
 * batch may carry, how long the committer may wait for more appends before writing a batch, the
 * data device to flush before a batch holding a barrier record is written (null when nothing
 * appends with a barrier), the clock, and the metric registry (null for none).
 */
public record JournalConfig(
        String name,
        int maxBatchBytes,
        Duration maxBatchDelay,
        Flushable dataBarrier,
        Clock clock,
        MetricRegistry metrics) {

    /** Default batch cap: 1 MiB. */
    public static final int DEFAULT_MAX_BATCH_BYTES = 1 << 20;
    /** Largest batch cap: each batch buffer is allocated at this size. */
    public static final int MAX_BATCH_BYTES = 256 << 20;

    /** Validates the settings. */
    public JournalConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(maxBatchDelay, "maxBatchDelay");
        Objects.requireNonNull(clock, "clock");
        if (name.isEmpty() || !name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("journal name must be non-empty [A-Za-z0-9_.-]: '" + name + "'");
        }
        if (maxBatchBytes <= 0 || maxBatchBytes > MAX_BATCH_BYTES) {
            throw new IllegalArgumentException("maxBatchBytes must be in 1.." + MAX_BATCH_BYTES + ": " + maxBatchBytes);
        }
        if (maxBatchDelay.isNegative()) {
            throw new IllegalArgumentException("maxBatchDelay must not be negative: " + maxBatchDelay);
        }
    }

    /** 1 MiB batches, no added batching delay, no data barrier, the system clock, no metrics. */
    public static JournalConfig defaults(final String name) {
        return new JournalConfig(name, DEFAULT_MAX_BATCH_BYTES, Duration.ZERO, null, SystemClock.INSTANCE, null);
    }

    /** This configuration with another data barrier. */
    public JournalConfig withDataBarrier(final Flushable barrier) {
        return new JournalConfig(name, maxBatchBytes, maxBatchDelay, barrier, clock, metrics);
    }

    /** This configuration with another metric registry. */
    public JournalConfig withMetrics(final MetricRegistry registry) {
        return new JournalConfig(name, maxBatchBytes, maxBatchDelay, dataBarrier, clock, registry);
    }

    /** This configuration with other batch limits. */
    public JournalConfig withBatching(final int batchBytes, final Duration batchDelay) {
        return new JournalConfig(name, batchBytes, batchDelay, dataBarrier, clock, metrics);
    }
}
