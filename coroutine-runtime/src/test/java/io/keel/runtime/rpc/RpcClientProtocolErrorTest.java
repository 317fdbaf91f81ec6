package io.keel.runtime.rpc;

import static io.keel.runtime.rpc.RpcLoopbackTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A fake server that answers requests with broken frames: the client must close and fail the call cleanly. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RpcClientProtocolErrorTest {

    private ServerSocketChannel listener;
    private RpcClient client;

    @AfterEach
    void close() throws IOException {
        if (client != null) {
            client.close();
        }
        listener.close();
    }

    @Test
    void garbageInsteadOfAnAnswerFailsTheCallWithTheReason() throws Exception {
        startFakeServer(request -> "HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

        assertThatThrownBy(() -> client.call(1, utf8("hi"), Duration.ofSeconds(5)))
                .isInstanceOf(RpcConnectionException.class)
                .hasMessageContaining("protocol error")
                .hasMessageContaining(ProtocolError.BAD_MAGIC.name())
                .hasMessageContaining(String.valueOf(((InetSocketAddress) listener.getLocalAddress()).getPort()));
        assertThat(client.metrics().protocolErrors().getCount()).isEqualTo(1);
    }

    @Test
    void aCorruptedAnswerFailsTheCall() throws Exception {
        startFakeServer(request -> {
            byte[] answer = TestFrames.frame(FrameKind.RESPONSE, request.header().requestId(), 1, new byte[] {1, 2});
            answer[answer.length - 1] ^= 0x7F;
            return answer;
        });

        assertThatThrownBy(() -> client.call(1, utf8("hi"), Duration.ofSeconds(5)))
                .isInstanceOf(RpcConnectionException.class)
                .hasMessageContaining(ProtocolError.BAD_PAYLOAD_CHECKSUM.name());
    }

    @Test
    void anAnswerLargerThanTheClientAcceptsFailsTheCall() throws Exception {
        startFakeServer(request -> TestFrames.withHeaderInt(
                TestFrames.frame(FrameKind.RESPONSE, request.header().requestId(), 1, new byte[0]),
                FrameCodec.PAYLOAD_LENGTH_OFFSET, 1 << 30));

        assertThatThrownBy(() -> client.call(1, utf8("hi"), Duration.ofSeconds(5)))
                .isInstanceOf(RpcConnectionException.class)
                .hasMessageContaining(ProtocolError.OVERSIZED_PAYLOAD.name());
    }

    @Test
    void aRequestSentToTheClientFailsTheCall() throws Exception {
        startFakeServer(request -> TestFrames.frame(FrameKind.REQUEST, 1, 1, new byte[0]));

        assertThatThrownBy(() -> client.call(1, utf8("hi"), Duration.ofSeconds(5)))
                .isInstanceOf(RpcConnectionException.class)
                .hasMessageContaining(ProtocolError.UNEXPECTED_KIND.name());
    }

    @Test
    void aPongAnsweringARequestFailsTheCall() throws Exception {
        startFakeServer(request -> TestFrames.frame(FrameKind.PONG, request.header().requestId(), 0, new byte[0]));

        assertThatThrownBy(() -> client.call(1, utf8("hi"), Duration.ofSeconds(5)))
                .isInstanceOf(RpcConnectionException.class)
                .hasMessageContaining(ProtocolError.UNEXPECTED_KIND.name());
    }

    @Test
    void aResponseNamingAnotherMethodFailsTheCall() throws Exception {
        startFakeServer(request -> TestFrames.frame(FrameKind.RESPONSE, request.header().requestId(), 2,
                new byte[] {1}));

        assertThatThrownBy(() -> client.call(1, utf8("hi"), Duration.ofSeconds(5)))
                .isInstanceOf(RpcConnectionException.class)
                .hasMessageContaining(ProtocolError.UNEXPECTED_KIND.name());
    }

    private void startFakeServer(final Function<Frame, byte[]> answer) throws IOException {
        listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofVirtual().start(() -> {
            try (SocketChannel connection = listener.accept()) {
                FrameDecoder decoder = new FrameDecoder(1024, ByteBuffer::allocate);
                ByteBuffer buffer = ByteBuffer.allocate(1024);
                Frame request = null;
                while (request == null && connection.read(buffer) >= 0) {
                    buffer.flip();
                    request = decoder.decode(buffer);
                    buffer.compact();
                }
                connection.write(ByteBuffer.wrap(answer.apply(request)));
                // Keep the connection open: the client must close it because of what it read, not an EOF.
                connection.read(ByteBuffer.allocate(1));
            } catch (IOException expected) {
                // The client closes the connection.
            }
        });
        client = new RpcClient((InetSocketAddress) listener.getLocalAddress(), RpcConfig.defaults());
    }
}
