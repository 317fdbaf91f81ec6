package io.keel.runtime.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.keel.runtime.time.Deadline;
import io.keel.runtime.time.SystemClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ServerConnectionGoAwayTest {

    @Test
    void goingAwayFromAClientThatDoesNotReadEndsAtTheWriteDeadline() throws Exception {
        RpcConfig config = RpcConfig.defaults();
        try (ServerSocketChannel listener = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel client = SocketChannel.open()) {
            client.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
            client.connect(listener.getLocalAddress());
            SocketChannel accepted = listener.accept();
            // Fill the connection until the server's next write would block, with the writer role free; the
            // kernel keeps moving bytes for a while, so the buffer counts as full after 20 refused writes in a row.
            accepted.setOption(StandardSocketOptions.SO_SNDBUF, 4096);
            accepted.configureBlocking(false);
            ByteBuffer filler = ByteBuffer.allocate(64 * 1024);
            int idleRounds = 0;
            while (idleRounds < 20) {
                idleRounds = accepted.write(filler.clear()) > 0 ? 0 : idleRounds + 1;
                Thread.sleep(5);
            }
            accepted.configureBlocking(true);
            ServerConnection connection = new ServerConnection(new RpcServer(config), accepted,
                    (InetSocketAddress) client.getLocalAddress(), config, new RpcServerMetrics(new MetricRegistry()));

            Thread closer = Thread.ofVirtual().start(() -> connection.goAwayAndClose("closing",
                    Deadline.after(SystemClock.INSTANCE, Duration.ofMillis(200))));

            assertThat(closer.join(Duration.ofSeconds(3))).as("goAwayAndClose returned").isTrue();
            assertThat(accepted.isOpen()).isFalse();
        }
    }
}
