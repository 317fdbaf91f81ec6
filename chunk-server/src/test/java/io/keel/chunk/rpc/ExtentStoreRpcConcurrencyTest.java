package io.keel.chunk.rpc;

import static io.keel.chunk.rpc.RpcStoreHarness.BLOCK;
import static io.keel.chunk.rpc.RpcStoreHarness.SECTOR;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chunk.store.ChunkStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExtentStoreRpcConcurrencyTest {

    private static final int CLIENTS = 4;
    private static final int THREADS_PER_CLIENT = 4;
    private static final int EXTENTS = 4;
    private static final int OPS_PER_THREAD = 30;
    /** Each thread owns one region of this size in one extent. */
    private static final int REGION = 16 * BLOCK;

    @TempDir
    Path dir;

    @Test
    void concurrentClientsReadBackExactlyWhatTheyWrote() throws Exception {
        long seed = Long.getLong("keel.fuzz.seed", System.nanoTime());
        System.out.println("ExtentStoreRpcConcurrencyTest seed: " + seed + " (rerun with -Dkeel.fuzz.seed=" + seed
                + ")");
        try (ChunkStore local = RpcStoreHarness.formatStore(dir.resolve("device"), 128L << 20);
                RpcStoreHarness harness = new RpcStoreHarness(local, ExtentStoreService.DEFAULT_MAX_IO_BYTES)) {
            for (int e = 0; e < EXTENTS; e++) {
                local.create(10 + e, 1);
            }
            List<RemoteExtentStore> remotes = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                // 128 KiB per call: writes and reads up to 256 KiB below are split.
                remotes.add(harness.remote(128 * 1024));
            }
            int threads = CLIENTS * THREADS_PER_CLIENT;
            byte[][] models = new byte[threads][REGION];
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    Random random = new Random(seed + t);
                    RemoteExtentStore remote = remotes.get(t % CLIENTS);
                    done.add(pool.submit(() -> {
                        run(remote, random, extentOf(thread), regionOf(thread), models[thread]);
                        return null;
                    }));
                }
                for (Future<?> future : done) {
                    future.get(25, TimeUnit.SECONDS);
                }
            }
            RemoteExtentStore checker = harness.remote(1 << 20);
            for (int t = 0; t < threads; t++) {
                ByteBuffer remoteRegion = ByteBuffer.allocate(REGION);
                checker.read(extentOf(t), regionOf(t), remoteRegion);
                assertThat(remoteRegion.flip()).as("seed %d, thread %d, read remotely", seed, t)
                        .isEqualTo(ByteBuffer.wrap(models[t]));
                ByteBuffer localRegion = ByteBuffer.allocate(REGION);
                local.read(extentOf(t), regionOf(t), localRegion);
                assertThat(localRegion.flip()).as("seed %d, thread %d, read locally", seed, t)
                        .isEqualTo(ByteBuffer.wrap(models[t]));
            }
            for (int e = 0; e < EXTENTS; e++) {
                assertThat(checker.info(10 + e)).isEqualTo(local.info(10 + e));
            }
            assertThat(harness.server.metrics().connectionsAccepted().getCount()).isEqualTo(CLIENTS + 1);
        }
    }

    private static long extentOf(final int thread) {
        return 10 + thread % EXTENTS;
    }

    private static long regionOf(final int thread) {
        return (long) (thread / EXTENTS) * REGION;
    }

    /** Random writes, unmaps and reads inside one region, checked against {@code model} as they go. */
    private static void run(final RemoteExtentStore remote, final Random random, final long extent,
            final long region, final byte[] model) throws Exception {
        long lastVersion = -1;
        for (int op = 0; op < OPS_PER_THREAD; op++) {
            int sectors = 1 + random.nextInt(64);
            int start = random.nextInt(REGION / SECTOR - sectors + 1) * SECTOR;
            int length = sectors * SECTOR;
            int kind = random.nextInt(10);
            if (kind < 6) {
                byte[] data = new byte[length];
                random.nextBytes(data);
                long version = remote.write(extent, 1, region + start, ByteBuffer.wrap(data));
                assertThat(version).as("versions of one extent rise").isGreaterThanOrEqualTo(lastVersion);
                lastVersion = version;
                System.arraycopy(data, 0, model, start, length);
            } else if (kind < 7) {
                long version = remote.unmap(extent, 1, region + start, length);
                // Not strictly greater: the store answers an unmap of nothing mapped with version + 1 without
                // recording it, so the next mutation gets the same number (a store quirk, not the RPC's).
                assertThat(version).isGreaterThanOrEqualTo(lastVersion);
                lastVersion = version;
                Arrays.fill(model, start, start + length, (byte) 0);
            } else {
                ByteBuffer target = ByteBuffer.allocate(length);
                remote.read(extent, region + start, target);
                assertThat(target.flip()).as("read of [%d, +%d) in extent %d", region + start, length, extent)
                        .isEqualTo(ByteBuffer.wrap(model, start, length));
            }
        }
    }
}
