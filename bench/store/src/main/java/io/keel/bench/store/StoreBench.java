package io.keel.bench.store;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.keel.chunk.device.DeviceIdentity;
import io.keel.chunk.device.DirectFileDevice;
import io.keel.chunk.device.LayoutOptions;
import io.keel.chunk.store.ChunkStore;
import io.keel.chunk.store.ExtentInfo;
import io.keel.chunk.store.StoreOptions;
import io.keel.chunk.store.StoreStats;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * End-to-end load driver for the chunk store: formats a file-backed device, then runs one timed
 * workload (random or sequential reads and writes, each acknowledged as durable by the store) from
 * N concurrent virtual threads and prints one JSON line with IOPS, bandwidth and latency quantiles.
 * {@code bench/chunk-store/run.sh} runs it next to fio on the same disk.
 */
public final class StoreBench {

    static final long EPOCH = 1;
    private static final UUID CLUSTER = new UUID(0x6b65656c2d62656eL, 1);
    private static final UUID NODE = new UUID(0x6b65656c2d62656eL, 2);
    private static final UUID DEVICE = new UUID(0x6b65656c2d62656eL, 3);

    private StoreBench() {
    }

    /** Entry point; see {@link BenchOptions#USAGE}. */
    public static void main(final String[] args) throws Exception {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        if (options.formatBytes() > 0) {
            format(options);
        }
        if (options.workload() != null) {
            run(options);
        }
        System.exit(0);
    }

    private static void format(final BenchOptions options) throws IOException {
        // A file that already has the right size (run.sh writes it in full first, as fio lays out its
        // own file) is formatted in place: a sparse file makes every first write allocate, and every
        // journal flush then waits for a file-system metadata commit that a raw device never does.
        boolean reuse = Files.isRegularFile(options.file()) && Files.size(options.file()) == options.formatBytes();
        if (!reuse) {
            Files.deleteIfExists(options.file());
        }
        try (DirectFileDevice device = reuse ? DirectFileDevice.open(options.file())
                : DirectFileDevice.create(options.file(), options.formatBytes())) {
            ChunkStore.format(device, new DeviceIdentity(CLUSTER, NODE, DEVICE),
                    LayoutOptions.defaults(options.workers()).withExtentSize(options.extentBytes())
                            .withJournalBytesPerWorker(options.journalBytes()), false);
        }
        try (ChunkStore store = open(options, null)) {
            StoreStats stats = store.stats();
            long capacity = stats.totalBlocks() * stats.blockSize();
            long span = options.extents() * store.extentSize();
            // Overwrites that move a block need free blocks while the old ones are quarantined.
            long slack = Math.max(capacity / 32, 64L * store.blockSize() * options.workers());
            if (capacity < span + slack) {
                throw new IOException("a device of " + options.formatBytes() + " bytes holds " + capacity
                        + " data bytes: too few for " + options.extents() + " extents of " + store.extentSize()
                        + " bytes plus " + slack + " bytes of slack; make it larger");
            }
            for (long id = 1; id <= options.extents(); id++) {
                store.create(id, EPOCH);
            }
            System.err.printf(Locale.ROOT, "formatted %s (%s): %d bytes, %d data bytes, %d extents of %d MiB%n",
                    options.file(), reuse ? "written file" : "new sparse file", options.formatBytes(), capacity,
                    options.extents(), store.extentSize() >> 20);
        }
    }

    static ChunkStore open(final BenchOptions options, final MetricRegistry registry) throws IOException {
        return ChunkStore.open(DirectFileDevice.open(options.file()), CLUSTER, NODE,
                StoreOptions.defaults().withScrubBytesPerSecond(0).withMetrics(registry));
    }

    private static void run(final BenchOptions options) throws Exception {
        MetricRegistry registry = new MetricRegistry();
        LoadRun.Result result;
        StoreStats stats;
        try (ChunkStore store = open(options, registry)) {
            long[] extents = store.list().stream().mapToLong(ExtentInfo::extentId).sorted().toArray();
            if (extents.length == 0) {
                throw new IOException("no extents on " + options.file() + ": format it first (--format BYTES)");
            }
            StoreStats before = store.stats();
            result = new LoadRun(store, extents, options).run();
            stats = store.stats();
            System.err.printf(Locale.ROOT, "store: %d checkpoints during the run, %d dirty sectors at the end, "
                    + "%d free blocks%n", stats.checkpoints() - before.checkpoints(), stats.dirtySectors(),
                    stats.freeBlocks());
            printJournalMetrics(registry);
        }
        System.out.println(result.json(options, stats));
    }

    private static void printJournalMetrics(final MetricRegistry registry) {
        for (Map.Entry<String, Histogram> entry : registry.getHistograms().entrySet()) {
            if (entry.getKey().startsWith("keel.journal.")) {
                System.err.printf(Locale.ROOT, "  %s: mean %.1f, p50 %.0f, max %d (n=%d)%n", entry.getKey(),
                        entry.getValue().getSnapshot().getMean(), entry.getValue().getSnapshot().getMedian(),
                        entry.getValue().getSnapshot().getMax(), entry.getValue().getCount());
            }
        }
        for (Map.Entry<String, Timer> entry : registry.getTimers().entrySet()) {
            System.err.printf(Locale.ROOT, "  %s: p50 %.1f us, p99 %.1f us (n=%d)%n", entry.getKey(),
                    entry.getValue().getSnapshot().getMedian() / 1e3,
                    entry.getValue().getSnapshot().get99thPercentile() / 1e3, entry.getValue().getCount());
        }
    }
}
