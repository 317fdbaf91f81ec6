package io.keel.journal;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** A journal's Dropwizard metrics under {@code keel.journal.<name>.}; does nothing without a registry. */
final class JournalMetrics {

    private final MetricRegistry registry;
    private final String prefix;
    private final Meter appends;
    private final Counter bytes;
    private final Histogram batchRecords;
    private final Histogram batchBytes;
    private final Timer flushLatency;
    private final Timer batchWait;

    JournalMetrics(final MetricRegistry registry, final String name, final LongSupplier usedBytes) {
        this.registry = registry;
        this.prefix = "keel.journal." + name + ".";
        if (registry == null) {
            appends = null;
            bytes = null;
            batchRecords = null;
            batchBytes = null;
            flushLatency = null;
            batchWait = null;
            return;
        }
        appends = registry.meter(prefix + "appends");
        bytes = registry.counter(prefix + "bytes");
        // Lock-free reservoirs: the default one takes a lock and a skip-list insert on every update.
        batchRecords = registry.histogram(prefix + "batch_records",
                () -> new Histogram(LockFreeExponentiallyDecayingReservoir.builder().build()));
        batchBytes = registry.histogram(prefix + "batch_bytes",
                () -> new Histogram(LockFreeExponentiallyDecayingReservoir.builder().build()));
        flushLatency = registry.timer(prefix + "flush_latency",
                () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
        batchWait = registry.timer(prefix + "batch_wait",
                () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
        // A reopened journal of the same name replaces the gauge of the closed one.
        registry.remove(prefix + "used_bytes");
        registry.register(prefix + "used_bytes", (Gauge<Long>) usedBytes::getAsLong);
    }

    void appended(final long recordBytes) {
        if (registry != null) {
            appends.mark();
            bytes.inc(recordBytes);
        }
    }

    void batch(final int records, final long batchBytesWritten) {
        if (registry != null) {
            batchRecords.update(records);
            batchBytes.update(batchBytesWritten);
        }
    }

    void flushed(final long nanos) {
        if (registry != null) {
            flushLatency.update(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** How long the first record of a batch waited for the batch's write to start. */
    void waited(final long nanos) {
        if (registry != null) {
            batchWait.update(nanos, TimeUnit.NANOSECONDS);
        }
    }

    void close() {
        if (registry != null) {
            registry.remove(prefix + "used_bytes");
        }
    }
}
