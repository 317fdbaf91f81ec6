package io.keel.access.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.codahale.metrics.MetricRegistry;
import io.keel.access.iscsi.login.LoginStatus;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.pdu.PduCodec;
import io.keel.access.iscsi.session.Connection;
import io.keel.access.scsi.BlockTarget;
import io.keel.access.scsi.FakeReservations;
import io.keel.access.scsi.LunSpec;
import io.keel.access.scsi.MemoryBackend;
import io.keel.access.scsi.ScsiCommand;
import io.keel.access.scsi.TargetOptions;
import io.keel.access.scsi.TransferBuffers;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Full feature phase behaviour driven PDU by PDU: data transfer, NOP, text, logout, rejects, windows. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProtocolTest {

    /** Login keys under which a WRITE's data comes only when asked for. */
    private static final Map<String, String> ALL_DATA_BY_R2T = Map.of("InitialR2T", "Yes", "ImmediateData", "No");

    private TestTargets targets;
    private IscsiPortal portal;
    private MetricRegistry metrics;
    private int port;

    @BeforeEach
    void start() {
        targets = new TestTargets();
        metrics = new MetricRegistry();
        portal = targets.start(TestTargets.config(), metrics);
        port = portal.boundAddresses().get(0).getPort();
    }

    @AfterEach
    void stop() {
        portal.close();
    }

    private RawInitiator loggedIn(final Map<String, String> extra) throws Exception {
        RawInitiator initiator = new RawInitiator(port);
        Pdu response = initiator.loginFull(TestTargets.OPEN, extra);
        assertThat(RawInitiator.status(response)).isZero();
        assertThat(response.flags() & 0x83).isEqualTo(0x83);
        assertThat(response.int16(14)).isNotZero();
        return initiator;
    }

    @Test
    void aLoginWhoseTargetCannotBeLookedUpIsAnsweredServiceUnavailable() throws Exception {
        targets.findFailure = new IllegalStateException("meta member is closing");
        try (RawInitiator initiator = new RawInitiator(port)) {
            Pdu response = initiator.loginFull(TestTargets.OPEN, Map.of());
            assertThat(response.opcode()).isEqualTo(Opcode.LOGIN_RESPONSE);
            assertThat(RawInitiator.status(response)).as("target error: service unavailable")
                    .isEqualTo(LoginStatus.SERVICE_UNAVAILABLE);
        }
        targets.findFailure = null;
        loggedIn(Map.of()).close();
    }

    @Test
    void loginAnswersEveryKeyWithTheNegotiatedValue() throws Exception {
        RawInitiator initiator = new RawInitiator(port);
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("HeaderDigest", "CRC32C,None");
        extra.put("DataDigest", "None");
        extra.put("MaxBurstLength", "1048576");
        extra.put("FirstBurstLength", "4096");
        extra.put("InitialR2T", "No");
        extra.put("ImmediateData", "Yes");
        extra.put("MaxConnections", "8");
        extra.put("ErrorRecoveryLevel", "2");
        extra.put("MaxOutstandingR2T", "4");
        extra.put("DefaultTime2Wait", "0");
        extra.put("X-com.example.Foo", "bar");
        extra.put("MaxRecvDataSegmentLength", "4096");
        Pdu response = initiator.loginFull(TestTargets.OPEN, extra);
        Map<String, String> keys = RawInitiator.keys(response);
        assertThat(keys).containsEntry("HeaderDigest", "CRC32C").containsEntry("DataDigest", "None")
                .containsEntry("MaxBurstLength", "1048576")
                .containsEntry("FirstBurstLength", "4096").containsEntry("InitialR2T", "No")
                .containsEntry("ImmediateData", "Yes").containsEntry("MaxConnections", "1")
                .containsEntry("ErrorRecoveryLevel", "0").containsEntry("MaxOutstandingR2T", "4")
                .containsEntry("DefaultTime2Wait", "2").containsEntry("X-com.example.Foo", "NotUnderstood")
                .containsEntry("TargetPortalGroupTag", "1").containsEntry("TargetAlias", "open disk")
                .containsEntry("MaxRecvDataSegmentLength", "262144");
        // Header digests apply from the first full feature PDU on.
        Pdu nop = initiator.exchange(initiator.nop(new byte[] {1, 2, 3}));
        assertThat(nop.opcode()).isEqualTo(Opcode.NOP_IN);
        assertThat(nop.data()).containsExactly(1, 2, 3);
        initiator.close();
    }

    @Test
    void loginThroughBothStagesWithContinuation() throws Exception {
        try (RawInitiator initiator = new RawInitiator(port)) {
            Map<String, String> keys = RawInitiator.normal(TestTargets.OPEN);
            keys.put("AuthMethod", "None");
            Pdu first = initiator.loginPdu(0, 1, false, keys);
            first.flags(0x40); // C bit: more text follows
            Pdu ack = initiator.exchange(first);
            assertThat(RawInitiator.status(ack)).isZero();
            assertThat(ack.data()).isEmpty();
            Pdu security = initiator.login(0, 1, true, Map.of());
            assertThat(RawInitiator.keys(security)).containsEntry("AuthMethod", "None");
            assertThat(security.flags()).isEqualTo(0x81);
            Pdu operational = initiator.login(1, 3, true, Map.of("MaxRecvDataSegmentLength", "8192"));
            assertThat(operational.flags()).isEqualTo(0x87);
            assertThat(operational.int16(14)).isNotZero();
            assertThat(RawInitiator.keys(operational)).containsKey("MaxRecvDataSegmentLength");
        }
    }

    @Test
    void loginFailuresCarryTheirStatus() throws Exception {
        assertThat(failedLogin(Map.of("TargetName", TestTargets.OPEN))).isEqualTo(LoginStatus.MISSING_PARAMETER);
        Map<String, String> noTarget = new LinkedHashMap<>(RawInitiator.normal(TestTargets.OPEN));
        noTarget.remove("TargetName");
        assertThat(failedLogin(noTarget)).isEqualTo(LoginStatus.MISSING_PARAMETER);
        Map<String, String> badType = RawInitiator.normal(TestTargets.OPEN);
        badType.put("SessionType", "Special");
        assertThat(failedLogin(badType)).isEqualTo(LoginStatus.SESSION_TYPE_NOT_SUPPORTED);
        assertThat(failedLogin(RawInitiator.normal("iqn.2026-01.io.keel:missing")))
                .isEqualTo(LoginStatus.TARGET_NOT_FOUND);
        assertThat(failedLogin(RawInitiator.normal(TestTargets.ACL))).isEqualTo(LoginStatus.AUTHORIZATION_FAILURE);
        assertThat(failedLogin(RawInitiator.normal(TestTargets.CHAP))).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
        try (RawInitiator initiator = new RawInitiator(port)) {
            Pdu pdu = initiator.loginPdu(1, 3, true, RawInitiator.normal(TestTargets.OPEN));
            pdu.putByte(3, 1); // VersionMin 1
            assertThat(RawInitiator.status(initiator.exchange(pdu))).isEqualTo(LoginStatus.UNSUPPORTED_VERSION);
        }
        try (RawInitiator initiator = new RawInitiator(port)) {
            Pdu pdu = initiator.loginPdu(1, 3, true, RawInitiator.normal(TestTargets.OPEN));
            pdu.putInt16(14, 4242);
            assertThat(RawInitiator.status(initiator.exchange(pdu))).isEqualTo(LoginStatus.SESSION_DOES_NOT_EXIST);
            assertThat(initiator.closedByTarget()).isTrue();
        }
        assertThat(metrics.counter("iscsi.login.failures.missing-parameter").getCount()).isEqualTo(2);
    }

    private int failedLogin(final Map<String, String> keys) throws Exception {
        try (RawInitiator initiator = new RawInitiator(port)) {
            Pdu response = initiator.login(1, 3, true, keys);
            assertThat(initiator.closedByTarget()).isTrue();
            return RawInitiator.status(response);
        }
    }

    @Test
    void chapInTheSecurityStage() throws Exception {
        try (RawInitiator initiator = new RawInitiator(port)) {
            Map<String, String> keys = RawInitiator.normal(TestTargets.CHAP);
            keys.put("AuthMethod", "CHAP,None");
            Pdu offer = initiator.login(0, 1, true, keys);
            assertThat(RawInitiator.keys(offer)).containsEntry("AuthMethod", "CHAP");
            assertThat(offer.flags() & 0x80).isZero();
            Map<String, String> challenge = RawInitiator.keys(initiator.login(0, 1, true, Map.of("CHAP_A", "6,5")));
            assertThat(challenge).containsEntry("CHAP_A", "5").containsKeys("CHAP_I", "CHAP_C");
            Pdu done = initiator.login(0, 1, true, Map.of("CHAP_N", "user",
                    "CHAP_R", chapResponse(challenge, "secretsecret12")));
            assertThat(RawInitiator.status(done)).isZero();
            assertThat(done.flags()).isEqualTo(0x81);
            assertThat(RawInitiator.status(initiator.login(1, 3, true, Map.of()))).isZero();
        }
    }

    /** CHAP_R (MD5, base64) for {@code challenge}'s CHAP_I and CHAP_C with {@code secret}. */
    private static String chapResponse(final Map<String, String> challenge, final String secret) throws Exception {
        byte[] c = io.keel.access.iscsi.login.TextKeys.decodeBinary(challenge.get("CHAP_C"));
        byte[] r = io.keel.access.iscsi.login.ChapAuthenticator.md5(Integer.parseInt(challenge.get("CHAP_I")),
                secret.getBytes(), c);
        return "0b" + java.util.Base64.getEncoder().encodeToString(r);
    }

    @Test
    void discoverySessionsLogInWithTheirOwnChapWhenItIsSet() throws Exception {
        targets.discoveryChap = new ChapSecrets("disco", "discosecret1".getBytes(), null, null);
        try (RawInitiator initiator = new RawInitiator(port)) {
            Map<String, String> keys = RawInitiator.discovery();
            keys.put("AuthMethod", "None");
            assertThat(RawInitiator.status(initiator.login(0, 1, true, keys)))
                    .as("no CHAP offered").isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
        }
        try (RawInitiator initiator = new RawInitiator(port)) {
            Map<String, String> keys = RawInitiator.discovery();
            keys.put("AuthMethod", "CHAP,None");
            assertThat(RawInitiator.keys(initiator.login(0, 1, true, keys))).containsEntry("AuthMethod", "CHAP");
            Map<String, String> challenge = RawInitiator.keys(initiator.login(0, 1, true, Map.of("CHAP_A", "5")));
            Pdu done = initiator.login(0, 1, true, Map.of("CHAP_N", "disco",
                    "CHAP_R", chapResponse(challenge, "discosecret1")));
            assertThat(RawInitiator.status(done)).isZero();
            assertThat(RawInitiator.status(initiator.login(1, 3, true, Map.of()))).isZero();
            Pdu text = initiator.exchange(Pdu.of(Opcode.TEXT_REQUEST).immediate(true).flags(0x80).itt(77)
                    .putInt32(20, Pdu.RESERVED_TAG).putInt32(24, initiator.cmdSn)
                    .data("SendTargets=All\0".getBytes()));
            assertThat(new String(text.data())).contains("TargetName=" + TestTargets.OPEN);
        }
        // A target's own CHAP is not what discovery takes.
        try (RawInitiator initiator = new RawInitiator(port)) {
            Map<String, String> keys = RawInitiator.discovery();
            keys.put("AuthMethod", "CHAP");
            initiator.login(0, 1, true, keys);
            Map<String, String> challenge = RawInitiator.keys(initiator.login(0, 1, true, Map.of("CHAP_A", "5")));
            assertThat(RawInitiator.status(initiator.login(0, 1, true, Map.of("CHAP_N", "user",
                    "CHAP_R", chapResponse(challenge, "secretsecret12")))))
                    .isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
        }
        targets.discoveryChap = null;
        try (RawInitiator initiator = new RawInitiator(port)) {
            Map<String, String> keys = RawInitiator.discovery();
            keys.put("AuthMethod", "None");
            assertThat(RawInitiator.status(initiator.login(0, 1, true, keys))).as("none needed again").isZero();
        }
    }

    @Test
    void writeWithImmediateUnsolicitedAndSolicitedDataThenReadBackWithDigests() throws Exception {
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("HeaderDigest", "CRC32C");
        extra.put("DataDigest", "CRC32C");
        extra.put("InitialR2T", "No");
        extra.put("ImmediateData", "Yes");
        extra.put("FirstBurstLength", "8192");
        extra.put("MaxBurstLength", "16384");
        extra.put("MaxOutstandingR2T", "2");
        extra.put("MaxRecvDataSegmentLength", "4096");
        try (RawInitiator initiator = loggedIn(extra)) {
            assertThat(initiator.dataDigest).isTrue();
            byte[] payload = new byte[64 * 1024];
            new java.util.Random(3).nextBytes(payload);
            Pdu command = initiator.command(0x21, 0, RawInitiator.write10(8, 128), payload.length,
                    Arrays.copyOf(payload, 4096));
            int itt = command.itt();
            initiator.send(command);
            initiator.send(Pdu.of(Opcode.DATA_OUT).flags(0x80).itt(itt).putInt32(20, Pdu.RESERVED_TAG)
                    .putInt32(36, 0).putInt32(40, 4096).data(Arrays.copyOfRange(payload, 4096, 8192)));
            int r2ts = 0;
            Pdu reply;
            while ((reply = initiator.read()).opcode() == Opcode.R2T) {
                r2ts++;
                int ttt = reply.int32(20);
                int offset = reply.int32(40);
                int length = reply.int32(44);
                assertThat(length).isLessThanOrEqualTo(16384);
                for (int sent = 0, sn = 0; sent < length; sent += 4096, sn++) {
                    initiator.send(Pdu.of(Opcode.DATA_OUT).flags(sent + 4096 >= length ? 0x80 : 0).itt(itt)
                            .putInt32(20, ttt).putInt32(36, sn).putInt32(40, offset + sent)
                            .data(Arrays.copyOfRange(payload, offset + sent, offset + sent + 4096)));
                }
            }
            assertThat(r2ts).isEqualTo(4);
            assertThat(reply.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(reply.byteAt(3)).isZero();
            assertThat(Arrays.copyOfRange(targets.open.disk, 8 * 512, 8 * 512 + payload.length)).isEqualTo(payload);
            assertThat(lastWrite().dataOut().isDirect()).as("Data-Out received into a lent buffer").isTrue();

            initiator.send(initiator.command(0xc1, 0, RawInitiator.read10(8, 128), payload.length, null));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            Pdu in;
            int pdus = 0;
            do {
                in = initiator.read();
                assertThat(in.opcode()).isEqualTo(Opcode.DATA_IN);
                assertThat(in.data().length).isLessThanOrEqualTo(4096);
                assertThat(in.int32(36)).isEqualTo(pdus++);
                got.writeBytes(in.data());
            } while ((in.flags() & 0x01) == 0);
            assertThat(in.flags() & 0x80).isNotZero();
            assertThat(got.toByteArray()).isEqualTo(payload);
        }
    }

    @Test
    void aDataOutWithADataDigestErrorIsRejectedAndItsTaskEndsInAProtocolServiceCrcErrorOnceItsR2tsAreAnswered()
            throws Exception {
        int lentBefore = TransferBuffers.shared().lent();
        try (RawInitiator initiator = loggedIn(Map.of("DataDigest", "CRC32C", "InitialR2T", "Yes",
                "MaxRecvDataSegmentLength", "8192", "MaxBurstLength", "8192", "MaxOutstandingR2T", "2"))) {
            byte[] payload = new byte[16384];
            new java.util.Random(5).nextBytes(payload);
            Pdu command = initiator.command(0x21, 0, RawInitiator.write10(40, 32), payload.length, null);
            initiator.send(command);
            Pdu first = initiator.read();
            Pdu second = initiator.read();
            assertThat(List.of(first.opcode(), second.opcode())).containsOnly(Opcode.R2T);
            Pdu dataOut = Pdu.of(Opcode.DATA_OUT).flags(0x80).itt(command.itt()).putInt32(20, first.int32(20))
                    .putInt32(36, 0).putInt32(40, 0).data(Arrays.copyOf(payload, 8192));
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            PduCodec.write(wire, dataOut, false, true);
            byte[] damaged = wire.toByteArray();
            damaged[Pdu.BHS_LENGTH + 100] ^= 0x5a; // a data byte: received into the task's buffer, then refused
            initiator.out.write(damaged);
            initiator.out.flush();
            Pdu reject = initiator.read();
            assertThat(reject.opcode()).isEqualTo(Opcode.REJECT);
            assertThat(reject.byteAt(2)).isEqualTo((byte) Opcode.REJECT_DATA_DIGEST);
            assertThat(initiator.nextWithin(200)).as("no status while the second R2T's data is still due").isNull();

            // RFC 7143 §7.8: the target waits for the data of every R2T it sent, then ends the task.
            initiator.send(Pdu.of(Opcode.DATA_OUT).flags(0x80).itt(command.itt()).putInt32(20, second.int32(20))
                    .putInt32(36, 0).putInt32(40, 8192).data(Arrays.copyOfRange(payload, 8192, 16384)));
            Pdu status = initiator.read();
            assertThat(status.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(status.itt()).isEqualTo(command.itt());
            assertThat(status.byteAt(3)).as("CHECK CONDITION").isEqualTo(2);
            byte[] sense = Arrays.copyOfRange(status.data(), 2, status.data().length);
            assertThat(List.of(sense[2] & 0x0f, sense[12] & 0xff, sense[13] & 0xff))
                    .as("ABORTED COMMAND / PROTOCOL SERVICE CRC ERROR").containsExactly(0x0b, 0x47, 0x05);
            assertThat(Arrays.copyOfRange(targets.open.disk, 40 * 512, 40 * 512 + payload.length))
                    .as("nothing of the write landed").isEqualTo(new byte[payload.length]);
            assertThat(initiator.run(0, new byte[6], null).status()).as("the session goes on").isZero();
        }
        waitFor(() -> TransferBuffers.shared().lent() == lentBefore);
    }

    @Test
    void immediateDataReceivedIntoALentBufferIsGivenBackWhenItsCommandIsRefusedOrDropped() throws Exception {
        int lentBefore = TransferBuffers.shared().lent();
        try (RawInitiator initiator = loggedIn(Map.of("ImmediateData", "Yes", "InitialR2T", "Yes",
                "MaxRecvDataSegmentLength", "8192"))) {
            byte[] payload = new byte[16384];
            new java.util.Random(8).nextBytes(payload);
            Pdu first = initiator.command(0x21, 0, RawInitiator.write10(80, 32), payload.length,
                    Arrays.copyOf(payload, 4096));
            initiator.send(first);
            Pdu r2t = initiator.read();
            assertThat(r2t.opcode()).isEqualTo(Opcode.R2T);
            assertThat(TransferBuffers.shared().lent()).as("the first write's buffer").isEqualTo(lentBefore + 1);

            // The same ITT again, with immediate data: refused as a task in progress.
            Pdu again = initiator.command(0x21, 0, RawInitiator.write10(200, 32), payload.length,
                    Arrays.copyOf(payload, 4096)).itt(first.itt());
            initiator.send(again);
            Pdu reject = initiator.read();
            assertThat(reject.opcode()).isEqualTo(Opcode.REJECT);
            assertThat(reject.byteAt(2)).isEqualTo(Opcode.REJECT_TASK_IN_PROGRESS);
            // Outside the CmdSN window: dropped without an answer.
            Pdu stale = initiator.command(0x21, 0, RawInitiator.write10(300, 32), payload.length,
                    Arrays.copyOf(payload, 4096));
            stale.putInt32(24, initiator.cmdSn - 1000);
            initiator.cmdSn--;
            initiator.send(stale);
            waitFor(() -> TransferBuffers.shared().lent() == lentBefore + 1);

            for (int sent = 0, sn = 0; sent < r2t.int32(44); sent += 8192, sn++) {
                int offset = r2t.int32(40) + sent;
                int length = Math.min(8192, r2t.int32(44) - sent);
                initiator.send(Pdu.of(Opcode.DATA_OUT).flags(sent + length >= r2t.int32(44) ? 0x80 : 0)
                        .itt(first.itt()).putInt32(20, r2t.int32(20)).putInt32(36, sn).putInt32(40, offset)
                        .data(Arrays.copyOfRange(payload, offset, offset + length)));
            }
            Pdu status = initiator.read();
            assertThat(status.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(status.byteAt(3)).isZero();
            assertThat(Arrays.copyOfRange(targets.open.disk, 80 * 512, 80 * 512 + payload.length)).isEqualTo(payload);
            assertThat(lastWrite().dataOut().isDirect()).as("immediate data and Data-Out in one lent buffer").isTrue();
        }
        waitFor(() -> TransferBuffers.shared().lent() == lentBefore);
    }

    @Test
    void aCommandWhoseImmediateDataFailsItsDigestGivesItsLentBufferBackAtOnce() throws Exception {
        int lentBefore = TransferBuffers.shared().lent();
        try (RawInitiator initiator = loggedIn(Map.of("DataDigest", "CRC32C", "ImmediateData", "Yes",
                "InitialR2T", "Yes", "MaxRecvDataSegmentLength", "8192"))) {
            Pdu command = initiator.command(0x21, 0, RawInitiator.write10(80, 32), 16384, new byte[4096]);
            command.putInt32(28, initiator.expStatSn);
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            PduCodec.write(wire, command, false, true);
            byte[] damaged = wire.toByteArray();
            damaged[Pdu.BHS_LENGTH + 7] ^= 0x01; // an immediate-data byte, received into a lent buffer
            initiator.out.write(damaged);
            initiator.out.flush();
            Pdu reject = initiator.read();
            assertThat(reject.opcode()).isEqualTo(Opcode.REJECT);
            assertThat(reject.byteAt(2)).isEqualTo(Opcode.REJECT_DATA_DIGEST);
            // Given back before the reject went out; well before a keep-alive timeout (2 s + 5 s) could end the
            // connection, which would give it back too.
            long until = System.nanoTime() + 1_000_000_000L;
            while (TransferBuffers.shared().lent() != lentBefore && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(TransferBuffers.shared().lent()).isEqualTo(lentBefore);
        }
    }

    private ScsiCommand lastWrite() {
        List<ScsiCommand> writes = targets.open.commands.stream().filter(c -> c.opcode() == 0x2a).toList();
        return writes.get(writes.size() - 1);
    }

    @Test
    void residualsAndSense() throws Exception {
        try (RawInitiator initiator = loggedIn(Map.of())) {
            byte[] inquiry = {0x12, 0, 0, 0, (byte) 255, 0};
            initiator.send(initiator.command(0xc1, 0, inquiry, 255, null));
            Pdu under = initiator.read();
            assertThat(under.opcode()).isEqualTo(Opcode.DATA_IN);
            assertThat(under.flags()).isEqualTo(0x80 | 0x02 | 0x01);
            assertThat(under.int32(44)).isEqualTo(255 - 36);
            initiator.send(initiator.command(0xc1, 0, new byte[] {0x12, 0, 0, 0, 36, 0}, 8, null));
            Pdu over = initiator.read();
            assertThat(over.data()).hasSize(8);
            assertThat(over.flags()).isEqualTo(0x80 | 0x04 | 0x01);
            assertThat(over.int32(44)).isEqualTo(28);
            initiator.send(initiator.command(0x81, 0, new byte[] {(byte) 0xd9, 0, 0, 0, 0, 0}, 0, null));
            Pdu check = initiator.read();
            assertThat(check.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(check.byteAt(3)).isEqualTo(2);
            assertThat(check.data()[0] << 8 | check.data()[1]).isEqualTo(18);
            assertThat(check.data()[2 + 12]).isEqualTo((byte) 0x20);
            // Bidirectional commands are refused with sense, not dropped.
            initiator.send(initiator.command(0xe1, 0, RawInitiator.read10(0, 1), 512, null));
            assertThat(initiator.read().byteAt(3)).isEqualTo(2);
            // A LUN in an addressing method we do not decode reaches the target as an unknown LUN.
            initiator.send(initiator.command(0xc1, 0x8000_0000_0000_0000L, inquiry, 255, null));
            Pdu unknown = initiator.read();
            assertThat(unknown.data()[0]).isEqualTo((byte) 0x7f);
        }
    }

    @Test
    void nopPingsAreEchoedAndRejectsKeepTheConnection() throws Exception {
        try (RawInitiator initiator = loggedIn(Map.of())) {
            Pdu nop = initiator.exchange(initiator.nop("ping".getBytes()));
            assertThat(nop.opcode()).isEqualTo(Opcode.NOP_IN);
            assertThat(new String(nop.data())).isEqualTo("ping");
            Pdu bogus = Pdu.of(0x1c).itt(77).immediate(true);
            Pdu reject = initiator.exchange(bogus);
            assertThat(reject.opcode()).isEqualTo(Opcode.REJECT);
            assertThat(reject.byteAt(2)).isEqualTo(Opcode.REJECT_NOT_SUPPORTED);
            assertThat(reject.data()).hasSize(48);
            assertThat(new Pdu(reject.data(), null, null).itt()).isEqualTo(77);
            Pdu snack = initiator.exchange(Pdu.of(Opcode.SNACK_REQUEST).itt(5));
            assertThat(snack.byteAt(2)).isEqualTo(Opcode.REJECT_PROTOCOL_ERROR);
            Pdu huge = initiator.nop(new byte[300 * 1024]);
            Pdu tooLong = initiator.exchange(huge);
            assertThat(tooLong.opcode()).isEqualTo(Opcode.REJECT);
            assertThat(tooLong.byteAt(2)).isEqualTo(Opcode.REJECT_PROTOCOL_ERROR);
            Pdu after = initiator.exchange(initiator.nop(new byte[0]));
            assertThat(after.opcode()).isEqualTo(Opcode.NOP_IN);
            assertThat(metrics.counter("iscsi.pdu.rejects").getCount()).isEqualTo(3);
        }
    }

    @Test
    void commandsOutsideTheWindowAreDropped() throws Exception {
        try (RawInitiator initiator = loggedIn(Map.of())) {
            Pdu ahead = initiator.command(0x81, 0, new byte[6], 0, null);
            ahead.putInt32(24, initiator.cmdSn + 100_000);
            initiator.send(ahead);
            Pdu behind = initiator.command(0x81, 0, new byte[6], 0, null);
            behind.putInt32(24, 5);
            initiator.send(behind);
            initiator.cmdSn -= 2;
            Pdu tur = initiator.exchange(initiator.command(0x81, 0, new byte[6], 0, null));
            assertThat(tur.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(tur.itt()).isEqualTo(initiator.nextItt - 1);
            assertThat(tur.int32(28)).isEqualTo(initiator.cmdSn);
            assertThat(tur.int32(32) - tur.int32(28)).isEqualTo(127);
        }
    }

    @Test
    void discoverySessionAnswersSendTargetsOnly() throws Exception {
        try (RawInitiator initiator = new RawInitiator(port)) {
            Pdu login = initiator.login(1, 3, true, RawInitiator.discovery());
            assertThat(RawInitiator.status(login)).isZero();
            Pdu text = Pdu.of(Opcode.TEXT_REQUEST).itt(9).putInt32(20, Pdu.RESERVED_TAG)
                    .putInt32(24, initiator.cmdSn++).data("SendTargets=All\0".getBytes());
            Pdu answer = initiator.exchange(text);
            assertThat(answer.opcode()).isEqualTo(Opcode.TEXT_RESPONSE);
            String body = new String(answer.data());
            assertThat(body).contains("TargetName=" + TestTargets.OPEN + "\0TargetAddress=127.0.0.1:" + port + ",1")
                    .doesNotContain(TestTargets.ACL);
            Pdu scsi = initiator.exchange(initiator.command(0x81, 0, new byte[6], 0, null));
            assertThat(scsi.opcode()).isEqualTo(Opcode.REJECT);
            Pdu logout = initiator.exchange(Pdu.of(Opcode.LOGOUT_REQUEST).immediate(true).itt(10)
                    .putInt32(24, initiator.cmdSn));
            assertThat(logout.opcode()).isEqualTo(Opcode.LOGOUT_RESPONSE);
            assertThat(logout.byteAt(2)).isZero();
            assertThat(initiator.closedByTarget()).isTrue();
        }
    }

    @Test
    void logoutEndsTheSessionAndTellsTheTarget() throws Exception {
        try (RawInitiator initiator = loggedIn(Map.of())) {
            Pdu recovery = initiator.exchange(Pdu.of(Opcode.LOGOUT_REQUEST).flags(0x82).immediate(true).itt(3)
                    .putInt32(24, initiator.cmdSn));
            assertThat(recovery.byteAt(2)).isEqualTo(2);
            Pdu logout = initiator.exchange(Pdu.of(Opcode.LOGOUT_REQUEST).flags(0x80).itt(4)
                    .putInt32(24, initiator.cmdSn++));
            long answered = System.nanoTime();
            assertThat(logout.byteAt(2)).isZero();
            assertThat(initiator.closedByTarget()).isTrue();
            // Gone before the answer: another initiator must not meet this nexus's reservation afterwards.
            waitFor(() -> targets.open.nexusLostAt != 0);
            assertThat(targets.open.nexusLostAt).as("the nexus is lost before the logout is answered")
                    .isLessThan(answered);
        }
        waitFor(() -> portal.sessions().isEmpty());
        assertThat(targets.open.events).contains("nexusLost " + RawInitiator.NAME + ",i,0x400000000001");
        assertThat(targets.open.events.stream().filter(e -> e.startsWith("nexusLost"))).as("reported once")
                .hasSize(1);
    }

    @Test
    void sameIsidReinstatesTheSession() throws Exception {
        RawInitiator first = loggedIn(Map.of());
        RawInitiator second = loggedIn(Map.of());
        assertThat(first.closedByTarget()).isTrue();
        assertThat(targets.open.events).contains("nexusLost " + RawInitiator.NAME + ",i,0x400000000001");
        assertThat(second.exchange(second.nop(new byte[0])).opcode()).isEqualTo(Opcode.NOP_IN);
        assertThat(portal.sessions()).hasSize(1);
        first.close();
        second.close();
    }

    @Test
    void aFloodOfBadPdusIsRejectedEveryTimeButLoggedOnlyAFewTimes() throws Exception {
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Connection.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        ch.qos.logback.classic.Level level = logger.getLevel();
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
        try (RawInitiator initiator = loggedIn(Map.of())) {
            for (int i = 0; i < 50; i++) {
                Pdu reject = initiator.exchange(Pdu.of(0x1c).itt(1000 + i).immediate(true));
                assertThat(reject.opcode()).isEqualTo(Opcode.REJECT);
            }
            assertThat(initiator.exchange(initiator.nop(new byte[0])).opcode()).isEqualTo(Opcode.NOP_IN);
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(level);
        }
        assertThat(metrics.counter("iscsi.pdu.rejects").getCount()).isEqualTo(50);
        assertThat(appender.list).filteredOn(e -> e.getFormattedMessage().startsWith("reject ")).hasSize(10);
    }

    @Test
    void lentReadDataIsSentIntactAndGivenBackOnceWhetherSentOrNot() throws Exception {
        targets.open.lendReads = true;
        byte[] payload = new byte[64 * 512];
        new java.util.Random(3).nextBytes(payload);
        System.arraycopy(payload, 0, targets.open.disk, 0, payload.length);
        Map<String, String> small = Map.of("MaxRecvDataSegmentLength", "4096", "MaxBurstLength", "8192",
                "DataDigest", "CRC32C,None", "HeaderDigest", "CRC32C,None");
        try (RawInitiator initiator = loggedIn(small)) {
            for (int blocks : new int[] {1, 8, 64}) {
                // 64 blocks go out as four Data-In sequences of two PDUs each.
                initiator.send(initiator.command(0xc1, 0, RawInitiator.read10(0, blocks), blocks * 512, null));
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                Pdu in;
                do {
                    in = initiator.read();
                    assertThat(in.opcode()).isEqualTo(Opcode.DATA_IN);
                    got.writeBytes(in.data());
                } while ((in.flags() & 0x01) == 0);
                assertThat(got.toByteArray()).isEqualTo(Arrays.copyOf(payload, blocks * 512));
            }
        }
        waitFor(() -> targets.open.lentOut.get() == 0);
        // A read whose connection is gone before it answers still gives its data back.
        RawInitiator gone = loggedIn(Map.of());
        targets.open.blockOpcode = 0x28;
        targets.open.gate = new CountDownLatch(1);
        int lentBefore = targets.open.lentTotal.get();
        int commandsBefore = targets.open.commands.size();
        gone.send(gone.command(0xc1, 0, RawInitiator.read10(0, 64), 64 * 512, null));
        waitFor(() -> targets.open.commands.size() > commandsBefore);
        gone.close();
        waitFor(() -> metrics.counter("iscsi.connections").getCount() == 0);
        targets.open.gate.countDown();
        waitFor(() -> targets.open.lentTotal.get() == lentBefore + 1 && targets.open.lentOut.get() == 0);
        targets.open.gate = null;
        assertThat(targets.open.events).doesNotContain("lent data-in released twice");
    }

    @Test
    void taskManagement() throws Exception {
        try (RawInitiator initiator = loggedIn(Map.of())) {
            targets.open.blockOpcode = 0x28;
            targets.open.gate = new CountDownLatch(1);
            Pdu read = initiator.command(0xc1, 0, RawInitiator.read10(0, 1), 512, null);
            initiator.send(read);
            waitFor(() -> !targets.open.commands.isEmpty());
            Pdu abort = Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x81).itt(500)
                    .putInt32(20, read.itt()).putInt32(24, initiator.cmdSn).putInt32(32, read.int32(24));
            initiator.send(abort);
            // The abort reached the target while the READ blocked the thread that read it.
            waitFor(() -> metrics.meter("iscsi.reader.hand-offs").getCount() == 1);
            Thread.sleep(100);
            targets.open.gate.countDown();
            Pdu response = initiator.read();
            assertThat(response.opcode()).isEqualTo(Opcode.TASK_MGMT_RESPONSE);
            assertThat(response.itt()).isEqualTo(500);
            assertThat(response.byteAt(2)).isZero();
            targets.open.gate = null;
            assertThat(tmf(initiator, 1, 0, 12345).byteAt(2)).isEqualTo(1);
            assertThat(tmf(initiator, 2, 7, 0).byteAt(2)).isEqualTo(2);
            assertThat(tmf(initiator, 2, 0, 0).byteAt(2)).isZero();
            assertThat(tmf(initiator, 5, 0, 0).byteAt(2)).isZero();
            assertThat(tmf(initiator, 6, 0, 0).byteAt(2)).isZero();
            assertThat(tmf(initiator, 8, 0, 0).byteAt(2)).isEqualTo(4);
            assertThat(targets.open.events).containsSubsequence("taskSetAborted 0", "logicalUnitReset 0",
                    "targetReset");
            // The aborted READ got no response: the next PDU is the answer to this ping.
            assertThat(initiator.exchange(initiator.nop(new byte[0])).opcode()).isEqualTo(Opcode.NOP_IN);
            // TARGET COLD RESET completes, then the target drops the connection.
            assertThat(tmf(initiator, 7, 0, 0).byteAt(2)).isZero();
            assertThat(initiator.closedByTarget()).isTrue();
            waitFor(() -> targets.open.events.stream().anyMatch(e -> e.startsWith("nexusLost")));
        }
    }

    @Test
    void anInitiatorThatStopsReadingNeverHoldsUpTheThreadThatFinishesCommands() throws Exception {
        java.util.concurrent.ExecutorService completion = java.util.concurrent.Executors.newSingleThreadExecutor();
        targets.open.completionThread = completion;
        targets.open.startReads = true;
        targets.open.lendReads = true;
        RawInitiator other = new RawInitiator(port);
        other.isid[5] = 2; // a session of its own, not a reinstatement of the first
        assertThat(RawInitiator.status(other.loginFull(TestTargets.OPEN, Map.of()))).isZero();
        try (RawInitiator stalled = loggedIn(Map.of()); other) {
            // Far more read data than two loopback socket buffers hold, and the stalled initiator reads none of it.
            // The commands go in one socket write, so that none finds its session idle and runs on the reader,
            // which would then wait on the full socket itself and read no further.
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int i = 0; i < 120; i++) {
                Pdu read = stalled.command(0xc1, 0, RawInitiator.read10(i * 256, 256), 256 * 512, null);
                PduCodec.write(burst, read.putInt32(28, stalled.expStatSn), false, false);
            }
            stalled.out.write(burst.toByteArray());
            stalled.out.flush();
            waitFor(() -> targets.open.started.get() >= 120);
            // The same completion thread still finishes and sends the other initiator's reads: it left the stalled
            // answers to a thread of their own. Four at a time in one socket write, so that the reader finds more
            // to read behind each of the first three and starts them, rather than running each on itself (which
            // a command sent alone, into an idle session, does when its answer beats the next one's arrival).
            int startedBefore = targets.open.started.get();
            for (int round = 0; round < 10; round++) {
                ByteArrayOutputStream four = new ByteArrayOutputStream();
                for (int i = 0; i < 4; i++) {
                    PduCodec.write(four, other.command(0xc1, 0, RawInitiator.read10(i, 1), 512, null)
                            .putInt32(28, other.expStatSn), false, false);
                }
                other.out.write(four.toByteArray());
                other.out.flush();
                for (int i = 0; i < 4; i++) {
                    Pdu answer = other.read();
                    assertThat(answer.opcode()).isEqualTo(Opcode.DATA_IN);
                    assertThat(answer.flags() & 0x01).as("status in the Data-In").isOne();
                }
            }
            assertThat(targets.open.started.get() - startedBefore).as("finished on the completion thread")
                    .isGreaterThanOrEqualTo(10);
            assertThat(metrics.meter("iscsi.send.hand-offs").getCount()).as("the stalled socket filled").isPositive();
        } finally {
            completion.shutdownNow();
        }
        waitFor(() -> targets.open.lentOut.get() == 0);
    }

    @Test
    void answersTooLargeToStageGoByAWriterThatMayWait() throws Exception {
        java.util.concurrent.ExecutorService completion = java.util.concurrent.Executors.newSingleThreadExecutor();
        targets.open.completionThread = completion;
        targets.open.startReads = true;
        byte[] payload = new byte[4 * 128 * 512];
        new java.util.Random(5).nextBytes(payload);
        System.arraycopy(payload, 0, targets.open.disk, 0, payload.length);
        try (RawInitiator initiator = loggedIn(Map.of())) {
            // Array data of 64 KiB per read never fits the 64 KiB staging buffer with its headers: the completion
            // thread must hand it on rather than try again and again.
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < 4; i++) {
                    initiator.send(initiator.command(0xc1, 0, RawInitiator.read10(i * 128, 128), 128 * 512, null));
                }
                Map<Integer, ByteArrayOutputStream> got = new java.util.HashMap<>();
                int done = 0;
                while (done < 4) {
                    Pdu in = initiator.read();
                    assertThat(in.opcode()).isEqualTo(Opcode.DATA_IN);
                    got.computeIfAbsent(in.itt(), k -> new ByteArrayOutputStream()).writeBytes(in.data());
                    done += in.flags() & 0x01;
                }
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                got.keySet().stream().sorted().forEach(itt -> all.writeBytes(got.get(itt).toByteArray()));
                assertThat(all.toByteArray()).isEqualTo(payload);
            }
            assertThat(targets.open.started.get()).as("finished on the completion thread").isPositive();
        } finally {
            completion.shutdownNow();
        }
    }

    @Test
    void startedReadsAnswerInAnyOrderAndCanBeAborted() throws Exception {
        targets.open.startReads = true;
        byte[] payload = new byte[8 * 512];
        new java.util.Random(3).nextBytes(payload);
        System.arraycopy(payload, 0, targets.open.disk, 0, payload.length);
        try (RawInitiator initiator = loggedIn(Map.of())) {
            // Eight reads in flight at once, each of one block: every one answers with its own block.
            List<Pdu> reads = new java.util.ArrayList<>();
            for (int block = 0; block < 8; block++) {
                reads.add(initiator.command(0xc1, 0, RawInitiator.read10(block, 1), 512, null));
            }
            for (Pdu read : reads) {
                initiator.send(read);
            }
            Map<Integer, byte[]> answers = new java.util.HashMap<>();
            for (int k = 0; k < 8; k++) {
                Pdu in = initiator.read();
                assertThat(in.opcode()).isEqualTo(Opcode.DATA_IN);
                assertThat(in.flags() & 0x01).as("status in the last Data-In").isOne();
                answers.put(in.itt(), in.data());
            }
            for (int block = 0; block < 8; block++) {
                assertThat(answers.get(reads.get(block).itt()))
                        .isEqualTo(Arrays.copyOfRange(payload, block * 512, (block + 1) * 512));
            }
            // One that finds the session otherwise idle runs on the reader; the others started.
            assertThat(targets.open.started.get()).isPositive();

            // A started read still in flight is aborted: the abort is answered, the read never is. A first
            // read, held at the gate, keeps the second from being alone (so it starts).
            targets.open.blockOpcode = 0x28;
            targets.open.gate = new CountDownLatch(1);
            int startedBefore = targets.open.started.get();
            int executedBefore = targets.open.commands.size();
            Pdu held = initiator.command(0xc1, 0, RawInitiator.read10(1, 1), 512, null);
            Pdu read = initiator.command(0xc1, 0, RawInitiator.read10(0, 1), 512, null);
            initiator.send(held);
            waitFor(() -> targets.open.commands.size() == executedBefore + 1);
            initiator.send(read);
            waitFor(() -> targets.open.started.get() > startedBefore
                    && targets.open.commands.size() == executedBefore + 2);
            initiator.send(Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x81).itt(600)
                    .putInt32(20, read.itt()).putInt32(24, initiator.cmdSn).putInt32(32, read.int32(24)));
            waitFor(() -> targets.open.events.contains("taskAborted " + read.itt()));
            targets.open.gate.countDown();
            Map<Integer, Integer> opcodes = new java.util.HashMap<>();
            for (int k = 0; k < 2; k++) {
                Pdu in = initiator.read();
                opcodes.put(in.itt(), in.opcode());
                if (in.itt() == 600) {
                    assertThat(in.byteAt(2)).as("function complete").isZero();
                }
            }
            assertThat(opcodes).containsOnly(Map.entry(held.itt(), Opcode.DATA_IN),
                    Map.entry(600, Opcode.TASK_MGMT_RESPONSE));
            targets.open.gate = null;
            assertThat(initiator.exchange(initiator.nop(new byte[0])).opcode()).isEqualTo(Opcode.NOP_IN);

            waitFor(() -> metrics.counter("iscsi.commands.in-flight").getCount() == 0);
        }
    }

    @Test
    void startedWritesWithImmediateDataAnswerInAnyOrderAndLandWhereTheyWereSent() throws Exception {
        targets.open.startWrites = true;
        byte[] payload = new byte[8 * 512];
        new java.util.Random(4).nextBytes(payload);
        try (RawInitiator initiator = loggedIn(Map.of("ImmediateData", "Yes"))) {
            List<Pdu> writes = new java.util.ArrayList<>();
            for (int block = 0; block < 8; block++) {
                writes.add(initiator.command(0xa1, 0, RawInitiator.write10(block, 1), 512,
                        Arrays.copyOfRange(payload, block * 512, (block + 1) * 512)));
            }
            initiator.sendTogether(writes); // all waiting to be read: the first seven cannot run on the reader
            Map<Integer, Integer> statuses = new java.util.HashMap<>();
            for (int k = 0; k < 8; k++) {
                Pdu in = initiator.read();
                assertThat(in.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
                statuses.put(in.itt(), in.byteAt(2) << 8 | in.byteAt(3)); // response and SCSI status
            }
            assertThat(statuses).hasSize(8).containsOnlyKeys(writes.stream().map(Pdu::itt).toList())
                    .allSatisfy((itt, status) -> assertThat(status).isZero());
            assertThat(Arrays.copyOf(targets.open.disk, payload.length)).isEqualTo(payload);
            // One that finds the session otherwise idle runs on the reader; the others started.
            assertThat(targets.open.started.get()).isPositive();
            waitFor(() -> metrics.counter("iscsi.commands.in-flight").getCount() == 0);
        }
    }

    @Test
    void commandsSentOneAtATimeAllRunOnTheReaderNoneStarted() throws Exception {
        // Each status is written only once its task left the set, so the next command always finds the
        // session idle; before, a reader could read it while the previous task was still in the set.
        targets.open.startWrites = true;
        targets.open.startReads = true;
        try (RawInitiator initiator = loggedIn(Map.of("ImmediateData", "Yes"))) {
            for (int i = 0; i < 200; i++) {
                byte[] cdb = i % 2 == 0 ? RawInitiator.write10(i % 16, 1) : RawInitiator.read10(i % 16, 1);
                Pdu command = initiator.command(i % 2 == 0 ? 0xa1 : 0xc1, 0, cdb, 512,
                        i % 2 == 0 ? new byte[512] : null);
                Pdu answer = initiator.exchange(command);
                assertThat(answer.opcode()).isIn(Opcode.SCSI_RESPONSE, Opcode.DATA_IN);
            }
            assertThat(targets.open.started.get()).as("commands that missed the idle session").isZero();
            assertThat(metrics.meter("iscsi.commands.on-reader").getCount()).isEqualTo(200);
            // Nothing arrived while a command ran, so no other thread was woken to read.
            assertThat(metrics.meter("iscsi.reader.hand-offs").getCount()).isZero();
        }
    }

    @Test
    void whatTheReaderDefersGoesOutBeforeItWaitsForTheRestOfAPdu() throws Exception {
        try (RawInitiator initiator = loggedIn(Map.of())) {
            // A WRITE, whose R2T the reader defers to the end of what it read, and the first bytes of a
            // NOP-Out in one socket write: the R2T must come while the reader waits for the rest.
            Pdu write = initiator.command(0xa1, 0, RawInitiator.write10(0, 1), 512, null).putInt32(28,
                    initiator.expStatSn);
            Pdu nop = initiator.nop(new byte[0]).putInt32(28, initiator.expStatSn);
            ByteArrayOutputStream first = new ByteArrayOutputStream();
            PduCodec.write(first, write, false, false);
            ByteArrayOutputStream second = new ByteArrayOutputStream();
            PduCodec.write(second, nop, false, false);
            byte[] nopBytes = second.toByteArray();
            first.write(nopBytes, 0, 10);
            initiator.out.write(first.toByteArray());
            initiator.out.flush();
            Pdu r2t = initiator.read();
            assertThat(r2t.opcode()).isEqualTo(Opcode.R2T);
            initiator.out.write(nopBytes, 10, nopBytes.length - 10);
            initiator.out.flush();
            assertThat(initiator.read().opcode()).isEqualTo(Opcode.NOP_IN);
            initiator.send(Pdu.of(Opcode.DATA_OUT).flags(0x80).itt(write.itt()).putInt32(20, r2t.int32(20))
                    .putInt32(36, 0).putInt32(40, 0).data(new byte[512]));
            Pdu status = initiator.read();
            assertThat(status.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(status.byteAt(3)).as("GOOD").isZero();
        }
    }

    private static Pdu tmf(final RawInitiator initiator, final int function, final int lun, final int rtt)
            throws Exception {
        return initiator.exchange(Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x80 | function)
                .lun((long) lun << 48).itt(initiator.nextItt++).putInt32(20, rtt).putInt32(24, initiator.cmdSn));
    }

    @Test
    void anAbortArrivingWhileTheStatusGoesOutWaitsForItAndSaysTheTaskIsGone() throws Exception {
        try (RawInitiator initiator = loggedIn(Map.of())) {
            // 16 MiB (the portal's largest transfer), more than loopback socket buffers take: the sender
            // blocks until the initiator reads.
            Pdu read = initiator.command(0xc1, 0, RawInitiator.read10(0, 32768), 32768 * 512, null);
            initiator.send(read);
            waitFor(() -> {
                try {
                    return initiator.hasInput();
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            Pdu abort = Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x81).itt(501)
                    .putInt32(20, read.itt()).putInt32(24, initiator.cmdSn).putInt32(32, read.int32(24));
            initiator.send(abort);
            long received = 0;
            Pdu in;
            do {
                in = initiator.read();
                assertThat(in.opcode()).as("the status comes before the abort's answer").isEqualTo(Opcode.DATA_IN);
                received += in.dataLength();
            } while ((in.flags() & 0x01) == 0);
            assertThat(received).isEqualTo(32768L * 512);
            assertThat(in.byteAt(3)).isZero();
            Pdu response = initiator.read();
            assertThat(response.opcode()).isEqualTo(Opcode.TASK_MGMT_RESPONSE);
            assertThat(response.itt()).isEqualTo(501);
            assertThat(response.byteAt(2)).as("task does not exist: it completed first").isEqualTo(1);
        }
    }

    @Test
    void orderedTaskWaitsForEarlierOnes() throws Exception {
        try (RawInitiator initiator = loggedIn(Map.of())) {
            targets.open.blockOpcode = 0x28;
            targets.open.gate = new CountDownLatch(1);
            initiator.send(initiator.command(0xc1, 0, RawInitiator.read10(0, 1), 512, null));
            initiator.send(initiator.command(0x82, 0, new byte[6], 0, null));
            initiator.send(initiator.command(0x81, 0, new byte[] {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, null));
            Thread.sleep(300);
            assertThat(targets.open.commands).hasSize(1);
            targets.open.gate.countDown();
            List<Integer> order = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Pdu pdu = initiator.read();
                order.add(pdu.itt());
            }
            assertThat(order).containsExactly(1 + 0, 2, 3);
            assertThat(targets.open.commands).extracting(c -> c.opcode()).containsExactly(0x28, 0x00, 0x35);
        }
    }

    @Test
    void headOfQueueOvertakesBlockedTasks() throws Exception {
        try (RawInitiator initiator = loggedIn(Map.of())) {
            targets.open.blockOpcode = 0x28;
            targets.open.gate = new CountDownLatch(1);
            initiator.send(initiator.command(0xc1, 0, RawInitiator.read10(0, 1), 512, null));
            initiator.send(initiator.command(0x82, 0, new byte[6], 0, null));
            waitFor(() -> targets.open.commands.size() == 1
                    && metrics.counter("iscsi.commands.in-flight").getCount() == 2);
            Pdu headOfQueue = initiator.command(0x83, 0, new byte[] {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, null);
            Pdu first = initiator.exchange(headOfQueue);
            assertThat(first.itt()).isEqualTo(headOfQueue.itt());
            targets.open.gate.countDown();
            assertThat(initiator.read().itt()).isEqualTo(1);
            assertThat(initiator.read().itt()).isEqualTo(2);
            assertThat(metrics.counter("iscsi.sessions").getCount()).isEqualTo(1);
            waitFor(() -> metrics.counter("iscsi.commands.in-flight").getCount() == 0);
            assertThat(metrics.timer("iscsi.command.latency").getCount()).isEqualTo(3);
        }
    }

    @Test
    void silentInitiatorIsDroppedAfterNopTimeout() throws Exception {
        portal.close();
        portal = targets.start(TestTargets.config().withTimers(Duration.ofMillis(500), Duration.ofMillis(200),
                Duration.ofMillis(400)), metrics);
        port = portal.boundAddresses().get(0).getPort();
        try (RawInitiator silent = loggedIn(Map.of())) {
            Pdu ping = silent.read();
            assertThat(ping.opcode()).isEqualTo(Opcode.NOP_IN);
            assertThat(ping.int32(20)).isNotEqualTo(Pdu.RESERVED_TAG);
            assertThat(silent.closedByTarget()).isTrue();
        }
        try (RawInitiator stalled = new RawInitiator(port)) {
            assertThat(stalled.closedByTarget()).isTrue();
        }
        try (RawInitiator answering = loggedIn(Map.of())) {
            long until = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() < until) {
                Pdu ping = answering.read();
                answering.send(Pdu.of(Opcode.NOP_OUT).immediate(true).itt(Pdu.RESERVED_TAG)
                        .putInt32(20, ping.int32(20)).putInt32(24, answering.cmdSn));
            }
            assertThat(answering.exchange(answering.nop(new byte[0])).opcode()).isIn(Opcode.NOP_IN);
        }
    }

    @Test
    void closingThePortalAsksForLogoutAndEndsSessions() throws Exception {
        RawInitiator initiator = loggedIn(Map.of());
        // The target enters full feature phase just after its Login Response goes out: a NOP answered
        // shows it has, so the close below finds a session to ask (a close in between only drops it).
        assertThat(initiator.exchange(initiator.nop(new byte[0])).opcode()).isEqualTo(Opcode.NOP_IN);
        Thread closer = Thread.ofVirtual().start(portal::close);
        Pdu async = initiator.read();
        assertThat(async.opcode()).isEqualTo(Opcode.ASYNC_MESSAGE);
        assertThat(async.byteAt(36)).isEqualTo(1);
        Pdu response = initiator.exchange(Pdu.of(Opcode.LOGOUT_REQUEST).immediate(true).flags(0x80).itt(77)
                .putInt32(24, initiator.cmdSn));
        assertThat(response.opcode()).isEqualTo(Opcode.LOGOUT_RESPONSE);
        closer.join(15_000);
        assertThat(closer.isAlive()).isFalse();
        assertThat(portal.sessions()).isEmpty();
        assertThat(targets.open.events).anyMatch(e -> e.startsWith("nexusLost"));
        initiator.close();
    }

    @Test
    void sessionsTheirTargetNoLongerAdmitsAreAskedToLogOutThenEnded() throws Exception {
        RawInitiator open = loggedIn(Map.of());
        RawInitiator allowed = new RawInitiator(port);
        assertThat(RawInitiator.status(allowed.loginFull(TestTargets.ACL,
                Map.of("InitiatorName", "iqn.2026-01.io.keel:allowed")))).isZero();
        assertThat(portal.endRevokedSessions()).as("nothing changed yet").isZero();

        // The open target is deleted; its initiator ignores the request to log out.
        targets.entries = targets.entries.stream().filter(e -> !e.iqn().equals(TestTargets.OPEN)).toList();
        assertThat(portal.endRevokedSessions()).isEqualTo(1);
        Pdu async = skippingKeepAlives(open);
        assertThat(async.opcode()).isEqualTo(Opcode.ASYNC_MESSAGE);
        assertThat(async.byteAt(36)).as("AsyncEvent: logout requested").isEqualTo(1);
        assertThat(open.closedByTarget()).as("ended after the grace period").isTrue();
        long ending = System.nanoTime() + 5_000_000_000L; // the socket closes before the nexus is reported lost
        while (targets.open.events.stream().noneMatch(e -> e.startsWith("nexusLost")) && System.nanoTime() < ending) {
            Thread.sleep(20);
        }
        assertThat(targets.open.events).anyMatch(e -> e.startsWith("nexusLost"));

        // The ACL target stops admitting its initiator, which logs out when asked.
        targets.entries = targets.entries.stream().map(e -> !e.iqn().equals(TestTargets.ACL) ? e
                : new TargetEntry(e.iqn(), e.alias(), List.of("iqn.2026-01.io.keel:other"), e.chap(), e.scsi()))
                .toList();
        assertThat(portal.endRevokedSessions()).isEqualTo(1);
        assertThat(skippingKeepAlives(allowed).opcode()).isEqualTo(Opcode.ASYNC_MESSAGE);
        Pdu response = allowed.exchange(Pdu.of(Opcode.LOGOUT_REQUEST).immediate(true).flags(0x80).itt(78)
                .putInt32(24, allowed.cmdSn));
        assertThat(response.opcode()).isEqualTo(Opcode.LOGOUT_RESPONSE);
        long until = System.nanoTime() + 5_000_000_000L;
        while (!portal.sessions().isEmpty() && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(portal.sessions()).isEmpty();
        open.close();
        allowed.close();
    }

    /** Sends {@code data} as the one Data-Out that answers {@code r2t} of {@code write}; returns the next answer. */
    private static Pdu sendForR2t(final RawInitiator initiator, final Pdu write, final Pdu r2t, final byte[] data)
            throws Exception {
        initiator.send(Pdu.of(Opcode.DATA_OUT).flags(0x80).itt(write.itt()).putInt32(20, r2t.int32(20))
                .putInt32(36, 0).putInt32(40, 0).data(data));
        return skippingKeepAlives(initiator);
    }

    /** A target with {@code volume} as LUN 0. */
    private static BlockTarget oneLun(final MemoryBackend volume) {
        return new BlockTarget(List.of(new LunSpec(0, volume, FakeReservations::new)), TargetOptions.defaults());
    }

    /**
     * Adds target {@code iqn} over {@code scsi} to the directory and logs in to it with {@code keys},
     * past LUN 0's power-on unit attention.
     */
    private RawInitiator loggedInToNewTarget(final String iqn, final BlockTarget scsi, final Map<String, String> keys)
            throws Exception {
        targets.entries = java.util.stream.Stream.concat(targets.entries.stream(),
                java.util.stream.Stream.of(new TargetEntry(iqn, null, List.of(), null, scsi))).toList();
        RawInitiator initiator = new RawInitiator(port);
        assertThat(RawInitiator.status(initiator.loginFull(iqn, keys))).isZero();
        initiator.run(0, new byte[6], null); // the power-on unit attention
        return initiator;
    }

    @Test
    void senseTheTransportSendsFollowsTheUnitsDescriptorSenseSetting() throws Exception {
        BlockTarget scsi = oneLun(new MemoryBackend("vol-d-sense-001", 1 << 20, false));
        try (RawInitiator initiator = loggedInToNewTarget("iqn.2026-01.io.keel:d-sense", scsi, Map.of())) {
            byte[] control = {0, 0, 0, 0, 0x0a, 0x0a, 0x06, 0x10, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0};
            byte[] modeSelect = {0x15, 0x10, 0, 0, (byte) control.length, 0};
            assertThat(initiator.run(0, modeSelect, control).status()).as("MODE SELECT D_SENSE=1").isZero();
            // Both READ and WRITE set: the transport refuses it itself, in descriptor format now.
            initiator.send(initiator.command(0xe1, 0, RawInitiator.read10(0, 1), 512, null));
            Pdu response = skippingKeepAlives(initiator);
            assertThat(response.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(response.byteAt(3)).as("CHECK CONDITION").isEqualTo(2);
            byte[] sense = Arrays.copyOfRange(response.data(), 2, response.data().length);
            assertThat(sense[0] & 0x7f).as("descriptor format").isEqualTo(0x72);
            assertThat(List.of(sense[1] & 0x0f, sense[2] & 0xff, sense[3] & 0xff))
                    .as("INVALID FIELD IN CDB").containsExactly(5, 0x24, 0);
            assertThat(sense[7]).as("no field pointer: the fault is not in the CDB").isZero();
        }
    }

    @Test
    void aWriteWhoseLunIsRemappedBeforeItRunsIsRefusedAndWritesNothing() throws Exception {
        MemoryBackend first = new MemoryBackend("vol-first-0001", 1 << 20, false);
        MemoryBackend second = new MemoryBackend("vol-second-002", 1 << 20, false);
        BlockTarget scsi = oneLun(first);
        String iqn = "iqn.2026-01.io.keel:remapped";
        try (RawInitiator initiator = loggedInToNewTarget(iqn, scsi, ALL_DATA_BY_R2T)) {
            Pdu write = initiator.command(0xa1, 0, RawInitiator.write10(0, 1), 512, null);
            initiator.send(write);
            Pdu r2t = skippingKeepAlives(initiator);
            assertThat(r2t.opcode()).isEqualTo(Opcode.R2T);

            scsi.update(List.of(new LunSpec(0, second, FakeReservations::new)));
            byte[] data = new byte[512];
            Arrays.fill(data, (byte) 0x5a);
            Pdu response = sendForR2t(initiator, write, r2t, data);
            assertThat(response.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(response.byteAt(3)).as("CHECK CONDITION").isEqualTo(2);
            byte[] sense = Arrays.copyOfRange(response.data(), 2, response.data().length);
            assertThat(List.of(sense[2] & 0x0f, sense[12] & 0xff, sense[13] & 0xff))
                    .as("REPORTED LUNS DATA HAS CHANGED").containsExactly(6, 0x3f, 0x0e);
            assertThat(second.snapshot(0, 512)).as("the volume mapped since").isEqualTo(new byte[512]);
            assertThat(first.snapshot(0, 512)).as("the volume unmapped meanwhile").isEqualTo(new byte[512]);
        }
    }

    @Test
    void aThrottledWriteIsAskedForItsDataOnlyOnceItsVolumeAdmitsIt() throws Exception {
        MemoryBackend volume = new MemoryBackend("vol-qos-0001", 1 << 20, false);
        volume.holdAdmissions = true;
        BlockTarget scsi = oneLun(volume);
        String iqn = "iqn.2026-01.io.keel:throttled";
        try (RawInitiator initiator = loggedInToNewTarget(iqn, scsi, ALL_DATA_BY_R2T)) {
            Pdu write = initiator.command(0xa1, 0, RawInitiator.write10(8, 8), 4096, null);
            initiator.send(write);
            Pdu ping = initiator.nop(new byte[] {7});
            initiator.send(ping);
            Pdu pong = initiator.read();
            while (pong.opcode() == Opcode.NOP_IN && pong.itt() != ping.itt()) {
                pong = initiator.read(); // the target's own keep-alives
            }
            assertThat(pong.opcode()).as("no R2T while the volume holds the write back").isEqualTo(Opcode.NOP_IN);
            assertThat(pong.data()).containsExactly(7);
            assertThat(volume.heldAdmissions).hasSize(1);

            volume.heldAdmissions.poll().run();
            Pdu r2t = skippingKeepAlives(initiator);
            assertThat(r2t.opcode()).as("asked for once admitted").isEqualTo(Opcode.R2T);
            byte[] data = new byte[4096];
            Arrays.fill(data, (byte) 0x6b);
            Pdu response = sendForR2t(initiator, write, r2t, data);
            assertThat(response.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(response.byteAt(3)).as("GOOD").isZero();
            assertThat(volume.snapshot(8 * 512, 4096)).isEqualTo(data);
            // The double does not spend admissions: the command's end releases it.
            waitFor(() -> volume.releasedAdmissions.get() == 1);

            // A write aborted while it waits: its admission is released at once (the wait is cancelled).
            Pdu aborted = initiator.command(0xa1, 0, RawInitiator.write10(16, 8), 4096, null);
            initiator.send(aborted);
            waitFor(() -> volume.heldAdmissions.size() == 1);
            Pdu answer = tmf(initiator, 1, 0, aborted.itt());
            while (answer.opcode() == Opcode.NOP_IN) {
                answer = initiator.read();
            }
            assertThat(answer.opcode()).isEqualTo(Opcode.TASK_MGMT_RESPONSE);
            assertThat(answer.byteAt(2)).as("function complete").isZero();
            waitFor(() -> volume.releasedAdmissions.get() == 2);
            volume.heldAdmissions.poll().run(); // a callback that came anyway finds the task gone
            Pdu after = initiator.exchange(initiator.nop(new byte[] {9}));
            while (after.opcode() == Opcode.NOP_IN && after.itt() == 0xffffffff) {
                after = initiator.read();
            }
            assertThat(after.opcode()).as("no R2T for the aborted write").isEqualTo(Opcode.NOP_IN);
        }
    }

    @Test
    void aLunResetDoesNotResetTheUnitItsLunWasRemappedToWhileItsAbortsRan() throws Exception {
        MemoryBackend first = new MemoryBackend("vol-first-0003", 1 << 20, false);
        MemoryBackend second = new MemoryBackend("vol-second-004", 1 << 20, false);
        List<FakeReservations> secondReservations = new java.util.concurrent.CopyOnWriteArrayList<>();
        BlockTarget scsi = oneLun(first);
        String iqn = "iqn.2026-01.io.keel:reset-remapped";
        try (RawInitiator initiator = loggedInToNewTarget(iqn, scsi, Map.of())) {
            first.startReads = false;
            first.readGate = new CountDownLatch(1);
            initiator.send(initiator.command(0xc1, 0, RawInitiator.read10(0, 1), 512, null));
            waitFor(() -> first.readsAtGate.get() == 1);
            initiator.send(Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x80 | 5).lun(0)
                    .itt(initiator.nextItt++).putInt32(20, Pdu.RESERVED_TAG).putInt32(24, initiator.cmdSn));
            // The LUN RESET reached the target and waits for the READ it aborted.
            waitFor(() -> metrics.meter("iscsi.reader.hand-offs").getCount() == 1);
            Thread.sleep(100);

            scsi.update(List.of(new LunSpec(0, second, sink -> {
                FakeReservations reservations = new FakeReservations(sink);
                secondReservations.add(reservations);
                return reservations;
            })));
            first.readGate.countDown();
            Pdu response = skippingKeepAlives(initiator);
            while (response.opcode() != Opcode.TASK_MGMT_RESPONSE) {
                response = skippingKeepAlives(initiator);
            }
            assertThat(response.byteAt(2)).as("function complete").isZero();
            assertThat(secondReservations).hasSize(1);
            assertThat(secondReservations.get(0).calls).as("the unit mapped meanwhile was not reset")
                    .doesNotContain("reset");
        }
    }

    /** The next PDU that is not a keep-alive NOP-In (sessions idle for seconds get them). */
    private static Pdu skippingKeepAlives(final RawInitiator initiator) throws Exception {
        Pdu pdu = initiator.read();
        while (pdu != null && pdu.opcode() == Opcode.NOP_IN) {
            pdu = initiator.read();
        }
        return pdu;
    }

    @Test
    void dataInSequencesStayWithinMaxBurstLength() throws Exception {
        Map<String, String> extra = Map.of("MaxBurstLength", "8192", "MaxRecvDataSegmentLength", "4096");
        try (RawInitiator initiator = loggedIn(extra)) {
            initiator.send(initiator.command(0xc1, 0, RawInitiator.read10(0, 40), 40 * 512, null));
            List<Integer> finals = new java.util.ArrayList<>();
            Pdu in;
            do {
                in = initiator.read();
                if ((in.flags() & 0x80) != 0) {
                    finals.add(in.int32(40) + in.data().length);
                }
            } while ((in.flags() & 0x01) == 0);
            assertThat(finals).containsExactly(8192, 16384, 20480);
        }
    }

    static void waitFor(final java.util.function.BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met in time").isLessThan(until);
            Thread.sleep(20);
        }
    }
}
