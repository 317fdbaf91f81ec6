package io.keel.runtime.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server-wide request memory budget and the connection limit, against a real server on loopback. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RpcServerBudgetTest {

    private static final int MAX = 64 * 1024;
    private static final int BLOCK = 1;
    private static final int ECHO = 2;
    private static final int FAIL = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final MetricRegistry registry = new MetricRegistry();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger blockedNow = new AtomicInteger();
    private final AtomicInteger blockedMost = new AtomicInteger();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private RpcServer server;

    @AfterEach
    void closeAll() throws Exception {
        release.countDown();
        for (AutoCloseable resource : resources) {
            resource.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void concurrentLargeRequestsNeverExceedTheBudgetAndAllCompleteOnceReleased() throws Exception {
        long budget = 2L * MAX;
        InetSocketAddress address = startServer(RpcConfig.builder().maxPayloadBytes(MAX)
                .maxBufferedRequestBytes(budget).metricRegistry(registry).build());
        AtomicLong mostInUse = new AtomicLong();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = Thread.ofVirtual().start(() -> {
            while (sampling.get()) {
                mostInUse.accumulateAndGet(server.bufferedRequestBytes(), Math::max);
                Thread.yield();
            }
        });
        int connections = 6;
        int callsPerConnection = 2;
        ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
        resources.add(callers);
        List<Future<ByteBuffer>> calls = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            RpcClient client = client(address);
            for (int i = 0; i < callsPerConnection; i++) {
                calls.add(callers.submit(() -> client.call(BLOCK, payload(MAX), TIMEOUT)));
            }
        }

        waitUntil(() -> blockedNow.get() == 2);
        // Give the other ten requests time to (wrongly) get in; they must stay unread instead.
        Thread.sleep(200);
        assertThat(blockedNow.get()).isEqualTo(2);
        assertThat(server.bufferedRequestBytes()).isEqualTo(budget);
        // Requests without a payload take nothing from the budget, so a full budget does not stop them.
        try (RpcClient other = new RpcClient(address, RpcConfig.defaults())) {
            assertThat(other.call(ECHO, ByteBuffer.allocate(0), TIMEOUT).remaining()).isZero();
            other.ping(TIMEOUT);
        }

        release.countDown();
        for (Future<ByteBuffer> call : calls) {
            assertThat(call.get(10, TimeUnit.SECONDS).remaining()).isEqualTo(MAX);
        }
        sampling.set(false);
        sampler.join();
        assertThat(mostInUse.get()).isLessThanOrEqualTo(budget);
        assertThat(blockedMost.get()).isEqualTo(2);
        waitUntil(() -> server.bufferedRequestBytes() == 0);
        assertThat(server.metrics().bufferedRequestBytes().getCount()).isZero();
    }

    @Test
    void theBudgetReturnsToZeroAfterAStormOfRequestsFailuresAndClosedConnections() throws Exception {
        InetSocketAddress address = startServer(RpcConfig.builder().maxPayloadBytes(MAX)
                .maxBufferedRequestBytes(3L * MAX).maxInFlightPerConnection(4).metricRegistry(registry).build());
        ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
        resources.add(callers);
        List<Future<?>> storm = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            RpcClient client = client(address);
            storm.add(callers.submit(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < 40; i++) {
                    int method = random.nextBoolean() ? ECHO : FAIL;
                    try {
                        client.call(method, payload(random.nextInt(MAX + 1)), TIMEOUT);
                    } catch (RpcRemoteException expected) {
                        assertThat(method).isEqualTo(FAIL);
                    }
                }
                return null;
            }));
        }
        // Peers that die in the middle of a payload, send a corrupt payload, or a ping or a response with one.
        for (int i = 0; i < 12; i++) {
            byte[] frame = TestFrames.frame(FrameKind.REQUEST, 1, ECHO, new byte[MAX]);
            try (SocketChannel raw = SocketChannel.open(address)) {
                switch (i % 4) {
                    case 0 -> raw.write(ByteBuffer.wrap(frame, 0, FrameCodec.HEADER_BYTES + MAX / 2));
                    case 1 -> {
                        frame[frame.length - 1] ^= 1;
                        raw.write(ByteBuffer.wrap(frame));
                    }
                    case 2 -> raw.write(ByteBuffer.wrap(TestFrames.frame(FrameKind.PING, 1, 0, new byte[MAX])));
                    default -> raw.write(ByteBuffer.wrap(TestFrames.frame(FrameKind.RESPONSE, 1, 0, new byte[MAX])));
                }
            }
        }
        // A connection that dies while its request runs, and one that only sent a header when the server closes.
        RpcClient doomed = new RpcClient(address, RpcConfig.builder().maxPayloadBytes(MAX).build());
        Future<?> doomedCall = callers.submit(() -> doomed.call(BLOCK, payload(MAX), TIMEOUT));
        waitUntil(() -> blockedNow.get() == 1);
        doomed.close();
        assertThatThrownBy(() -> doomedCall.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(RpcException.class);
        for (Future<?> done : storm) {
            done.get(10, TimeUnit.SECONDS);
        }
        SocketChannel headerOnly = SocketChannel.open(address);
        resources.add(headerOnly);
        headerOnly.write(ByteBuffer.wrap(TestFrames.frame(FrameKind.REQUEST, 1, ECHO, new byte[MAX]), 0,
                FrameCodec.HEADER_BYTES));
        waitUntil(() -> server.bufferedRequestBytes() == 2L * MAX);

        server.close();
        release.countDown();
        waitUntil(() -> server.bufferedRequestBytes() == 0);
        assertThat(server.metrics().bufferedRequestBytes().getCount()).isZero();
        assertThat(server.metrics().errorResponses().getCount()).isPositive();
        assertThat(server.metrics().protocolErrors().getCount()).isPositive();
    }

    @Test
    void connectionsBeyondTheLimitAreRefusedAndTheOthersKeepWorking() throws Exception {
        InetSocketAddress address = startServer(RpcConfig.builder().maxPayloadBytes(MAX).maxConnections(2)
                .metricRegistry(registry).build());
        RpcClient first = client(address);
        RpcClient second = client(address);
        first.ping(TIMEOUT);
        second.ping(TIMEOUT);
        waitUntil(() -> server.connectionCount() == 2);

        for (int i = 0; i < 3; i++) {
            try (SocketChannel refused = SocketChannel.open(address)) {
                refused.socket().setSoTimeout(5000);
                // The server closes it unread: end of stream (or a reset), never an answer.
                int read;
                try {
                    read = refused.socket().getInputStream().read();
                } catch (IOException reset) {
                    read = -1;
                }
                assertThat(read).isEqualTo(-1);
            }
        }
        assertThat(server.metrics().connectionsRefused().getCount()).isEqualTo(3);
        assertThat(first.call(ECHO, payload(100), TIMEOUT).remaining()).isEqualTo(100);
        assertThat(second.call(ECHO, payload(100), TIMEOUT).remaining()).isEqualTo(100);

        // A slot that frees up can be taken again.
        second.close();
        waitUntil(() -> server.connectionCount() == 1);
        try (RpcClient third = new RpcClient(address, RpcConfig.builder().maxPayloadBytes(MAX).build())) {
            assertThat(third.call(ECHO, payload(10), TIMEOUT).remaining()).isEqualTo(10);
        }
    }

    @Test
    void theConfigurationRejectsABudgetBelowOnePayloadAndNoConnections() {
        assertThatThrownBy(() -> RpcConfig.builder().maxPayloadBytes(1024).maxBufferedRequestBytes(1023).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBufferedRequestBytes (1023) must be at least maxPayloadBytes (1024)");
        assertThatThrownBy(() -> RpcConfig.builder().maxConnections(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxConnections");
        RpcConfig exact = RpcConfig.builder().maxPayloadBytes(1024).maxBufferedRequestBytes(1024).build();
        assertThat(exact.toBuilder().build()).isEqualTo(exact);
        assertThat(RpcConfig.defaults().maxBufferedRequestBytes()).isEqualTo(256L * 1024 * 1024);
        assertThat(RpcConfig.defaults().maxConnections()).isEqualTo(1024);
    }

    private InetSocketAddress startServer(final RpcConfig config) throws IOException {
        server = new RpcServer(config);
        server.register(BLOCK, request -> {
            blockedMost.accumulateAndGet(blockedNow.incrementAndGet(), Math::max);
            try {
                release.await();
            } finally {
                blockedNow.decrementAndGet();
            }
            return request;
        });
        server.register(ECHO, request -> request);
        server.register(FAIL, request -> {
            throw new IllegalStateException("failing on purpose");
        });
        return server.start(LOOPBACK);
    }

    private RpcClient client(final InetSocketAddress address) {
        RpcClient client = new RpcClient(address, RpcConfig.builder().maxPayloadBytes(MAX).build());
        resources.add(client);
        return client;
    }

    private static ByteBuffer payload(final int size) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) size);
        return ByteBuffer.wrap(bytes);
    }

    private static void waitUntil(final BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition reached in time").isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
