package io.keel.chunk.rpc;

import static io.keel.chunk.rpc.RpcStoreHarness.BLOCK;
import static io.keel.chunk.rpc.RpcStoreHarness.EXTENT;
import static io.keel.chunk.rpc.RpcStoreHarness.SECTOR;
import static io.keel.chunk.rpc.RpcStoreHarness.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.keel.chunk.store.ChecksumMismatchException;
import io.keel.chunk.store.ChunkStore;
import io.keel.chunk.store.ExtentExistsException;
import io.keel.chunk.store.ExtentInfo;
import io.keel.chunk.store.ExtentNotFoundException;
import io.keel.chunk.store.ExtentStore;
import io.keel.chunk.store.StaleEpochException;
import io.keel.chunk.store.StoreFullException;
import io.keel.chunk.store.StoreStats;
import io.keel.runtime.rpc.RpcClient;
import io.keel.runtime.rpc.RpcRemoteException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExtentStoreRpcErrorTest {

    @TempDir
    Path dir;

    /** What a call did: the exception it threw, or null. */
    @FunctionalInterface
    interface Call {
        void run(ExtentStore store) throws Exception;
    }

    /** The same call on both stores fails the same way: same type, same message. */
    private static Throwable sameFailure(final ExtentStore local, final ExtentStore remote, final Call call) {
        Throwable expected = catchThrowable(() -> call.run(local));
        Throwable actual = catchThrowable(() -> call.run(remote));
        assertThat(expected).as("the local store refuses the call").isNotNull();
        assertThat(actual).as("the remote store refuses it the same way").isNotNull()
                .hasSameClassAs(expected).hasMessage(expected.getMessage());
        return actual;
    }

    @Test
    void domainExceptionsOfARealStoreCrossIntact() throws Exception {
        try (ChunkStore local = RpcStoreHarness.formatStore(dir.resolve("device"), 64L << 20);
                RpcStoreHarness harness = new RpcStoreHarness(local, ExtentStoreService.DEFAULT_MAX_IO_BYTES)) {
            RemoteExtentStore remote = harness.remote(1 << 20);
            long missing = 0xFEED_0000_0000_0001L;
            ByteBuffer sector = ByteBuffer.allocate(SECTOR);
            for (Call call : List.<Call>of(s -> s.info(missing), s -> s.read(missing, 0, sector.duplicate()),
                    s -> s.write(missing, 1, 0, sector.duplicate()), s -> s.unmap(missing, 1, 0, SECTOR),
                    s -> s.delete(missing, 1), s -> s.advanceEpoch(missing, 2), s -> s.allocatedBlocks(missing),
                    s -> s.snapshot(missing, 99, 1))) {
                assertThat(sameFailure(local, remote, call)).isInstanceOf(ExtentNotFoundException.class);
            }

            remote.create(1, 3);
            remote.create(2, 3);
            assertThat(sameFailure(local, remote, s -> s.create(1, 3))).isInstanceOf(ExtentExistsException.class);
            assertThat(sameFailure(local, remote, s -> s.snapshot(1, 2, 3)))
                    .isInstanceOf(ExtentExistsException.class).hasMessageContaining("extent 2 ");

            for (Call call : List.<Call>of(s -> s.write(1, 2, 0, sector.duplicate()), s -> s.unmap(1, 2, 0, SECTOR),
                    s -> s.delete(1, 1), s -> s.snapshot(1, 50, 2))) {
                Throwable stale = sameFailure(local, remote, call);
                assertThat(stale).isInstanceOf(StaleEpochException.class);
                assertThat(((StaleEpochException) stale).currentEpoch()).isEqualTo(3);
            }

            for (Call call : List.<Call>of(s -> s.write(1, 3, 100, sector.duplicate()),
                    s -> s.write(1, 3, 0, ByteBuffer.allocate(SECTOR + 1)), s -> s.read(1, EXTENT, sector.duplicate()),
                    s -> s.read(1, 0, ByteBuffer.allocate(0)), s -> s.unmap(1, 3, -SECTOR, SECTOR),
                    s -> s.unmap(1, 3, 0, EXTENT + SECTOR))) {
                assertThat(sameFailure(local, remote, call)).isInstanceOf(IllegalArgumentException.class);
            }
            assertThat(remote.info(1)).isEqualTo(local.info(1)).isEqualTo(new ExtentInfo(1, 3, 0, 0));
        }
    }

    @Test
    void checksumMismatchKeepsDeviceOffsetsAndCrcs() throws Exception {
        ChecksumMismatchException thrown = new ChecksumMismatchException(Path.of("/dev/disk/by-id/nvme a+b%20ü"),
                123_456_789_012L, -5, 8 * BLOCK + 3 * SECTOR, 0xDEADBEEF, 0x01234567);
        FailingStore failing = new FailingStore(thrown);
        try (RpcStoreHarness harness = new RpcStoreHarness(failing, BLOCK)) {
            RemoteExtentStore remote = harness.remote(BLOCK);
            Throwable failure = catchThrowable(() -> remote.read(-5, 0, ByteBuffer.allocate(4 * BLOCK)));
            assertThat(failure).isInstanceOf(ChecksumMismatchException.class).hasMessage(thrown.getMessage())
                    .hasMessageContaining("expected CRC32C deadbeef, read 01234567");
            ChecksumMismatchException mismatch = (ChecksumMismatchException) failure;
            assertThat(mismatch.device()).isEqualTo(thrown.device());
            assertThat(mismatch.deviceOffset()).isEqualTo(123_456_789_012L);
            assertThat(mismatch.extentId()).isEqualTo(-5);
            assertThat(mismatch.extentOffset()).isEqualTo(8 * BLOCK + 3 * SECTOR);

            // A path too long for the error message keeps its end; everything else still crosses.
            Path deep = Path.of("/" + "very-long-directory-name/".repeat(60) + "device-7");
            failing.failure = new ChecksumMismatchException(deep, 4096, 9, 0, 1, 2);
            ChecksumMismatchException cut = (ChecksumMismatchException) catchThrowable(
                    () -> remote.read(9, 0, ByteBuffer.allocate(SECTOR)));
            assertThat(cut.device().toString()).startsWith("...").endsWith("/very-long-directory-name/device-7");
            assertThat(cut.deviceOffset()).isEqualTo(4096);
            assertThat(cut.extentId()).isEqualTo(9);
            assertThat(cut.getMessage()).contains("expected CRC32C 00000001, read 00000002");
        }
    }

    @Test
    void otherFailuresKeepTheirKindAndText() throws Exception {
        FailingStore failing = new FailingStore(new StoreFullException("allocation group at block 96 has no free "
                + "block (0 of 32 free)"));
        try (RpcStoreHarness harness = new RpcStoreHarness(failing, BLOCK)) {
            RemoteExtentStore remote = harness.remote(BLOCK);
            assertThat(catchThrowable(() -> remote.write(1, 1, 0, ByteBuffer.allocate(SECTOR))))
                    .isInstanceOf(StoreFullException.class).hasMessage(failing.failure.getMessage());

            failing.failure = new IOException("device /dev/sdq went away");
            Throwable io = catchThrowable(() -> remote.unmap(1, 1, 0, SECTOR));
            assertThat(io).isExactlyInstanceOf(IOException.class).hasMessageContaining("device /dev/sdq went away")
                    .hasCauseInstanceOf(RpcRemoteException.class);
            assertThat(((RpcRemoteException) io.getCause()).status()).isEqualTo(ExtentStoreRpc.IO_ERROR);

            failing.failure = new IllegalStateException("block 12 is not allocated");
            assertThat(catchThrowable(() -> remote.info(1))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block 12 is not allocated");
            assertThat(catchThrowable(remote::stats)).isInstanceOf(IllegalStateException.class);

            failing.failure = new IOException("stats unavailable");
            assertThat(catchThrowable(remote::stats)).isInstanceOf(java.io.UncheckedIOException.class)
                    .hasMessageContaining("stats unavailable");

            failing.failure = new IllegalArgumentException("offset 5 is not aligned");
            assertThat(catchThrowable(() -> remote.read(1, 5, ByteBuffer.allocate(SECTOR))))
                    .isExactlyInstanceOf(IllegalArgumentException.class).hasMessage("offset 5 is not aligned");
        }
    }

    @Test
    void readsAndWritesAboveTheServersMaximumAreRefusedWithTooLarge() throws Exception {
        FailingStore failing = new FailingStore(null);
        try (RpcStoreHarness harness = new RpcStoreHarness(failing, BLOCK)) {
            RpcClient client = harness.client();
            ByteBuffer read = ByteBuffer.allocate(20).putLong(1).putLong(0).putInt(BLOCK + SECTOR).flip();
            RpcRemoteException tooLong = (RpcRemoteException) catchThrowable(
                    () -> client.call(ExtentStoreRpc.READ, read, TIMEOUT));
            assertThat(tooLong.status()).isEqualTo(ExtentStoreRpc.TOO_LARGE);
            assertThat(tooLong.remoteMessage()).contains("read of " + (BLOCK + SECTOR) + " bytes exceeds");

            ByteBuffer write = ByteBuffer.allocate(28 + BLOCK + SECTOR).putLong(1).putLong(1).putLong(0)
                    .putInt(BLOCK + SECTOR).position(0);
            assertThat(((RpcRemoteException) catchThrowable(() -> client.call(ExtentStoreRpc.WRITE, write, TIMEOUT)))
                    .status()).isEqualTo(ExtentStoreRpc.TOO_LARGE);
            assertThat(failing.calls.get()).as("nothing reached the store").isZero();

            // Through the client the same sizes are simply split.
            RemoteExtentStore remote = harness.remote(1 << 20);
            remote.write(1, 1, 0, ByteBuffer.allocate(BLOCK + SECTOR));
            assertThat(failing.calls.get()).isEqualTo(2);
        }
    }

    /** A store of fixed geometry whose every operation throws {@link #failure} (or does nothing if null). */
    static final class FailingStore implements ExtentStore {
        volatile Exception failure;
        final AtomicInteger calls = new AtomicInteger();

        FailingStore(final Exception failure) {
            this.failure = failure;
        }

        private void fail() throws IOException {
            calls.incrementAndGet();
            Exception next = failure;
            if (next instanceof IOException io) {
                throw io;
            }
            if (next instanceof RuntimeException runtime) {
                throw runtime;
            }
        }

        @Override
        public int sectorSize() {
            return SECTOR;
        }

        @Override
        public int blockSize() {
            return BLOCK;
        }

        @Override
        public long extentSize() {
            return EXTENT;
        }

        @Override
        public void create(final long extentId, final long epoch) throws IOException {
            fail();
        }

        @Override
        public void delete(final long extentId, final long epoch) throws IOException {
            fail();
        }

        @Override
        public void advanceEpoch(final long extentId, final long epoch) throws IOException {
            fail();
        }

        @Override
        public long write(final long extentId, final long epoch, final long offset, final ByteBuffer data)
                throws IOException {
            fail();
            return 1;
        }

        @Override
        public void read(final long extentId, final long offset, final ByteBuffer target) throws IOException {
            fail();
            target.position(target.limit());
        }

        @Override
        public long unmap(final long extentId, final long epoch, final long offset, final long length)
                throws IOException {
            fail();
            return 1;
        }

        @Override
        public void snapshot(final long parentId, final long childId, final long epoch) throws IOException {
            fail();
        }

        @Override
        public ExtentInfo info(final long extentId) throws IOException {
            fail();
            return new ExtentInfo(extentId, 1, 1, 0);
        }

        @Override
        public List<ExtentInfo> list() throws IOException {
            fail();
            return List.of();
        }

        @Override
        public int[] allocatedBlocks(final long extentId) throws IOException {
            fail();
            return new int[0];
        }

        @Override
        public StoreStats stats() {
            try {
                fail();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return new StoreStats(1, 1, 0, BLOCK, 0, 0, 0, 0);
        }
    }
}
