package io.keel.access.volume;

import com.codahale.metrics.Counter;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.keel.runtime.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The I/O one volume served through this node: reads and writes (timers: count, rates and latency
 * from the call to the data being in place or durable), their bytes, failed calls, and the calls
 * in flight (the volume's queue depth on this node). Registered as
 * {@code keel.volume.<volume id>.<metric>} so that an admin can tell which volume is busy or
 * failing; unregistered once the volume is gone.
 */
public final class VolumeIoMetrics {

    /** What every volume's metric names start with, before the volume id. */
    public static final String PREFIX = "keel.volume.";
    /** The metrics of each volume, named after {@code PREFIX + id + "."}. */
    public static final List<String> NAMES = List.of("read", "write", "read_bytes", "write_bytes", "errors",
            "in_flight");

    private final String volumeId;
    private final Clock clock;
    private final Timer reads = lockFreeTimer();
    private final Timer writes = lockFreeTimer();
    private final Meter readBytes = new Meter();
    private final Meter writeBytes = new Meter();
    private final Meter errors = new Meter();
    private final Counter inFlight = new Counter();
    /** The metrics in the order of {@link #NAMES}. */
    private final List<Metric> all = List.of(reads, writes, readBytes, writeBytes, errors, inFlight);
    private MetricRegistry registry;

    /** Metrics of {@code volumeId}, timed with {@code clock}, in no registry until {@link #register}. */
    public VolumeIoMetrics(final String volumeId, final Clock clock) {
        this.volumeId = volumeId;
        this.clock = clock;
    }

    /** Adds these metrics to {@code metrics} (replacing those of an earlier client of the volume); returns this. */
    public synchronized VolumeIoMetrics register(final MetricRegistry metrics) {
        unregister();
        for (int i = 0; i < NAMES.size(); i++) {
            metrics.remove(PREFIX + volumeId + "." + NAMES.get(i));
            metrics.register(PREFIX + volumeId + "." + NAMES.get(i), all.get(i));
        }
        registry = metrics;
        return this;
    }

    /**
     * Takes these metrics out of the registry they were added to, if any; metrics another instance
     * registered since under the same names stay.
     */
    public synchronized void unregister() {
        if (registry != null) {
            registry.removeMatching((name, metric) -> all.stream().anyMatch(mine -> mine == metric));
            registry = null;
        }
    }

    /**
     * A read or write starts: in flight until {@link #read}, {@link #wrote}, {@link #failed} or
     * {@link #notStarted}; returns the start time those take.
     */
    long begin() {
        inFlight.inc();
        return clock.nanoTime();
    }

    /** A call that {@link #begin began} did not start after all (another path will do it and count it). */
    void notStarted() {
        inFlight.dec();
    }

    /** A read of {@code bytes} started at {@code started} ({@link #begin}) that has just ended. */
    void read(final long bytes, final long started) {
        reads.update(clock.nanoTime() - started, TimeUnit.NANOSECONDS);
        inFlight.dec();
        readBytes.mark(bytes);
    }

    /** A write of {@code bytes} started at {@code started} ({@link #begin}) that has just become durable. */
    void wrote(final long bytes, final long started) {
        writes.update(clock.nanoTime() - started, TimeUnit.NANOSECONDS);
        inFlight.dec();
        writeBytes.mark(bytes);
    }

    /** A read or write that failed. */
    void failed() {
        errors.mark();
        inFlight.dec();
    }

    /** Reads so far. */
    public long readCount() {
        return reads.getCount();
    }

    /** Writes so far. */
    public long writeCount() {
        return writes.getCount();
    }

    /** Bytes read so far. */
    public long bytesRead() {
        return readBytes.getCount();
    }

    /** Bytes written so far. */
    public long bytesWritten() {
        return writeBytes.getCount();
    }

    /** Reads and writes in flight now. */
    public long inFlight() {
        return inFlight.getCount();
    }

    /** Failed reads and writes so far. */
    public long errorCount() {
        return errors.getCount();
    }

    private static Timer lockFreeTimer() {
        // Lock-free reservoir: the default one takes a lock and a skip-list insert on every update.
        return new Timer(LockFreeExponentiallyDecayingReservoir.builder().build());
    }
}
