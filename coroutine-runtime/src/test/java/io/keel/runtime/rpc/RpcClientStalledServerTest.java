package io.keel.runtime.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A fake server that accepts connections and never reads them: calls must still end at their deadlines. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RpcClientStalledServerTest {

    private static final int BUFFER = 16 * 1024;
    private static final int LARGE = 8 * 1024 * 1024;

    private final List<SocketChannel> accepted = new CopyOnWriteArrayList<>();
    private ServerSocketChannel listener;
    private RpcClient client;

    @BeforeEach
    void startStalledServer() throws IOException {
        listener = ServerSocketChannel.open();
        listener.setOption(StandardSocketOptions.SO_RCVBUF, BUFFER);
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    accepted.add(listener.accept());
                }
            } catch (IOException closed) {
                // The test is over.
            }
        });
        client = new RpcClient((InetSocketAddress) listener.getLocalAddress(), RpcConfig.builder()
                .maxPayloadBytes(LARGE).socketBuffers(BUFFER, 0).build());
    }

    @AfterEach
    void stop() throws IOException {
        client.close();
        listener.close();
        for (SocketChannel channel : accepted) {
            channel.close();
        }
    }

    @Test
    void aCallWhoseRequestCannotBeWrittenEndsAtItsDeadline() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.call(1, ByteBuffer.allocateDirect(LARGE), Duration.ofMillis(300)))
                .isInstanceOf(RpcTimeoutException.class);
        assertThat((System.nanoTime() - start) / 1_000_000).as("milliseconds").isLessThan(2000);
        assertThat(client.pendingCalls()).isZero();
    }

    @Test
    void callsQueuedBehindAStuckWriteEndAtTheirDeadlines() throws Exception {
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> large = callers.submit(() -> client.call(1, ByteBuffer.allocateDirect(LARGE),
                    Duration.ofMillis(400)));
            Thread.sleep(100);
            long start = System.nanoTime();
            assertThatThrownBy(() -> client.call(1, ByteBuffer.allocate(10), Duration.ofMillis(100)))
                    .isInstanceOf(RpcTimeoutException.class);
            assertThat((System.nanoTime() - start) / 1_000_000).as("milliseconds").isLessThan(1000);
            assertThatThrownBy(() -> large.get(2, TimeUnit.SECONDS)).cause()
                    .isInstanceOf(RpcTimeoutException.class);
        }
    }
}
