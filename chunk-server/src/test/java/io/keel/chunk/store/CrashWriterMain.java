package io.keel.chunk.store;

import io.keel.chunk.device.DirectFileDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child process of the crash test: opens the store, and with {@code threads} writers (each
 * owning its own slice of the extents, so one sector's writes are ordered) writes random, aligned
 * and sequential data until it is killed. Before each write it logs {@code S id extent offset
 * sectors}, after the acknowledgement {@code A id}; the log is a plain file, which survives SIGKILL.
 *
 * <p>Arguments: device, cluster id, node id, seed, threads, log file, extent count, first write id.
 */
public final class CrashWriterMain {

    private CrashWriterMain() {
    }

    public static void main(final String[] args) throws Exception {
        Path device = Path.of(args[0]);
        UUID cluster = UUID.fromString(args[1]);
        UUID node = UUID.fromString(args[2]);
        long seed = Long.parseLong(args[3]);
        int threads = Integer.parseInt(args[4]);
        Path log = Path.of(args[5]);
        int extents = Integer.parseInt(args[6]);
        AtomicLong writeIds = new AtomicLong(Long.parseLong(args[7]));
        try (ChunkStore store = ChunkStore.open(DirectFileDevice.open(device), cluster, node,
                StoreOptions.defaults().withScrubBytesPerSecond(0));
                FileChannel out = FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND)) {
            long sliceSectors = store.extentSize() * extents / CrashPattern.SECTOR / threads;
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                writers.add(Thread.ofVirtual().start(() -> {
                    try {
                        write(store, out, new SplittableRandom(seed * 31 + thread), thread * sliceSectors,
                                sliceSectors, writeIds);
                    } catch (IOException e) {
                        e.printStackTrace();
                        System.exit(3);
                    }
                }));
            }
            // Bounded on its own: the parent normally kills it long before.
            for (Thread writer : writers) {
                writer.join(60_000);
            }
            System.exit(0);
        }
    }

    private static void write(final ExtentStore store, final FileChannel log, final SplittableRandom random,
            final long firstSector, final long sectors, final AtomicLong writeIds) throws IOException {
        long perExtent = store.extentSize() / CrashPattern.SECTOR;
        int perBlock = store.blockSize() / CrashPattern.SECTOR;
        long next = firstSector;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            long start;
            int count;
            int kind = random.nextInt(4);
            if (kind == 0) { // whole aligned blocks: the direct path
                count = perBlock * (1 + random.nextInt(2));
                start = firstSector + random.nextLong(Math.max(1, (sectors - count) / perBlock)) * perBlock;
            } else if (kind == 1) { // sequential continuation
                count = perBlock;
                start = next;
            } else { // small random: the journaled path
                count = 1 + random.nextInt(4);
                start = firstSector + random.nextLong(sectors - count);
            }
            if (start + count > firstSector + sectors) {
                start = firstSector;
            }
            // A write must stay inside one extent (and this writer's slice): cut it at the extent's end.
            if (start / perExtent != (start + count - 1) / perExtent) {
                count = (int) (perExtent - start % perExtent);
            }
            next = start + count;
            long extent = start / perExtent + 1;
            long offset = start % perExtent * CrashPattern.SECTOR;
            long id = writeIds.getAndIncrement();
            log(log, "S " + id + " " + extent + " " + offset + " " + count + "\n");
            ByteBuffer data = CrashPattern.data(extent, id, offset, count);
            // Half the small random writes are started (acknowledged from the journal's commit) if taken.
            if (kind != 3 || !startedWrite(store, extent, offset, data)) {
                store.write(extent, 1, offset, data);
            }
            log(log, "A " + id + "\n");
        }
    }

    /** A write through {@link ExtentStore#startWrite}, waited for; false when the store declined it. */
    private static boolean startedWrite(final ExtentStore store, final long extent, final long offset,
            final ByteBuffer data) throws IOException {
        CompletableFuture<IOException> done = new CompletableFuture<>();
        if (!store.startWrite(extent, 1, offset, data, done::complete)) {
            return false;
        }
        IOException failure = done.join();
        if (failure != null) {
            throw failure;
        }
        return true;
    }

    private static void log(final FileChannel log, final String line) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
        synchronized (log) {
            while (bytes.hasRemaining()) {
                log.write(bytes);
            }
        }
    }
}
