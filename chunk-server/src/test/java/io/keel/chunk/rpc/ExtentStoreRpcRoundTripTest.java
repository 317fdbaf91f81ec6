package io.keel.chunk.rpc;

import static io.keel.chunk.rpc.RpcStoreHarness.BLOCK;
import static io.keel.chunk.rpc.RpcStoreHarness.EXTENT;
import static io.keel.chunk.rpc.RpcStoreHarness.SECTOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.chunk.store.ChunkStore;
import io.keel.chunk.store.ExtentInfo;
import io.keel.chunk.store.ExtentNotFoundException;
import io.keel.chunk.store.ExtentStore;
import io.keel.chunk.store.StoreStats;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExtentStoreRpcRoundTripTest {

    private static final int SERVER_MAX_IO = 256 * 1024;

    @TempDir
    Path dir;

    private ChunkStore local;
    private RpcStoreHarness harness;

    @BeforeEach
    void start() throws Exception {
        local = RpcStoreHarness.formatStore(dir.resolve("device"), 128L << 20);
        harness = new RpcStoreHarness(local, SERVER_MAX_IO);
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
        local.close();
    }

    private static ByteBuffer random(final Random random, final int bytes) {
        byte[] data = new byte[bytes];
        random.nextBytes(data);
        return ByteBuffer.wrap(data);
    }

    private static ByteBuffer read(final ExtentStore store, final long extent, final long offset, final int bytes)
            throws Exception {
        ByteBuffer target = ByteBuffer.allocate(bytes);
        store.read(extent, offset, target);
        assertThat(target.hasRemaining()).as("read fills the target up to its limit").isFalse();
        return target.flip();
    }

    @Test
    void geometryIsTheStoresAndTheCallSizeTheSmallerMaximum() throws Exception {
        RemoteExtentStore remote = harness.remote(1 << 20);
        assertThat(remote.sectorSize()).isEqualTo(local.sectorSize()).isEqualTo(SECTOR);
        assertThat(remote.blockSize()).isEqualTo(local.blockSize()).isEqualTo(BLOCK);
        assertThat(remote.extentSize()).isEqualTo(local.extentSize()).isEqualTo(EXTENT);
        assertThat(remote.maxIoBytes()).isEqualTo(SERVER_MAX_IO);
        assertThat(harness.remote(100_000).maxIoBytes()).as("rounded down to whole blocks").isEqualTo(BLOCK);
        assertThat(harness.remote(3 * SECTOR + 5).maxIoBytes()).as("below a block: whole sectors")
                .isEqualTo(3 * SECTOR);
    }

    @Test
    void everyOperationRoundTripsAgainstARealStore() throws Exception {
        RemoteExtentStore remote = harness.remote(1 << 20, 2);
        Random random = new Random(42);

        remote.create(7, 1);
        assertThat(read(remote, 7, 0, 2 * SECTOR)).isEqualTo(ByteBuffer.allocate(2 * SECTOR));

        ByteBuffer small = random(random, 3 * SECTOR);
        long v1 = remote.write(7, 1, 5 * SECTOR, small);
        assertThat(small.position()).as("write does not move the caller's buffer").isZero();
        assertThat(v1).isEqualTo(local.info(7).version());

        // 1 MiB + 3 sectors starting inside a block: split into parts of at most 256 KiB.
        ByteBuffer large = random(random, (1 << 20) + 3 * SECTOR);
        long requestsBefore = harness.server.metrics().requests().getCount();
        long v2 = remote.write(7, 1, BLOCK + SECTOR, large);
        assertThat(harness.server.metrics().requests().getCount() - requestsBefore).isEqualTo(5);
        assertThat(v2).isGreaterThan(v1).isEqualTo(local.info(7).version());
        assertThat(read(local, 7, BLOCK + SECTOR, large.remaining())).isEqualTo(large);
        assertThat(read(remote, 7, BLOCK + SECTOR, large.remaining())).isEqualTo(large);
        assertThat(read(remote, 7, 0, BLOCK)).isEqualTo(read(local, 7, 0, BLOCK));

        ByteBuffer target = ByteBuffer.allocate(2 * SECTOR + 10).position(10);
        remote.read(7, 5 * SECTOR, target.limit(10 + SECTOR));
        assertThat(target.position()).isEqualTo(10 + SECTOR);
        assertThat(target.slice(10, SECTOR)).isEqualTo(small.slice(0, SECTOR));

        long v3 = remote.unmap(7, 1, 2 * BLOCK, BLOCK);
        assertThat(v3).isEqualTo(v2 + 1).isEqualTo(local.info(7).version());
        assertThat(read(remote, 7, 2 * BLOCK, BLOCK)).isEqualTo(ByteBuffer.allocate(BLOCK));

        remote.advanceEpoch(7, 5);
        assertThat(local.info(7).epoch()).isEqualTo(5);
        remote.snapshot(7, 8, 5);
        assertThat(read(remote, 8, 0, 6 * BLOCK)).isEqualTo(read(local, 7, 0, 6 * BLOCK));
        assertThat(remote.info(8)).isEqualTo(local.info(8));
        assertThat(remote.info(7)).isEqualTo(local.info(7)).extracting(ExtentInfo::epoch).isEqualTo(5L);
        assertThat(remote.info(7).version()).as("advanceEpoch and snapshot bump the version too").isGreaterThan(v3);
        assertThat(remote.allocatedBlocks(7)).containsExactly(local.allocatedBlocks(7)).isNotEmpty();
        assertThat(remote.allocatedBlocks(8)).containsExactly(local.allocatedBlocks(8));

        // Ids spanning the signed range: the listing is in unsigned order, fetched two extents per page.
        for (long id : new long[] {-1L, Long.MIN_VALUE, 3, 0}) {
            remote.create(id, 2);
        }
        List<ExtentInfo> expected = new ArrayList<>(local.list());
        expected.sort((a, b) -> Long.compareUnsigned(a.extentId(), b.extentId()));
        assertThat(remote.list()).containsExactlyElementsOf(expected).extracting(ExtentInfo::extentId)
                .containsExactly(0L, 3L, 7L, 8L, Long.MIN_VALUE, -1L);

        StoreStats stats = remote.stats();
        StoreStats localStats = local.stats();
        assertThat(stats.totalBlocks()).isEqualTo(localStats.totalBlocks());
        assertThat(stats.blockSize()).isEqualTo(localStats.blockSize());
        assertThat(stats.extents()).isEqualTo(localStats.extents()).isEqualTo(6);
        assertThat(stats.checksumErrors()).isEqualTo(localStats.checksumErrors());
        assertThat(stats.freeBlocks() + stats.releasingBlocks()).isPositive();

        remote.delete(8, 5);
        assertThatThrownBy(() -> remote.info(8)).isInstanceOf(ExtentNotFoundException.class);
        assertThatThrownBy(() -> local.info(8)).isInstanceOf(ExtentNotFoundException.class);
        assertThat(read(remote, 7, BLOCK + SECTOR, BLOCK - SECTOR)).isEqualTo(large.slice(0, BLOCK - SECTOR));
    }

    @Test
    void anEmptyStoreListsNothingAndAFullPageEndsTheListing() throws Exception {
        RemoteExtentStore remote = harness.remote(1 << 20, 2);
        assertThat(remote.list()).isEmpty();
        remote.create(1, 1);
        remote.create(2, 1);
        assertThat(remote.list()).extracting(ExtentInfo::extentId).containsExactly(1L, 2L);
    }

    @Test
    void aSplitReadOrWriteWithABadRangeIsRefusedBeforeAnyPartIsSent() throws Exception {
        RemoteExtentStore remote = harness.remote(BLOCK);
        remote.create(1, 1);
        long version = local.info(1).version();
        long before = harness.server.metrics().requests().getCount();
        assertThatThrownBy(() -> remote.write(1, 1, EXTENT - BLOCK, ByteBuffer.allocate(2 * BLOCK)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> remote.write(1, 1, 0, ByteBuffer.allocate(2 * BLOCK + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> remote.read(1, 1, ByteBuffer.allocate(2 * BLOCK)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(harness.server.metrics().requests().getCount()).isEqualTo(before);
        assertThat(local.info(1).version()).isEqualTo(version);
        assertThat(local.allocatedBlocks(1)).isEmpty();
    }
}
