package io.keel.access.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.pdu.PduCodec;
import io.keel.access.iscsi.pdu.PduException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Garbage on the wire: the portal rejects or closes, never crashes, and other sessions keep working. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FuzzTest {

    private TestTargets targets;
    private IscsiPortal portal;
    private int port;
    private RawInitiator bystander;

    @BeforeEach
    void start() throws Exception {
        targets = new TestTargets();
        portal = targets.start(TestTargets.config(), new MetricRegistry());
        port = portal.boundAddresses().get(0).getPort();
        bystander = new RawInitiator(port);
        bystander.isid = new byte[] {0x40, 0, 0, 0, 0, 99};
        assertThat(RawInitiator.status(bystander.loginFull(TestTargets.OPEN, Map.of()))).isZero();
    }

    @AfterEach
    void stop() throws IOException {
        bystander.close();
        portal.close();
    }

    private void bystanderStillWorks() throws Exception {
        Pdu reply = bystander.exchange(bystander.command(0xc1, 0, RawInitiator.read10(0, 1), 512, null));
        assertThat(reply.opcode()).isEqualTo(Opcode.DATA_IN);
    }

    @Test
    void randomBytesBeforeLogin() throws Exception {
        Random random = new Random(1);
        for (int i = 0; i < 60; i++) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(5000);
                byte[] junk = new byte[48 + random.nextInt(400)];
                random.nextBytes(junk);
                if (i % 2 == 0) {
                    junk[0] = 0x43; // looks like a login request
                }
                OutputStream out = socket.getOutputStream();
                out.write(junk);
                out.flush();
                socket.shutdownOutput();
                drain(socket);
            }
        }
        bystanderStillWorks();
    }

    @Test
    void bitFlippedPdusInFullFeaturePhase() throws Exception {
        Random random = new Random(2);
        int closed = 0;
        for (int i = 0; i < 40; i++) {
            try (RawInitiator victim = new RawInitiator(port)) {
                victim.isid = new byte[] {0x40, 0, 0, 0, 1, (byte) i};
                victim.socket.setSoTimeout(3000);
                assertThat(RawInitiator.status(victim.loginFull(TestTargets.OPEN, Map.of()))).isZero();
                Pdu valid = switch (i % 4) {
                    case 0 -> victim.command(0xc1, 0, RawInitiator.read10(0, 2), 1024, null);
                    case 1 -> victim.command(0xa1, 0, RawInitiator.write10(0, 1), 512, new byte[512]);
                    case 2 -> victim.nop(new byte[] {1, 2, 3, 4, 5});
                    default -> Pdu.of(Opcode.TEXT_REQUEST).itt(3).putInt32(20, Pdu.RESERVED_TAG)
                            .putInt32(24, victim.cmdSn).data("SendTargets=All\0".getBytes());
                };
                ByteArrayOutputStream wire = new ByteArrayOutputStream();
                PduCodec.write(wire, valid, false, false);
                byte[] bytes = wire.toByteArray();
                for (int flips = 0; flips < 1 + random.nextInt(6); flips++) {
                    int at = random.nextInt(Math.min(bytes.length, 48));
                    bytes[at] ^= (byte) (1 << random.nextInt(8));
                }
                victim.out.write(bytes);
                victim.out.flush();
                if (!survivesOrCloses(victim)) {
                    closed++;
                }
            }
            bystanderStillWorks();
        }
        assertThat(closed).isLessThanOrEqualTo(40);
    }

    /** Reads whatever comes back until a short quiet period; false when the target closed. */
    private static boolean survivesOrCloses(final RawInitiator victim) throws IOException {
        victim.socket.setSoTimeout(300);
        try {
            while (true) {
                Pdu pdu = victim.read();
                if (pdu == null) {
                    return false;
                }
            }
        } catch (SocketTimeoutException e) {
            return true;
        } catch (PduException | IOException e) {
            return false;
        }
    }

    private static void drain(final Socket socket) throws IOException {
        try {
            socket.getInputStream().readAllBytes();
        } catch (SocketTimeoutException | java.net.SocketException e) {
            assertThat(e).isNotNull();
        }
    }
}
