package io.keel.chunk.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads every allocated block of every extent at a configured pace (an eighth of it while
 * clients are using the store) and checks each sector's CRC32C, so latent damage is found before
 * a client reads it (and, with replication, repaired from a replica while another copy still
 * exists). Findings are logged with device, extent and offset, counted, and the most recent kept
 * for the operator.
 */
public final class Scrubber implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Scrubber.class);
    private static final int KEPT_FINDINGS = 100;
    /** Client I/O this recent makes the store busy for the scrubber. */
    static final long BUSY_WINDOW_NANOS = 100_000_000L;
    /** A busy store is scrubbed this many times slower. */
    static final int BUSY_SLOWDOWN = 8;
    /** The shortest wait between background passes. */
    static final Duration PASS_GAP = Duration.ofSeconds(1);

    private final ChunkStore store;
    private final StoreOptions options;
    private final ArrayDeque<ChecksumMismatchException> findings = new ArrayDeque<>();
    private volatile boolean stopped;
    private volatile long scrubbedBytes;
    private volatile long passes;
    private volatile Thread thread;

    Scrubber(final ChunkStore store, final StoreOptions options) {
        this.store = store;
        this.options = options;
    }

    void start() {
        if (options.scrubBytesPerSecond() > 0) {
            // Named before it runs, so its first read already counts as the scrubber's.
            Thread scrubbing = Thread.ofVirtual().name("chunk-scrubber").unstarted(this::run);
            thread = scrubbing;
            scrubbing.start();
        }
    }

    /** Scrubs everything once, now, on the calling thread; returns the number of damaged sectors found. */
    public int scrubOnce() throws IOException {
        int found = 0;
        ByteBuffer buffer = ByteBuffer.allocate(store.blockSize());
        for (ExtentInfo extent : store.list()) {
            int[] blocks;
            try {
                blocks = store.allocatedBlocks(extent.extentId());
            } catch (ExtentNotFoundException deleted) {
                continue;
            }
            for (int blockIndex : blocks) {
                if (stopped) {
                    return found;
                }
                found += scrubBlock(extent.extentId(), blockIndex, buffer);
            }
        }
        passes++;
        return found;
    }

    /** Reads one block sector by sector after a mismatch, so every damaged sector is reported. */
    private int scrubBlock(final long extentId, final int blockIndex, final ByteBuffer buffer) throws IOException {
        long offset = (long) blockIndex * store.blockSize();
        try {
            store.read(extentId, offset, buffer.clear());
            scrubbedBytes += store.blockSize();
            pace(store.blockSize());
            return 0;
        } catch (ExtentNotFoundException deleted) {
            return 0;
        } catch (ChecksumMismatchException first) {
            int found = 0;
            ByteBuffer sector = ByteBuffer.allocate(store.sectorSize());
            for (long at = offset; at < offset + store.blockSize(); at += store.sectorSize()) {
                try {
                    store.read(extentId, at, sector.clear());
                } catch (ChecksumMismatchException damaged) {
                    found++;
                    record(damaged);
                }
            }
            scrubbedBytes += store.blockSize();
            return found;
        }
    }

    private void record(final ChecksumMismatchException damaged) {
        LOG.error("scrubber: {}", damaged.getMessage());
        synchronized (findings) {
            if (findings.size() == KEPT_FINDINGS) {
                findings.removeFirst();
            }
            findings.addLast(damaged);
        }
    }

    /** Whether the calling thread is the background scrubber's. */
    boolean isScrubberThread() {
        return thread != null && thread == Thread.currentThread();
    }

    /**
     * How long the background scrubber waits after reading {@code bytes}: at the configured rate
     * while clients leave the store alone, at an eighth of it while they used it in the last
     * {@link #BUSY_WINDOW_NANOS} (scrubbing still finishes, it just does not compete with them).
     */
    static long pauseNanos(final long bytes, final long rate, final long nanosSinceClientIo) {
        long effective = nanosSinceClientIo < BUSY_WINDOW_NANOS ? Math.max(1, rate / BUSY_SLOWDOWN) : rate;
        return bytes * 1_000_000_000L / effective;
    }

    private void pace(final long bytes) {
        long rate = options.scrubBytesPerSecond();
        if (rate > 0 && isScrubberThread()) {
            try {
                options.clock().sleep(Duration.ofNanos(pauseNanos(bytes, rate, store.nanosSinceClientIo())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped = true;
            }
        }
    }

    /**
     * How long to wait after a pass that started at {@code startedNanos} and ended at {@code nowNanos},
     * when passes start at most once per {@code interval}. Back to back, a small store would be re-read
     * every few seconds, a steady CPU cost on an idle node for no gain; a store too large to read
     * within the interval at the configured pace (16 MiB/s is 1.3 TiB a day) still scrubs continuously.
     */
    static Duration untilNextPass(final Duration interval, final long startedNanos, final long nowNanos) {
        long left = interval.toNanos() - (nowNanos - startedNanos);
        return left > PASS_GAP.toNanos() ? Duration.ofNanos(left) : PASS_GAP;
    }

    private void run() {
        while (!stopped) {
            long started = options.clock().nanoTime();
            try {
                scrubOnce();
                options.clock().sleep(untilNextPass(options.scrubPassInterval(), started, options.clock().nanoTime()));
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                if (stopped) {
                    return;
                }
                LOG.warn("scrubber pass stopped: {}", e.getMessage());
                try {
                    options.clock().sleep(Duration.ofSeconds(10));
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** The most recent damaged sectors found, oldest first. */
    public List<ChecksumMismatchException> findings() {
        synchronized (findings) {
            return List.copyOf(findings);
        }
    }

    public long scrubbedBytes() {
        return scrubbedBytes;
    }

    public long passes() {
        return passes;
    }

    @Override
    public void close() {
        stopped = true;
        Thread running = thread;
        if (running != null) {
            running.interrupt();
            try {
                running.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
