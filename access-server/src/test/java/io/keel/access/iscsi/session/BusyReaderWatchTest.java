package io.keel.access.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link BusyReaderWatch} on a loopback connection: hands reading on once per arming, and only when armed. */
class BusyReaderWatchTest {

    private BusyReaderWatch watch;
    private ServerSocketChannel server;
    private SocketChannel initiator;
    private SocketChannel target;
    private final Semaphore handedOn = new Semaphore(0);

    @BeforeEach
    void connect() throws Exception {
        assumeTrue(System.getProperty("os.name", "").startsWith("Linux"), "epoll is Linux only");
        watch = BusyReaderWatch.open();
        // The test JVM runs with the opens every Keel JVM has (pom.xml keel.jvm.opens): the watch must exist.
        assertThat(watch).as("watch on Linux with --add-opens java.base/sun.nio.ch").isNotNull();
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        initiator = SocketChannel.open(server.getLocalAddress());
        target = server.accept();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {initiator, target, server, watch}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private void send(final int bytes) throws Exception {
        initiator.write(ByteBuffer.allocate(bytes));
    }

    @Test
    void aByteArrivingWhileArmedHandsReadingOnOnceAndTheReaderLearnsIt() throws Exception {
        BusyReaderWatch.Watch socket = watch.register(target, handedOn::release);
        long token = socket.arm();
        assertThat(token).isPositive();
        send(1);
        assertThat(handedOn.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
        send(1);
        assertThat(handedOn.tryAcquire(200, TimeUnit.MILLISECONDS)).as("a second hand-off for one arming").isFalse();
        assertThat(socket.disarm(token)).as("the busy reader still owns reading").isFalse();
        // The thread that took over arms and disarms with a new generation; bytes are already waiting.
        long next = socket.arm();
        assertThat(next).isNotEqualTo(token);
        assertThat(handedOn.tryAcquire(10, TimeUnit.SECONDS)).as("bytes waiting when armed hand on at once").isTrue();
        assertThat(socket.disarm(next)).isFalse();
    }

    @Test
    void nothingArrivingMeansNoHandOffAndBytesWhileDisarmedAreTheReadersOwn() throws Exception {
        BusyReaderWatch.Watch socket = watch.register(target, handedOn::release);
        for (int command = 0; command < 100; command++) {
            long token = socket.arm();
            assertThat(socket.disarm(token)).isTrue();
        }
        send(1);
        assertThat(handedOn.tryAcquire(200, TimeUnit.MILLISECONDS)).as("hand-off while disarmed").isFalse();
        target.read(ByteBuffer.allocate(1));
        long token = socket.arm();
        assertThat(socket.disarm(token)).isTrue();
        socket.unregister();
        send(1);
        assertThat(handedOn.tryAcquire(200, TimeUnit.MILLISECONDS)).as("hand-off after unregister").isFalse();
    }

    @Test
    void thePeerClosingWhileArmedHandsOnSoThatSomeoneSeesTheEnd() throws Exception {
        BusyReaderWatch.Watch socket = watch.register(target, handedOn::release);
        long token = socket.arm();
        initiator.close();
        assertThat(handedOn.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
        assertThat(socket.disarm(token)).isFalse();
    }
}
