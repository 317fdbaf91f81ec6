package io.keel.chunk.rpc;

import static io.keel.chunk.rpc.RpcStoreHarness.SECTOR;
import static io.keel.chunk.rpc.RpcStoreHarness.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.keel.chunk.store.ChunkStore;
import io.keel.runtime.rpc.RpcClient;
import io.keel.runtime.rpc.RpcRemoteException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExtentStoreRpcMalformedTest {

    private static final int SERVER_MAX_IO = 256 * 1024;
    /** Statuses a request, however malformed, may get: never INTERNAL, IO_ERROR or an RPC-layer failure. */
    private static final Set<Integer> CLEAR_STATUSES = Set.of(ExtentStoreRpc.BAD_REQUEST,
            ExtentStoreRpc.BAD_ARGUMENT, ExtentStoreRpc.TOO_LARGE, ExtentStoreRpc.EXTENT_NOT_FOUND,
            ExtentStoreRpc.EXTENT_EXISTS, ExtentStoreRpc.STALE_EPOCH, ExtentStoreRpc.STORE_FULL);

    @TempDir
    Path dir;

    private ChunkStore local;
    private RpcStoreHarness harness;
    private RpcClient client;

    @BeforeEach
    void start() throws Exception {
        local = RpcStoreHarness.formatStore(dir.resolve("device"), 64L << 20);
        harness = new RpcStoreHarness(local, SERVER_MAX_IO);
        client = harness.client();
        local.create(1, 1);
        local.create(2, 1);
    }

    @AfterEach
    void stop() throws Exception {
        harness.close();
        local.close();
    }

    /** A well-formed request of every method (on extent 1 or 2, epoch 1). */
    private static Map<Integer, byte[]> validRequests() {
        Map<Integer, byte[]> valid = new TreeMap<>();
        valid.put(ExtentStoreRpc.GEOMETRY, new byte[0]);
        valid.put(ExtentStoreRpc.CREATE, bytes(ByteBuffer.allocate(16).putLong(3).putLong(1)));
        valid.put(ExtentStoreRpc.DELETE, bytes(ByteBuffer.allocate(16).putLong(2).putLong(1)));
        valid.put(ExtentStoreRpc.ADVANCE_EPOCH, bytes(ByteBuffer.allocate(16).putLong(1).putLong(1)));
        valid.put(ExtentStoreRpc.WRITE, bytes(ByteBuffer.allocate(28 + SECTOR).putLong(1).putLong(1)
                .putLong(SECTOR).putInt(SECTOR)));
        valid.put(ExtentStoreRpc.READ, bytes(ByteBuffer.allocate(20).putLong(1).putLong(0).putInt(SECTOR)));
        valid.put(ExtentStoreRpc.UNMAP, bytes(ByteBuffer.allocate(32).putLong(1).putLong(1).putLong(0)
                .putLong(SECTOR)));
        valid.put(ExtentStoreRpc.SNAPSHOT, bytes(ByteBuffer.allocate(24).putLong(1).putLong(4).putLong(1)));
        valid.put(ExtentStoreRpc.INFO, bytes(ByteBuffer.allocate(8).putLong(1)));
        valid.put(ExtentStoreRpc.LIST, bytes(ByteBuffer.allocate(13).put((byte) 0).putLong(0).putInt(10)));
        valid.put(ExtentStoreRpc.ALLOCATED_BLOCKS, bytes(ByteBuffer.allocate(8).putLong(1)));
        valid.put(ExtentStoreRpc.STATS, new byte[0]);
        return valid;
    }

    private static byte[] bytes(final ByteBuffer buffer) {
        return buffer.array();
    }

    /** The status of a call that must fail; the same connection must then still serve a valid call. */
    private int status(final int method, final byte[] payload) throws Exception {
        Throwable failure = catchThrowable(() -> client.call(method, ByteBuffer.wrap(payload), TIMEOUT));
        assertThat(failure).as("%s with %d bytes", ExtentStoreRpc.methodName(method), payload.length)
                .isInstanceOf(RpcRemoteException.class);
        int status = ((RpcRemoteException) failure).status();
        assertStillServing();
        return status;
    }

    private void assertStillServing() throws Exception {
        ByteBuffer info = client.call(ExtentStoreRpc.INFO, ByteBuffer.allocate(8).putLong(0, 1), TIMEOUT);
        assertThat(info.remaining()).isEqualTo(ExtentStoreRpc.INFO_BYTES);
        assertThat(info.getLong(info.position())).isEqualTo(1);
    }

    @Test
    void everyMethodAnswersItsValidRequest() throws Exception {
        for (Map.Entry<Integer, byte[]> entry : validRequests().entrySet()) {
            client.call(entry.getKey(), ByteBuffer.wrap(entry.getValue()), TIMEOUT);
        }
        assertThat(local.info(3).epoch()).isEqualTo(1);
        assertThat(local.info(4).extentId()).isEqualTo(4);
    }

    @Test
    void truncatedAndOverlongRequestsOfEveryMethodAreBadRequests() throws Exception {
        for (Map.Entry<Integer, byte[]> entry : validRequests().entrySet()) {
            int method = entry.getKey();
            byte[] valid = entry.getValue();
            if (valid.length > 0) {
                assertThat(status(method, new byte[0])).as("empty %s", ExtentStoreRpc.methodName(method))
                        .isEqualTo(ExtentStoreRpc.BAD_REQUEST);
                assertThat(status(method, Arrays.copyOf(valid, valid.length - 1)))
                        .as("truncated %s", ExtentStoreRpc.methodName(method)).isEqualTo(ExtentStoreRpc.BAD_REQUEST);
            }
            assertThat(status(method, Arrays.copyOf(valid, valid.length + 1)))
                    .as("%s with an extra byte", ExtentStoreRpc.methodName(method))
                    .isEqualTo(ExtentStoreRpc.BAD_REQUEST);
            assertThat(status(method, Arrays.copyOf(valid, valid.length + 4096)))
                    .as("%s with extra bytes", ExtentStoreRpc.methodName(method))
                    .isEqualTo(ExtentStoreRpc.BAD_REQUEST);
        }
        assertNothingChangedAndOneConnection();
    }

    @Test
    void absurdLengthsAndFieldsGetAClearStatus() throws Exception {
        assertThat(status(ExtentStoreRpc.READ, bytes(ByteBuffer.allocate(20).putLong(1).putLong(0).putInt(-1))))
                .isEqualTo(ExtentStoreRpc.TOO_LARGE);
        assertThat(status(ExtentStoreRpc.READ, bytes(ByteBuffer.allocate(20).putLong(1).putLong(0)
                .putInt(SERVER_MAX_IO + SECTOR)))).isEqualTo(ExtentStoreRpc.TOO_LARGE);
        assertThat(status(ExtentStoreRpc.READ, bytes(ByteBuffer.allocate(20).putLong(1).putLong(0).putInt(0))))
                .isEqualTo(ExtentStoreRpc.BAD_ARGUMENT);
        assertThat(status(ExtentStoreRpc.READ, bytes(ByteBuffer.allocate(20).putLong(1).putLong(Long.MIN_VALUE)
                .putInt(SECTOR)))).isEqualTo(ExtentStoreRpc.BAD_ARGUMENT);
        // Declared data length far beyond the payload, beyond the maximum, and short of the payload.
        assertThat(status(ExtentStoreRpc.WRITE, bytes(ByteBuffer.allocate(28 + SECTOR).putLong(1).putLong(1)
                .putLong(0).putInt(-1)))).isEqualTo(ExtentStoreRpc.TOO_LARGE);
        assertThat(status(ExtentStoreRpc.WRITE, bytes(ByteBuffer.allocate(28 + SECTOR).putLong(1).putLong(1)
                .putLong(0).putInt(2 * SECTOR)))).isEqualTo(ExtentStoreRpc.BAD_REQUEST);
        assertThat(status(ExtentStoreRpc.WRITE, bytes(ByteBuffer.allocate(28 + SECTOR).putLong(1).putLong(1)
                .putLong(0).putInt(8)))).isEqualTo(ExtentStoreRpc.BAD_REQUEST);
        assertThat(status(ExtentStoreRpc.WRITE, bytes(ByteBuffer.allocate(28 + 100).putLong(1).putLong(1)
                .putLong(0).putInt(100)))).isEqualTo(ExtentStoreRpc.BAD_ARGUMENT);
        assertThat(status(ExtentStoreRpc.UNMAP, bytes(ByteBuffer.allocate(32).putLong(1).putLong(1).putLong(0)
                .putLong(Long.MAX_VALUE)))).isEqualTo(ExtentStoreRpc.BAD_ARGUMENT);
        assertThat(status(ExtentStoreRpc.UNMAP, bytes(ByteBuffer.allocate(32).putLong(1).putLong(1)
                .putLong(Long.MAX_VALUE - SECTOR + 1).putLong(SECTOR)))).isEqualTo(ExtentStoreRpc.BAD_ARGUMENT);
        assertThat(status(ExtentStoreRpc.LIST, bytes(ByteBuffer.allocate(13).put((byte) 0).putLong(0).putInt(0))))
                .isEqualTo(ExtentStoreRpc.BAD_REQUEST);
        assertThat(status(ExtentStoreRpc.LIST, bytes(ByteBuffer.allocate(13).put((byte) 0x80).putLong(0)
                .putInt(1)))).isEqualTo(ExtentStoreRpc.BAD_REQUEST);
        // A huge page request is capped by the server, not refused.
        ByteBuffer page = client.call(ExtentStoreRpc.LIST, ByteBuffer.allocate(13).put((byte) 0).putLong(0)
                .putInt(-1).flip(), TIMEOUT);
        assertThat(page.remaining()).isEqualTo(5 + 2 * ExtentStoreRpc.INFO_BYTES);
        assertNothingChangedAndOneConnection();
    }

    @Test
    void seededRandomRequestsNeverBreakTheServerOrTheConnection() throws Exception {
        long seed = Long.getLong("keel.fuzz.seed", System.nanoTime());
        System.out.println("ExtentStoreRpcMalformedTest fuzz seed: " + seed + " (rerun with -Dkeel.fuzz.seed="
                + seed + ")");
        Random random = new Random(seed);
        Map<Integer, byte[]> valid = validRequests();
        int[] methods = ExtentStoreRpc.methods();
        int answered = 0;
        int refused = 0;
        for (int i = 0; i < 1500; i++) {
            int method = methods[random.nextInt(methods.length)];
            byte[] payload = mutate(random, valid.get(method));
            try {
                client.call(method, ByteBuffer.wrap(payload), TIMEOUT);
                answered++;
            } catch (RpcRemoteException remote) {
                assertThat(CLEAR_STATUSES).as("seed %d, iteration %d: %s with %s answered %s", seed, i,
                        ExtentStoreRpc.methodName(method), Arrays.toString(payload), remote.getMessage())
                        .contains(remote.status());
                refused++;
            }
            if (i % 100 == 0) {
                client.call(ExtentStoreRpc.GEOMETRY, ByteBuffer.allocate(0), TIMEOUT);
            }
        }
        System.out.println("fuzz: " + answered + " answered, " + refused + " refused");
        assertThat(refused).as("seed %d", seed).isPositive();
        assertThat(harness.server.connectionCount()).isEqualTo(1);
        assertThat(harness.server.metrics().connectionsAccepted().getCount()).isEqualTo(1);
        client.call(ExtentStoreRpc.GEOMETRY, ByteBuffer.allocate(0), TIMEOUT);
    }

    /** Random bytes, or a valid request cut, extended or with a few bytes flipped. */
    private static byte[] mutate(final Random random, final byte[] valid) {
        byte[] result;
        switch (random.nextInt(4)) {
            case 0 -> {
                result = new byte[random.nextInt(48)];
                random.nextBytes(result);
            }
            case 1 -> result = Arrays.copyOf(valid, random.nextInt(valid.length + 1));
            case 2 -> {
                result = Arrays.copyOf(valid, valid.length + 1 + random.nextInt(16));
                for (int i = valid.length; i < result.length; i++) {
                    result[i] = (byte) random.nextInt();
                }
            }
            default -> {
                result = valid.clone();
                int flips = result.length == 0 ? 0 : 1 + random.nextInt(3);
                for (int i = 0; i < flips; i++) {
                    result[random.nextInt(Math.min(result.length, 32))] ^= (byte) (1 << random.nextInt(8));
                }
            }
        }
        return result;
    }

    private void assertNothingChangedAndOneConnection() throws Exception {
        assertThat(local.info(1).version()).isZero();
        assertThat(local.info(1).epoch()).isEqualTo(1);
        assertThat(local.list()).hasSize(2);
        assertThat(harness.server.metrics().connectionsAccepted().getCount()).isEqualTo(1);
        assertThat(harness.server.connectionCount()).isEqualTo(1);
    }
}
