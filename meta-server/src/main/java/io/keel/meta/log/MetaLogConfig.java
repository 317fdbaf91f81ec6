package io.keel.meta.log;

import com.codahale.metrics.MetricRegistry;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.SystemClock;
import java.time.Duration;
import java.util.Objects;

/**
 * How one member runs the replicated metadata log: its member id and the address it publishes
 * when it leads, the base path of the log in ZooKeeper (inside the client's namespace), batching
 * limits, how often the leader writes a snapshot, the snapshot chunk size, how often a follower
 * polls as a safety net for lost watches, the clock and the metric registry (null for none).
 *
 * @param memberId this member's id, unique among meta members
 * @param address the opaque address published for clients while this member leads
 * @param basePath the znode under which election, term, log and snapshots live
 * @param maxBatchEntries the most entries one batch znode carries
 * @param maxBatchBytes the most bytes one batch znode carries, header and checksum included
 * @param maxBatchWait how long the committer waits for more entries when a batch is not full;
 *     zero writes whatever is queued as soon as the committer is free
 * @param snapshotEveryEntries the leader writes a snapshot after this many entries since the last
 * @param snapshotChunkBytes the size of each snapshot chunk znode
 * @param pollInterval how often a follower re-reads the log even without a watch event
 * @param clock the clock for deadlines and latency
 * @param metrics the registry for the log's metrics, or null
 */
public record MetaLogConfig(String memberId, String address, String basePath, int maxBatchEntries,
        int maxBatchBytes, Duration maxBatchWait, long snapshotEveryEntries, int snapshotChunkBytes,
        Duration pollInterval, Clock clock, MetricRegistry metrics) {

    /**
     * The largest batch or chunk: ZooKeeper refuses requests above {@code jute.maxbuffer} (1 MiB
     * minus one byte by default), and a request carries the path and the term check besides.
     */
    public static final int MAX_ZNODE_BYTES = 960 * 1024;

    /** Validates the settings. */
    public MetaLogConfig {
        Objects.requireNonNull(memberId, "memberId");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(basePath, "basePath");
        Objects.requireNonNull(maxBatchWait, "maxBatchWait");
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(clock, "clock");
        if (!memberId.matches("[A-Za-z0-9_.:-]+")) {
            throw new IllegalArgumentException("memberId must be non-empty [A-Za-z0-9_.:-]: '" + memberId + "'");
        }
        if (!basePath.matches("(/[A-Za-z0-9_.-]+)+")) {
            throw new IllegalArgumentException(
                    "basePath must be an absolute znode path like /meta: '" + basePath + "'");
        }
        if (maxBatchEntries < 1 || maxBatchEntries > 100_000) {
            throw new IllegalArgumentException("maxBatchEntries must be in 1..100000: " + maxBatchEntries);
        }
        if (maxBatchBytes < 1024 || maxBatchBytes > MAX_ZNODE_BYTES) {
            throw new IllegalArgumentException(
                    "maxBatchBytes must be in 1024.." + MAX_ZNODE_BYTES + ": " + maxBatchBytes);
        }
        if (maxBatchWait.isNegative() || maxBatchWait.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException("maxBatchWait must be in 0..1 s: " + maxBatchWait);
        }
        if (snapshotEveryEntries < 1) {
            throw new IllegalArgumentException("snapshotEveryEntries must be positive: " + snapshotEveryEntries);
        }
        if (snapshotChunkBytes < 1024 || snapshotChunkBytes > MAX_ZNODE_BYTES) {
            throw new IllegalArgumentException("snapshotChunkBytes must be in 1024.." + MAX_ZNODE_BYTES + ": "
                    + snapshotChunkBytes);
        }
        if (pollInterval.toMillis() < 10) {
            throw new IllegalArgumentException("pollInterval must be at least 10 ms: " + pollInterval);
        }
    }

    /**
     * Base path {@code /meta}, batches of up to 1000 entries and 512 KiB written without added
     * wait, a snapshot every 10000 entries in 512 KiB chunks, a 1 s follower poll, the system
     * clock, no metrics.
     */
    public static MetaLogConfig defaults(final String memberId, final String address) {
        return new MetaLogConfig(memberId, address, "/meta", 1000, 512 * 1024, Duration.ZERO, 10_000, 512 * 1024,
                Duration.ofSeconds(1), SystemClock.INSTANCE, null);
    }

    /** This configuration with other batch limits. */
    public MetaLogConfig withBatching(final int entries, final int bytes, final Duration wait) {
        return new MetaLogConfig(memberId, address, basePath, entries, bytes, wait, snapshotEveryEntries,
                snapshotChunkBytes, pollInterval, clock, metrics);
    }

    /** This configuration with another snapshot interval and chunk size. */
    public MetaLogConfig withSnapshots(final long everyEntries, final int chunkBytes) {
        return new MetaLogConfig(memberId, address, basePath, maxBatchEntries, maxBatchBytes, maxBatchWait,
                everyEntries, chunkBytes, pollInterval, clock, metrics);
    }

    /** This configuration with another base path. */
    public MetaLogConfig withBasePath(final String path) {
        return new MetaLogConfig(memberId, address, path, maxBatchEntries, maxBatchBytes, maxBatchWait,
                snapshotEveryEntries, snapshotChunkBytes, pollInterval, clock, metrics);
    }

    /** This configuration with another follower poll interval. */
    public MetaLogConfig withPollInterval(final Duration interval) {
        return new MetaLogConfig(memberId, address, basePath, maxBatchEntries, maxBatchBytes, maxBatchWait,
                snapshotEveryEntries, snapshotChunkBytes, interval, clock, metrics);
    }

    /** This configuration with another metric registry. */
    public MetaLogConfig withMetrics(final MetricRegistry registry) {
        return new MetaLogConfig(memberId, address, basePath, maxBatchEntries, maxBatchBytes, maxBatchWait,
                snapshotEveryEntries, snapshotChunkBytes, pollInterval, clock, registry);
    }

    /** This configuration with another clock. */
    public MetaLogConfig withClock(final Clock c) {
        return new MetaLogConfig(memberId, address, basePath, maxBatchEntries, maxBatchBytes, maxBatchWait,
                snapshotEveryEntries, snapshotChunkBytes, pollInterval, c, metrics);
    }

    /** The largest single entry a batch can carry. */
    public int maxEntryBytes() {
        return maxBatchBytes - BatchCodec.OVERHEAD - BatchCodec.PER_ENTRY;
    }
}
