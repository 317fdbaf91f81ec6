package io.keel.runtime.rpc;

import static io.keel.runtime.rpc.RpcLoopbackTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** Clients that break the protocol, or read too slowly, against a real server on loopback. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RpcServerProtocolErrorTest {

    private static final int MAX = 64 * 1024;
    private static final int ECHO = 1;
    private static final int BIG_ANSWER = 2;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger serverLogger = (Logger) LoggerFactory.getLogger(RpcServer.class);
    private final AtomicLong bigAnswers = new AtomicLong();
    private RpcServer server;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws IOException {
        log.start();
        serverLogger.addAppender(log);
        server = new RpcServer(RpcConfig.builder().maxPayloadBytes(MAX).maxInFlightPerConnection(4)
                .socketBuffers(16 * 1024, 0).build());
        server.register(ECHO, request -> request);
        server.register(BIG_ANSWER, request -> {
            bigAnswers.incrementAndGet();
            return ByteBuffer.allocateDirect(MAX);
        });
        address = server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void stop() {
        server.close();
        serverLogger.detachAppender(log);
    }

    @Test
    void garbageClosesTheConnection() throws Exception {
        assertClosedWithOneLogLine("GET / HTTP/1.1\r\nHost: keel\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                ProtocolError.BAD_MAGIC);
    }

    @Test
    void aCorruptedHeaderClosesTheConnection() throws Exception {
        byte[] frame = request(1, "hello");
        frame[FrameCodec.CODE_OFFSET] ^= 0x40;
        assertClosedWithOneLogLine(frame, ProtocolError.BAD_HEADER_CHECKSUM);
    }

    @Test
    void aCorruptedPayloadClosesTheConnection() throws Exception {
        byte[] frame = request(1, "hello");
        frame[frame.length - 2] ^= 0x01;
        assertClosedWithOneLogLine(frame, ProtocolError.BAD_PAYLOAD_CHECKSUM);
    }

    @Test
    void anOversizedLengthClosesTheConnectionWithoutWaitingForThePayload() throws Exception {
        byte[] frame = TestFrames.withHeaderInt(request(1, ""), FrameCodec.PAYLOAD_LENGTH_OFFSET, Integer.MAX_VALUE);
        assertClosedWithOneLogLine(frame, ProtocolError.OVERSIZED_PAYLOAD);
    }

    @Test
    void anUnknownVersionClosesTheConnection() throws Exception {
        byte[] frame = TestFrames.frame(FrameCodec.MAX_READ_VERSION + 1, FrameKind.REQUEST, 1, ECHO, new byte[4]);
        assertClosedWithOneLogLine(frame, ProtocolError.UNSUPPORTED_VERSION);
    }

    @Test
    void anUnknownKindClosesTheConnection() throws Exception {
        byte[] frame = TestFrames.withHeaderByte(request(1, "x"), FrameCodec.KIND_OFFSET, 42);
        assertClosedWithOneLogLine(frame, ProtocolError.UNKNOWN_KIND);
    }

    @Test
    void aResponseSentToTheServerClosesTheConnection() throws Exception {
        byte[] frame = TestFrames.frame(FrameKind.RESPONSE, 1, ECHO, new byte[3]);
        assertClosedWithOneLogLine(frame, ProtocolError.UNEXPECTED_KIND);
    }

    @Test
    void aFloodOfBadConnectionsCannotFloodTheLog() throws Exception {
        int connections = 40;
        for (int i = 0; i < connections; i++) {
            try (SocketChannel socket = SocketChannel.open(address)) {
                socket.write(ByteBuffer.wrap(new byte[] {'x'}));
                assertThat(readUntilClosed(socket)).isTrue();
            }
        }
        RpcLoopbackTest.awaitCount(() -> server.metrics().protocolErrors().getCount(), connections);
        assertThat(warnings()).hasSizeLessThanOrEqualTo(5);
        assertGoodClientIsServed();
    }

    @Test
    void answersARequestThatArrivesOneByteAtATime() throws Exception {
        byte[] frame = request(77, "trickle");
        try (SocketChannel socket = SocketChannel.open(address)) {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            for (byte b : frame) {
                socket.write(ByteBuffer.wrap(new byte[] {b}));
            }
            Frame answer = readFrame(socket);
            assertThat(answer.header().kind()).isEqualTo(FrameKind.RESPONSE);
            assertThat(answer.header().requestId()).isEqualTo(77);
            assertThat(answer.payload()).isEqualTo(utf8("trickle"));
        }
    }

    @Test
    void answersPingsOnARawConnection() throws Exception {
        try (SocketChannel socket = SocketChannel.open(address)) {
            socket.write(ByteBuffer.wrap(TestFrames.frame(FrameKind.PING, 5, 0, new byte[0])));
            Frame pong = readFrame(socket);
            assertThat(pong.header().kind()).isEqualTo(FrameKind.PONG);
            assertThat(pong.header().requestId()).isEqualTo(5);
        }
    }

    @Test
    void aClientThatDoesNotReadStallsItsOwnRequestsInsteadOfGrowingServerMemory() throws Exception {
        int requests = 400;
        byte[] one = TestFrames.frame(FrameKind.REQUEST, 0, BIG_ANSWER, new byte[16]);
        SocketChannel socket = SocketChannel.open();
        socket.setOption(StandardSocketOptions.SO_RCVBUF, 16 * 1024);
        socket.connect(address);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < requests; i++) {
                    socket.write(ByteBuffer.wrap(one));
                }
            } catch (IOException expectedWhenClosed) {
                // The test closes the socket while this writer is stuck.
            }
        });
        long maxInFlight = 0;
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(800);
        while (System.nanoTime() < until) {
            maxInFlight = Math.max(maxInFlight, server.metrics().inFlight().getCount());
            Thread.sleep(2);
        }
        long served = bigAnswers.get();

        assertThat(maxInFlight).isBetween(1L, 4L);
        // Four running, plus the few 64 KiB answers that fit into the two sockets' buffers.
        assertThat(served).as("handlers run while nobody reads the answers").isLessThan(60);
        assertThat(server.metrics().requests().getCount()).isEqualTo(served);

        socket.close();
        writer.join();
        RpcLoopbackTest.awaitCount(() -> server.metrics().inFlight().getCount(), 0);
        RpcLoopbackTest.awaitCount(server::connectionCount, 0);
        assertGoodClientIsServed();
    }

    private void assertClosedWithOneLogLine(final byte[] bytes, final ProtocolError expected) throws Exception {
        try (SocketChannel socket = SocketChannel.open(address)) {
            socket.write(ByteBuffer.wrap(bytes));
            assertThat(readUntilClosed(socket)).as("the server closed the connection").isTrue();
        }
        RpcLoopbackTest.awaitCount(() -> server.metrics().protocolErrors().getCount(), 1);
        List<String> lines = warnings();
        assertThat(lines).hasSize(1);
        assertThat(lines.getFirst()).contains(expected.name()).contains("127.0.0.1");
        assertGoodClientIsServed();
    }

    private void assertGoodClientIsServed() throws Exception {
        try (RpcClient client = new RpcClient(address, RpcConfig.builder().maxPayloadBytes(MAX).build())) {
            assertThat(client.call(ECHO, utf8("fine"), TIMEOUT)).isEqualTo(utf8("fine"));
        }
    }

    private List<String> warnings() {
        return log.list.stream().filter(event -> event.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static byte[] request(final long requestId, final String text) {
        return TestFrames.frame(FrameKind.REQUEST, requestId, ECHO, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads and discards until end of stream; false if the server kept the connection open for 5 s. */
    private static boolean readUntilClosed(final SocketChannel socket) throws IOException {
        socket.configureBlocking(true);
        ByteBuffer sink = ByteBuffer.allocate(4096);
        socket.socket().setSoTimeout(5000);
        try {
            InputStream in = socket.socket().getInputStream();
            while (in.read(sink.array()) >= 0) {
                sink.clear();
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }

    private static Frame readFrame(final SocketChannel socket) throws IOException {
        FrameDecoder decoder = new FrameDecoder(MAX, ByteBuffer::allocate);
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        while (true) {
            if (socket.read(buffer) < 0) {
                throw new EOFException();
            }
            buffer.flip();
            Frame frame = decoder.decode(buffer);
            buffer.compact();
            if (frame != null) {
                return frame;
            }
        }
    }
}
