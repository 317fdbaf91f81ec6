package io.keel.runtime.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.keel.runtime.time.ManualClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The partial-frame timeout: a peer that starts a frame and stalls is closed and its budget bytes come back;
 * a peer that is merely idle between frames is not. The server runs on a manual clock, so no test waits for
 * the timeout in real time.
 */
@Timeout(value = 15, unit = TimeUnit.SECONDS)
class RpcServerPartialFrameTest {

    private static final int MAX = 64 * 1024;
    private static final int ECHO = 1;
    private static final Duration PARTIAL_FRAME_TIMEOUT = Duration.ofSeconds(1);
    /** The sweep period the server derives from the timeout: a quarter of it. */
    private static final Duration SWEEP = Duration.ofMillis(250);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final ManualClock clock = new ManualClock();
    private final MetricRegistry registry = new MetricRegistry();
    private RpcServer server;

    @AfterEach
    void closeServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void halfAHeaderThenSilenceIsClosedAfterTheTimeout() throws Exception {
        InetSocketAddress address = startServer();
        byte[] frame = TestFrames.frame(FrameKind.REQUEST, 1, ECHO, new byte[16]);
        try (SocketChannel raw = SocketChannel.open(address)) {
            raw.write(ByteBuffer.wrap(frame, 0, FrameCodec.HEADER_BYTES / 2));
            waitUntil(() -> server.metrics().bytesIn().getCount() == FrameCodec.HEADER_BYTES / 2);

            expectClosedWithinTheTimeout(raw);
            assertThat(server.bufferedRequestBytes()).isZero();
        }
    }

    @Test
    void aHeaderAndPartOfALargePayloadThenSilenceGivesTheBudgetBack() throws Exception {
        InetSocketAddress address = startServer();
        byte[] frame = TestFrames.frame(FrameKind.REQUEST, 1, ECHO, new byte[MAX]);
        try (SocketChannel raw = SocketChannel.open(address)) {
            raw.write(ByteBuffer.wrap(frame, 0, FrameCodec.HEADER_BYTES + MAX / 2));
            // The payload's bytes are taken from the budget as soon as its header passes.
            waitUntil(() -> server.bufferedRequestBytes() == MAX);

            expectClosedWithinTheTimeout(raw);
            waitUntil(() -> server.bufferedRequestBytes() == 0);
            assertThat(server.metrics().bufferedRequestBytes().getCount()).isZero();
        }
    }

