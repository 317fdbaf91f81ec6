package io.keel.access.iscsi;

import static io.keel.access.iscsi.ProtocolTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.pdu.PduCodec;
import io.keel.access.iscsi.pdu.PduException;
import io.keel.access.scsi.TransferBuffers;
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
    private MetricRegistry metrics;
    private IscsiPortal portal;
    private int port;
    private RawInitiator bystander;

    @BeforeEach
    void start() throws Exception {
        targets = new TestTargets();
        metrics = new MetricRegistry();
        portal = targets.start(TestTargets.config(), metrics);
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
        int lentBefore = TransferBuffers.shared().lent();
        for (int i = 0; i < 40; i++) {
            try (RawInitiator victim = new RawInitiator(port)) {
                victim.isid = new byte[] {0x40, 0, 0, 0, 1, (byte) i};
                victim.socket.setSoTimeout(3000);
                assertThat(RawInitiator.status(victim.loginFull(TestTargets.OPEN, Map.of()))).isZero();
                Pdu valid = switch (i % 4) {
                    case 0 -> victim.command(0xc1, 0, RawInitiator.read10(0, 2), 1024, null);
                    // Only part of its data comes: the rest is awaited in a buffer lent to the task.
                    case 1 -> victim.command(0xa1, 0, RawInitiator.write10(0, 16), 8192, new byte[512]);
                    case 2 -> victim.nop(new byte[] {1, 2, 3, 4, 5});
                    default -> Pdu.of(Opcode.TEXT_REQUEST).itt(3).putInt32(20, Pdu.RESERVED_TAG)
                            .putInt32(24, victim.cmdSn).data("SendTargets=All\0".getBytes());
                };
                ByteArrayOutputStream wire = new ByteArrayOutputStream();
                PduCodec.write(wire, valid, false, false);
                byte[] bytes = wire.toByteArray();
                // Mostly the header; a quarter of the flips anywhere, data segment included.
                for (int flips = 0; flips < 1 + random.nextInt(6); flips++) {
                    int at = random.nextInt(random.nextInt(4) == 0 ? bytes.length : Math.min(bytes.length, 48));
                    bytes[at] ^= (byte) (1 << random.nextInt(8));
                }
                victim.out.write(bytes);
                victim.out.flush();
                readUntilQuietOrClosed(victim);
            }
            bystanderStillWorks();
        }
        // Every victim connection is gone (none left hanging) and every buffer lent to one came back.
        waitFor(() -> metrics.counter("iscsi.connections").getCount() == 1);
        waitFor(() -> TransferBuffers.shared().lent() == lentBefore);
    }

    @Test
    void mutatedLoginTextIsAnsweredWithAnInitiatorErrorOrClosedNeverATargetError() throws Exception {
        Random random = new Random(3);
        String[] keys = {"InitiatorName", "TargetName", "SessionType", "MaxRecvDataSegmentLength", "HeaderDigest",
            "DataDigest", "MaxBurstLength", "FirstBurstLength", "InitialR2T", "ImmediateData", "AuthMethod",
            "ErrorRecoveryLevel", "MaxOutstandingR2T", "CHAP_A", "X-private", ""};
        String[] values = {"", "0", "-1", "4294967297", "Yes,No", "None,CRC32C,Bogus", "CHAP,None", "Normal",
            "Discovery", TestTargets.OPEN, "iqn.2026-01.io.keel:raw", "x".repeat(9000), "\u00ff\u0000",
            "NotUnderstood", "Reject", "Irrelevant"};
        int answered = 0;
        for (int i = 0; i < 80; i++) {
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            text.writeBytes(("InitiatorName=" + RawInitiator.NAME + "\0").getBytes());
            for (int k = 0; k < 1 + random.nextInt(6); k++) {
                String key = keys[random.nextInt(keys.length)];
                String value = values[random.nextInt(values.length)];
                text.writeBytes((random.nextInt(10) == 0 ? key + value : key + "=" + value).getBytes());
                if (random.nextInt(8) != 0) {
                    text.write(0); // sometimes the NUL is missing, so two pairs run together
                }
            }
            try (RawInitiator victim = new RawInitiator(port)) {
                victim.socket.setSoTimeout(5000);
                victim.isid = new byte[] {0x40, 0, 0, 0, 2, (byte) i};
                int csg = random.nextInt(4);
                Pdu login = Pdu.of(Opcode.LOGIN_REQUEST).immediate(true)
                        .flags((random.nextBoolean() ? 0x80 : 0) | csg << 2 | random.nextInt(4)).itt(i)
                        .putInt32(24, victim.cmdSn).data(text.toByteArray());
                System.arraycopy(victim.isid, 0, login.bhs(), 8, 6);
                Pdu response;
                try {
                    response = victim.exchange(login);
                } catch (IOException | PduException e) {
                    response = null; // closed by the target
                }
                if (response != null) {
                    answered++;
                    assertThat(response.opcode()).as("login %d", i).isEqualTo(Opcode.LOGIN_RESPONSE);
                    assertThat(response.byteAt(36)).as("status class of login %d: %s", i, text)
                            .isIn(0, 1, 2);
                }
            }
            bystanderStillWorks();
        }
        assertThat(answered).as("malformed logins get a Login Response").isGreaterThan(40);
        waitFor(() -> metrics.counter("iscsi.connections").getCount() == 1);
    }

    /** Reads whatever comes back (Rejects, responses) until a short quiet period or the target closes. */
    private static void readUntilQuietOrClosed(final RawInitiator victim) {
        try {
            victim.socket.setSoTimeout(300);
            while (victim.read() != null) {
                continue;
            }
        } catch (PduException | IOException e) {
            return; // quiet (a timeout) or closed: both are fine answers to garbage
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
