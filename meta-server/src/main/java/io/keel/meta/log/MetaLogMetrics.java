package io.keel.meta.log;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/** The replicated log's Dropwizard metrics under {@code keel.meta.log.}; does nothing without a registry. */
final class MetaLogMetrics {

    static final String PREFIX = "keel.meta.log.";
    private static final List<String> GAUGES = List.of("applied_index", "term", "is_leader");

    private final MetricRegistry registry;
    private final Timer appendLatency;
    private final Histogram batchEntries;
    private final Histogram batchBytes;
    private final Counter snapshotsWritten;
    private final Counter snapshotsRestored;
    private final Counter batchesTrimmed;
    private final Counter badData;

    MetaLogMetrics(final MetricRegistry registry, final LongSupplier applied, final LongSupplier term,
            final BooleanSupplier leader) {
        this.registry = registry;
        if (registry == null) {
            appendLatency = null;
            batchEntries = null;
            batchBytes = null;
            snapshotsWritten = null;
            snapshotsRestored = null;
            batchesTrimmed = null;
            badData = null;
            return;
        }
        appendLatency = registry.timer(PREFIX + "append_latency");
        batchEntries = registry.histogram(PREFIX + "batch_entries");
        batchBytes = registry.histogram(PREFIX + "batch_bytes");
        snapshotsWritten = registry.counter(PREFIX + "snapshots_written");
        snapshotsRestored = registry.counter(PREFIX + "snapshots_restored");
        batchesTrimmed = registry.counter(PREFIX + "batches_trimmed");
        badData = registry.counter(PREFIX + "bad_data");
        // A restarted log on the same registry replaces the gauges of the closed one.
        close();
        registry.register(PREFIX + "applied_index", (Gauge<Long>) applied::getAsLong);
        registry.register(PREFIX + "term", (Gauge<Long>) term::getAsLong);
        registry.register(PREFIX + "is_leader", (Gauge<Integer>) () -> leader.getAsBoolean() ? 1 : 0);
    }

    void appended(final long nanos) {
        if (registry != null) {
            appendLatency.update(nanos, TimeUnit.NANOSECONDS);
        }
    }

    void batch(final int entries, final int bytes) {
        if (registry != null) {
            batchEntries.update(entries);
            batchBytes.update(bytes);
        }
    }

    void snapshotWritten() {
        if (registry != null) {
            snapshotsWritten.inc();
        }
    }

    void snapshotRestored() {
        if (registry != null) {
            snapshotsRestored.inc();
        }
    }

    void trimmed(final int batches) {
        if (registry != null) {
            batchesTrimmed.inc(batches);
        }
    }

    void badData() {
        if (registry != null) {
            badData.inc();
        }
    }

    void close() {
        if (registry != null) {
            GAUGES.forEach(g -> registry.remove(PREFIX + g));
        }
    }
}