    @Test
    void aClientIdleBetweenCallsForLongerThanTheTimeoutKeepsItsConnection() throws Exception {
        InetSocketAddress address = startServer();
        try (RpcClient client = new RpcClient(address, RpcConfig.builder().maxPayloadBytes(MAX).build())) {
            assertThat(client.call(ECHO, ByteBuffer.wrap(new byte[100]), Duration.ofSeconds(5)).remaining())
                    .isEqualTo(100);
            waitUntil(() -> server.bufferedRequestBytes() == 0);

            // Forty sweeps, ten timeouts' worth of idleness.
            for (int i = 0; i < 40; i++) {
                clock.advance(SWEEP);
            }
            Thread.sleep(100);

            assertThat(client.call(ECHO, ByteBuffer.wrap(new byte[MAX]), Duration.ofSeconds(5)).remaining())
                    .isEqualTo(MAX);
            assertThat(server.metrics().connectionsAccepted().getCount()).isEqualTo(1);
            assertThat(server.metrics().partialFrameTimeouts().getCount()).isZero();
            assertThat(server.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void timeSpentWaitingForTheBudgetDoesNotCountAgainstThePeer() throws Exception {
        InetSocketAddress address = startServer();
        byte[] frame = TestFrames.frame(FrameKind.REQUEST, 1, ECHO, new byte[MAX]);
        try (SocketChannel first = SocketChannel.open(address); SocketChannel second = SocketChannel.open(address);
                SocketChannel waiting = SocketChannel.open(address)) {
            // Two stalled payloads fill the budget of two maximal payloads.
            first.write(ByteBuffer.wrap(frame, 0, FrameCodec.HEADER_BYTES + 10));
            waitUntil(() -> server.bufferedRequestBytes() == MAX);
            second.write(ByteBuffer.wrap(frame, 0, FrameCodec.HEADER_BYTES + 10));
            waitUntil(() -> server.bufferedRequestBytes() == 2L * MAX);
            // The third header comes in two pieces, so its frame is timed before its reader waits for budget.
            long before = server.metrics().bytesIn().getCount();
            waiting.write(ByteBuffer.wrap(frame, 0, 10));
            waitUntil(() -> server.metrics().bytesIn().getCount() == before + 10);
            Thread.sleep(50);
            waiting.write(ByteBuffer.wrap(frame, 10, FrameCodec.HEADER_BYTES - 10));
            waitUntil(() -> server.metrics().bytesIn().getCount() == before + FrameCodec.HEADER_BYTES);
            Thread.sleep(50);

            for (int i = 0; i < 4; i++) {
                clock.advance(SWEEP);
            }
            // The two stalled peers go; the waiting one gets their budget and a fresh timeout for its payload.
            waitUntil(() -> server.connectionCount() == 1 && server.bufferedRequestBytes() == MAX);
            Thread.sleep(50);
            assertThat(server.connectionCount()).isEqualTo(1);
            assertThat(server.metrics().partialFrameTimeouts().getCount()).isEqualTo(2);
            assertThat(first.read(ByteBuffer.allocate(1))).isEqualTo(-1);

            // It sends no payload either, so it goes one timeout later.
            for (int i = 0; i < 8 && server.connectionCount() > 0; i++) {
                clock.advance(SWEEP);
                waitUntil(() -> server.connectionCount() == 0, 200);
            }
            assertThat(server.metrics().partialFrameTimeouts().getCount()).isEqualTo(3);
            waitUntil(() -> server.bufferedRequestBytes() == 0);
        }
    }

    @Test
    void closeCancelsTheSweep() throws Exception {
        startServer();
        assertThat(clock.pendingTimers()).isEqualTo(1);
        server.close();
        assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void thePartialFrameTimeoutMustBePositive() {
        assertThat(RpcConfig.defaults().partialFrameTimeout()).isEqualTo(Duration.ofSeconds(30));
        RpcConfig custom = RpcConfig.builder().partialFrameTimeout(Duration.ofMillis(200)).build();
        assertThat(custom.toBuilder().build().partialFrameTimeout()).isEqualTo(Duration.ofMillis(200));
        for (Duration invalid : new Duration[] {Duration.ZERO, Duration.ofMillis(-1), null}) {
            assertThatThrownBy(() -> RpcConfig.builder().partialFrameTimeout(invalid).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("partialFrameTimeout must be a positive duration");
        }
    }

    private InetSocketAddress startServer() throws Exception {
        server = new RpcServer(RpcConfig.builder().maxPayloadBytes(MAX).maxBufferedRequestBytes(2L * MAX)
                .partialFrameTimeout(PARTIAL_FRAME_TIMEOUT).clock(clock).metricRegistry(registry).build());
        server.register(ECHO, request -> request);
        return server.start(LOOPBACK);
    }

    /**
     * Moves the server's clock one sweep at a time: the connection must survive the first three quarters of
     * the timeout and be closed, once, within a few sweeps after it.
     */
    private void expectClosedWithinTheTimeout(final SocketChannel raw) throws Exception {
        for (int i = 0; i < 3; i++) {
            clock.advance(SWEEP);
        }
        Thread.sleep(50);
        assertThat(server.connectionCount()).isEqualTo(1);
        assertThat(server.metrics().partialFrameTimeouts().getCount()).isZero();

        // The reader notes the frame's start just before it waits on the socket, which may be a moment after
        // the bytes were counted; allow a few sweeps beyond the timeout for that.
        for (int i = 0; i < 8 && server.connectionCount() > 0; i++) {
            clock.advance(SWEEP);
            waitUntil(() -> server.connectionCount() == 0, 200);
        }
        assertThat(server.connectionCount()).isZero();
        assertThat(server.metrics().partialFrameTimeouts().getCount()).isEqualTo(1);
        assertThat(raw.read(ByteBuffer.allocate(1))).isEqualTo(-1);
    }

    private static void waitUntil(final BooleanSupplier condition) throws InterruptedException {
        if (!waitUntil(condition, 5_000)) {
            throw new AssertionError("condition not met within 5 s");
        }
    }

    private static boolean waitUntil(final BooleanSupplier condition, final long millis)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }
}
