package io.keel.access.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ImmediateSend} on a loopback connection: takes what fits, never waits, keeps the bytes in order. */
class ImmediateSendTest {

    private static final int PART = 64 * 1024;

    private ServerSocketChannel server;
    private SocketChannel initiator;
    private SocketChannel target;
    private ImmediateSend send;

    @BeforeEach
    void connect() throws Exception {
        assumeTrue(System.getProperty("os.name", "").startsWith("Linux"), "sendmsg through FFM is bound on Linux");
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        initiator = SocketChannel.open(server.getLocalAddress());
        target = server.accept();
        send = ImmediateSend.of(target);
        // The test JVM runs with the opens every Keel JVM has (pom.xml keel.jvm.opens).
        assertThat(send).as("immediate sends on Linux with --add-opens java.base/sun.nio.ch").isNotNull();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {initiator, target, server}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** Two direct parts of a counting pattern that goes on from {@code start}. */
    private static ByteBuffer[] parts(final long start) {
        ByteBuffer[] parts = {ByteBuffer.allocateDirect(PART), ByteBuffer.allocateDirect(PART)};
        long value = start;
        for (ByteBuffer part : parts) {
            while (part.hasRemaining()) {
                part.put((byte) value++);
            }
            part.flip();
        }
        return parts;
    }

    @Test
    void fillsTheSocketWithoutWaitingAndEveryByteArrivesInOrder() throws Exception {
        long sent = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            long total = 0;
            while (true) {
                ByteBuffer[] parts = parts(total);
                long written = send.writeNow(parts, 0, 2);
                total += written;
                if (written < 2L * PART) {
                    return total; // the socket is full: nobody reads the other end
                }
                assertThat(total).as("a loopback socket holds far less").isLessThan(1L << 30);
            }
        });
        assertThat(sent).isPositive();
        assertThat(send.writeNow(parts(sent), 0, 2)).as("still full while nobody reads").isZero();
        ByteBuffer received = ByteBuffer.allocate(PART);
        long checked = 0;
        while (checked < sent) {
            received.clear().limit((int) Math.min(PART, sent - checked));
            initiator.read(received);
            received.flip();
            while (received.hasRemaining()) {
                assertThat(received.get()).as("byte %d", checked).isEqualTo((byte) checked);
                checked++;
            }
        }
        assertThat(send.writeNow(parts(sent), 0, 2)).as("room again once read").isPositive();
    }

    @Test
    void aClosedSendNeverTouchesTheDescriptorAgain() throws Exception {
        send.close();
        assertThatThrownBy(() -> send.writeNow(parts(0), 0, 2)).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void aPeerThatResetTheConnectionIsAnErrorNotASignal() throws Exception {
        initiator.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
        initiator.close(); // an RST
        assertThatThrownBy(() -> {
            for (int i = 0; i < 1000; i++) {
                send.writeNow(parts(0), 0, 2);
                Thread.sleep(1);
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("errno");
    }
}
