package io.keel.chunk.store;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;

/**
 * A chunk store's metrics, under {@code keel.chunk.<store>.}: read and write latency histograms
 * (nanoseconds), IOPS and bytes meters, checksum errors, checkpoints and their durations (nanoseconds)
 * and applied sectors. Gauges
 * for free space, dirty sectors and worker queue depths are registered by the store. Without a
 * registry the instruments still count, they are just not published.
 */
final class StoreMetrics {

    private final Histogram readLatency = latency();
    private final Histogram writeLatency = latency();
    private final Meter reads = new Meter();
    private final Meter writes = new Meter();
    private final Meter readBytes = new Meter();
    private final Meter writeBytes = new Meter();
    private final Counter checksumErrors = new Counter();
    private final Counter checkpoints = new Counter();
    private final Histogram checkpointLatency = latency();
    private final Counter appliedSectors = new Counter();

    StoreMetrics(final MetricRegistry registry, final String prefix) {
        if (registry != null) {
            registry.register(prefix + ".read_latency_ns", readLatency);
            registry.register(prefix + ".write_latency_ns", writeLatency);
            registry.register(prefix + ".reads", reads);
            registry.register(prefix + ".writes", writes);
            registry.register(prefix + ".read_bytes", readBytes);
            registry.register(prefix + ".write_bytes", writeBytes);
            registry.register(prefix + ".checksum_errors", checksumErrors);
            registry.register(prefix + ".checkpoints", checkpoints);
            registry.register(prefix + ".checkpoint_latency_ns", checkpointLatency);
            registry.register(prefix + ".applied_sectors", appliedSectors);
        }
    }

    /**
     * A sample biased to the last minutes, as every other latency in the node: a window that keeps every
     * value held ~16 MB per busy histogram at 60 K I/Os a second, and copied it all at every metrics read.
     */
    private static Histogram latency() {
        return new Histogram(LockFreeExponentiallyDecayingReservoir.builder().build());
    }

    void read(final long bytes, final long nanos) {
        reads.mark();
        readBytes.mark(bytes);
        readLatency.update(nanos);
    }

    void wrote(final long bytes, final long nanos) {
        writes.mark();
        writeBytes.mark(bytes);
        writeLatency.update(nanos);
    }

    void checksumError() {
        checksumErrors.inc();
    }

    long checksumErrors() {
        return checksumErrors.getCount();
    }

    void checkpointed(final long nanos) {
        checkpoints.inc();
        checkpointLatency.update(nanos);
    }

    long checkpoints() {
        return checkpoints.getCount();
    }

    void applied(final long sectors) {
        appliedSectors.inc(sectors);
    }
}
