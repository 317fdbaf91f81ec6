package io.keel.bench.store;

import io.keel.chunk.device.AlignedBuffers;
import io.keel.chunk.store.ChunkStore;
import io.keel.chunk.store.StoreStats;
import io.keel.runtime.context.Batching;
import io.keel.runtime.context.ThreadContext;
import io.keel.runtime.time.SystemClock;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * One workload against an open store: N load threads (plain virtual threads, virtual threads of a
 * Keel pool context, or platform threads) each keep one request in flight; or, for random reads
 * and writes ({@code --threading started}), one platform thread keeps N requests in flight through
 * {@link ChunkStore#startRead} and {@link ChunkStore#startWrite}, as the iSCSI target's readers do
 * (and fio's libaio engine). Random
 * workloads pick an extent and an aligned offset uniformly; sequential ones share one cursor over
 * all extents, like one fio job with iodepth N. Latency is measured around each request, from the
 * end of the ramp on.
 */
final class LoadRun {

    private static final SystemClock CLOCK = SystemClock.INSTANCE;

    private final ChunkStore store;
    private final long[] extents;
    private final BenchOptions options;
    private final long span;
    private final boolean write;
    private final boolean sequential;
    private final boolean fill;
    private final AtomicLong cursor = new AtomicLong();
    private final LongAdder completed = new LongAdder();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private volatile boolean stop;
    private long measureFrom;
    private long measureUntil;
    private CpuUse cpuUse = CpuUse.UNKNOWN;

    LoadRun(final ChunkStore store, final long[] extents, final BenchOptions options) {
        this.store = store;
        this.extents = extents;
        this.options = options;
        this.span = extents.length * store.extentSize();
        String workload = options.workload();
        this.fill = workload.equals("fill");
        this.write = fill || workload.equals("randwrite") || workload.equals("seqwrite");
        this.sequential = fill || workload.equals("seqwrite");
        if (!write && !workload.equals("randread")) {
            throw new IllegalArgumentException("unknown workload " + workload);
        }
        if (store.extentSize() % options.blockBytes() != 0 || options.blockBytes() % store.sectorSize() != 0) {
            throw new IllegalArgumentException("--bs must divide the extent size and be whole sectors");
        }
    }

    /** What a run measured. */
    record Result(LatencyHistogram latency, double seconds, List<Long> perSecond, CpuUse cpu) {

        double iops() {
            return latency.count() / seconds;
        }

        String json(final BenchOptions options, final StoreStats stats) {
            StringJoiner timeline = new StringJoiner(",", "[", "]");
            perSecond.forEach(ops -> timeline.add(Long.toString(ops)));
            long minSecond = perSecond.stream().mapToLong(Long::longValue).min().orElse(0);
            return String.format(Locale.ROOT, "{\"tool\":\"keel\",\"label\":\"%s\",\"workload\":\"%s\","
                    + "\"threading\":\"%s\",\"threads\":%d,\"bs\":%d,\"seconds\":%.3f,\"ops\":%d,\"iops\":%.1f,"
                    + "\"mib_s\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
                    + "\"mean_us\":%.1f,\"min_second_iops\":%d,\"checkpoints\":%d,\"cpu_us_per_op\":%.2f,"
                    + "\"cpu_cores\":%.2f,\"per_second\":%s}",
                    options.label(), options.workload(), options.threading(), options.threads(), options.blockBytes(),
                    seconds, latency.count(), iops(), iops() * options.blockBytes() / (1 << 20),
                    latency.quantile(0.5) / 1e3, latency.quantile(0.99) / 1e3, latency.quantile(0.999) / 1e3,
                    latency.max() / 1e3, latency.mean() / 1e3, minSecond, stats.checkpoints(), cpu.microsPerOp(),
                    cpu.cores(), timeline);
        }
    }

    /**
     * CPU time of the whole bench process (store and load threads) over the measured window, which
     * the monitor delimits to the second: per completed operation and in cores. Far steadier than
     * IOPS on a shared VM, so A/B comparisons of a change's cost read it first. -1 when the window
     * was not seen (a run shorter than a second).
     */
    record CpuUse(double microsPerOp, double cores) {
        static final CpuUse UNKNOWN = new CpuUse(-1, -1);

        static CpuUse between(final long cpuFrom, final long opsFrom, final long atFrom, final long cpuTo,
                final long opsTo, final long atTo) {
            if (cpuFrom < 0 || cpuTo < 0 || opsTo <= opsFrom || atTo <= atFrom) {
                return UNKNOWN;
            }
            double cpu = cpuTo - cpuFrom;
            return new CpuUse(cpu / 1e3 / (opsTo - opsFrom), cpu / (atTo - atFrom));
        }
    }

    /** CPU nanoseconds this process used so far, or -1 where the JVM does not say. */
    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    Result run() throws Exception {
        boolean started = options.threading().equals("started");
        int threads = started ? 1 : options.threads();
        LatencyHistogram[] histograms = new LatencyHistogram[threads];
        CountDownLatch done = new CountDownLatch(threads);
        long start = CLOCK.nanoTime();
        measureFrom = start + options.ramp().toNanos();
        measureUntil = fill ? Long.MAX_VALUE : measureFrom + options.duration().toNanos();
        ThreadContext pool = options.threading().equals("keel") ? ThreadContext.pool("bench", options.carriers())
                : null;
        try {
            for (int i = 0; i < threads; i++) {
                LatencyHistogram histogram = new LatencyHistogram();
                histograms[i] = histogram;
                Runnable body = () -> {
                    try {
                        if (started) {
                            startedLoop(histogram);
                        } else {
                            loop(histogram);
                        }
                    } catch (IOException | RuntimeException e) {
                        failure.compareAndSet(null, e);
                        stop = true;
                    } finally {
                        done.countDown();
                    }
                };
                if (pool != null) {
                    pool.spawn("load-" + i, () -> {
                        body.run();
                        return null;
                    });
                } else if (started || options.threading().equals("platform")) {
                    Thread.ofPlatform().name("load-" + i).start(body);
                } else {
                    Thread.ofVirtual().name("load-" + i).start(body);
                }
            }
            List<Long> perSecond = monitor(done);
            CpuUse cpu = cpuUse;
            long finished = CLOCK.nanoTime();
            if (failure.get() != null) {
                throw failure.get();
            }
            LatencyHistogram all = new LatencyHistogram();
            for (LatencyHistogram histogram : histograms) {
                all.add(histogram);
            }
            double seconds = (Math.min(finished, measureUntil) - Math.min(measureFrom, finished)) / 1e9;
            return new Result(all, Math.max(seconds, 1e-9), perSecond, cpu);
        } finally {
            if (pool != null) {
                pool.close();
            }
        }
    }

    /** Samples completions once a second until every load thread is done; prints progress to stderr. */
    private List<Long> monitor(final CountDownLatch done) throws InterruptedException {
        List<Long> perSecond = new ArrayList<>();
        long last = 0;
        long lastAt = CLOCK.nanoTime();
        long cpuFrom = -1;
        long opsFrom = 0;
        long atFrom = 0;
        boolean windowClosed = false;
        while (!done.await(1, TimeUnit.SECONDS)) {
            long now = CLOCK.nanoTime();
            long total = completed.sum();
            if (cpuFrom < 0 && now >= measureFrom) {
                cpuFrom = processCpuNanos();
                opsFrom = total;
                atFrom = now;
            } else if (cpuFrom >= 0 && !windowClosed && now >= measureUntil) {
                cpuUse = CpuUse.between(cpuFrom, opsFrom, atFrom, processCpuNanos(), total, now);
                windowClosed = true;
            }
            long ops = Math.round((total - last) * 1e9 / (now - lastAt));
            if (now > measureFrom + 500_000_000L && (fill || now <= measureUntil + 500_000_000L)) {
                perSecond.add(ops);
            }
            if (fill) {
                System.err.printf(Locale.ROOT, "  fill: %d%% %d ops/s%n", Math.min(100, cursor.get() * 100 / span),
                        ops);
            }
            last = total;
            lastAt = now;
        }
        if (!windowClosed && cpuFrom >= 0) {
            cpuUse = CpuUse.between(cpuFrom, opsFrom, atFrom, processCpuNanos(), completed.sum(), CLOCK.nanoTime());
        }
        return perSecond;
    }

    /** One request kept in flight by {@link #startedLoop}: its buffer and when it started. */
    private static final class InFlight {
        final ByteBuffer buffer;
        long began;
        long sequence;

        InFlight(final int bytes) {
            this.buffer = AlignedBuffers.allocate(bytes);
            byte[] noise = new byte[bytes];
            ThreadLocalRandom.current().nextBytes(noise);
            buffer.put(0, noise);
            sequence = ThreadLocalRandom.current().nextLong();
        }
    }

    /**
     * Keeps {@code threads} random requests in flight: this thread starts them, and each
     * completion starts the next one on the thread that completed it (a device's completion thread
     * for reads, which submits all it starts in one call; the journal's committer for writes, which
     * commits all it starts in one batch), as fio's libaio engine reaps and submits on one thread.
     * Returns once all have ended.
     */
    private void startedLoop(final LatencyHistogram histogram) throws IOException {
        CountDownLatch ended = new CountDownLatch(options.threads());
        Batching.run(() -> {
            for (int i = 0; i < options.threads(); i++) {
                startNext(new InFlight(options.blockBytes()), histogram, ended);
            }
        });
        try {
            ended.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted with reads in flight");
        }
    }

    /**
     * Starts {@code request} at a random place unless the run is over; while the store declines
     * (a write while a checkpoint makes room in the journal), a virtual thread does it the blocking
     * way and goes on from there, so that no completion thread ever blocks.
     */
    private void startNext(final InFlight request, final LatencyHistogram histogram, final CountDownLatch ended) {
        if (stop || CLOCK.nanoTime() >= measureUntil) {
            ended.countDown();
            return;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long extentSize = store.extentSize();
        long position = random.nextLong(extents.length) * extentSize
                + random.nextLong(extentSize / options.blockBytes()) * options.blockBytes();
        long extent = extents[(int) (position / extentSize)];
        long offset = position % extentSize;
        request.began = CLOCK.nanoTime();
        ByteBuffer buffer = request.buffer.clear();
        Consumer<IOException> done = failure -> {
            if (failure != null) {
                fail(failure, ended);
            } else {
                record(request, histogram);
                startNext(request, histogram, ended);
            }
        };
        try {
            if (write) {
                buffer.putLong(0, request.sequence++);
            }
            if (write ? store.startWrite(extent, StoreBench.EPOCH, offset, buffer, done)
                    : store.startRead(extent, offset, buffer, done)) {
                return;
            }
        } catch (IOException | RuntimeException e) {
            fail(e, ended);
            return;
        }
        Thread.ofVirtual().start(() -> {
            try {
                if (write) {
                    store.write(extent, StoreBench.EPOCH, offset, buffer);
                } else {
                    store.read(extent, offset, buffer);
                }
            } catch (IOException | RuntimeException e) {
                fail(e, ended);
                return;
            }
            done.accept(null);
        });
    }

    private void record(final InFlight request, final LatencyHistogram histogram) {
        long now = CLOCK.nanoTime();
        completed.increment();
        if (request.began >= measureFrom) {
            synchronized (histogram) {
                histogram.record(now - request.began);
            }
        }
    }

    private void fail(final Exception e, final CountDownLatch ended) {
        failure.compareAndSet(null, e);
        stop = true;
        ended.countDown();
    }

    private void loop(final LatencyHistogram histogram) throws IOException {
        int bytes = options.blockBytes();
        ByteBuffer buffer = AlignedBuffers.allocate(bytes);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] noise = new byte[bytes];
        random.nextBytes(noise);
        buffer.put(0, noise);
        long extentSize = store.extentSize();
        long sectorsPerExtent = extentSize / bytes;
        long sequence = random.nextLong();
        while (!stop) {
            long position;
            if (sequential) {
                position = cursor.getAndAdd(bytes);
                if (fill && position >= span) {
                    return;
                }
                position %= span;
            } else {
                position = random.nextLong(extents.length) * extentSize + random.nextLong(sectorsPerExtent) * bytes;
            }
            long extent = extents[(int) (position / extentSize)];
            long offset = position % extentSize;
            buffer.clear();
            long began = CLOCK.nanoTime();
            if (began >= measureUntil) {
                return;
            }
            if (write) {
                buffer.putLong(0, sequence++);
                store.write(extent, StoreBench.EPOCH, offset, buffer);
            } else {
                store.read(extent, offset, buffer);
            }
            long ended = CLOCK.nanoTime();
            completed.increment();
            if (began >= measureFrom) {
                histogram.record(ended - began);
            }
        }
    }
}
