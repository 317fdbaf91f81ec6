package io.keel.access.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.keel.access.iscsi.login.LoginStatus;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.pdu.PduCodec;
import io.keel.runtime.time.SystemClock;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Less travelled paths: digest errors, text continuation, aborts during the data phase, cross-session resets. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProtocolEdgeTest {

    private TestTargets targets;
    private IscsiPortal portal;
    private int port;

    @BeforeEach
    void start() {
        targets = new TestTargets();
        portal = targets.start(TestTargets.config(), new MetricRegistry());
        port = portal.boundAddresses().get(0).getPort();
    }

    @AfterEach
    void stop() {
        portal.close();
    }

    private RawInitiator loggedIn(final Map<String, String> extra, final int isidTail) throws Exception {
        RawInitiator initiator = new RawInitiator(port);
        initiator.isid = new byte[] {0x40, 0, 0, 0, 2, (byte) isidTail};
        assertThat(RawInitiator.status(initiator.loginFull(TestTargets.OPEN, extra))).isZero();
        return initiator;
    }

    @Test
    void dataDigestErrorIsRejectedHeaderDigestErrorCloses() throws Exception {
        try (RawInitiator initiator = loggedIn(Map.of("HeaderDigest", "CRC32C", "DataDigest", "CRC32C"), 1)) {
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            PduCodec.write(wire, initiator.nop(new byte[] {1, 2, 3, 4}), true, true);
            byte[] bytes = wire.toByteArray();
            bytes[48 + 4 + 1] ^= 0x10; // inside the data segment
            initiator.out.write(bytes);
            Pdu reject = initiator.read();
            assertThat(reject.opcode()).isEqualTo(Opcode.REJECT);
            assertThat(reject.byteAt(2)).isEqualTo(Opcode.REJECT_DATA_DIGEST);
            assertThat(initiator.exchange(initiator.nop(new byte[0])).opcode()).isEqualTo(Opcode.NOP_IN);
            wire.reset();
            PduCodec.write(wire, initiator.nop(new byte[0]), true, true);
            bytes = wire.toByteArray();
            bytes[20] ^= 1;
            initiator.out.write(bytes);
            assertThat(initiator.closedByTarget()).isTrue();
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAndTheOthersServed() throws Exception {
        portal.close();
        portal = targets.start(TestTargets.config().withMaxConnections(2), new MetricRegistry());
        port = portal.boundAddresses().get(0).getPort();
        try (RawInitiator first = loggedIn(Map.of(), 1); RawInitiator second = loggedIn(Map.of(), 2)) {
            try (RawInitiator third = new RawInitiator(port)) {
                assertThat(third.closedByTarget()).isTrue();
            }
            assertThat(first.exchange(first.nop(new byte[0])).opcode()).isEqualTo(Opcode.NOP_IN);
            assertThat(second.exchange(second.nop(new byte[0])).opcode()).isEqualTo(Opcode.NOP_IN);
            first.close();
            // Once a connection is gone its place is free again.
            ProtocolTest.waitFor(() -> portal.sessions().size() == 1);
            try (RawInitiator again = loggedIn(Map.of(), 3)) {
                assertThat(again.exchange(again.nop(new byte[0])).opcode()).isEqualTo(Opcode.NOP_IN);
            }
        }
    }

    @Test
    void aConnectionLimitOutsideItsRangeIsRefusedNamingIt() {
        for (int bad : new int[] {0, -1, 65537}) {
            assertThatThrownBy(() -> TestTargets.config().withMaxConnections(bad)).as("" + bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxConnections " + bad);
        }
        assertThat(TestTargets.config().withMaxConnections(65536).maxConnections()).isEqualTo(65536);
    }

    @Test
    void longSendTargetsAnswerIsContinued() throws Exception {
        portal.close();
        List<TargetEntry> many = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            many.add(new TargetEntry(String.format("iqn.2026-01.io.keel:t%03d", i), null, List.of(), null,
                    targets.open));
        }
        TargetDirectory directory = new TargetDirectory() {
            @Override
            public List<TargetEntry> targets() {
                return many;
            }

            @Override
            public Optional<TargetEntry> find(final String iqn) {
                return many.stream().filter(e -> e.iqn().equals(iqn)).findFirst();
            }
        };
        portal = IscsiPortal.start(TestTargets.config(), directory, new MetricRegistry(), SystemClock.INSTANCE);
        try (RawInitiator initiator = new RawInitiator(portal.boundAddresses().get(0).getPort())) {
            Map<String, String> keys = new LinkedHashMap<>(RawInitiator.discovery());
            keys.put("MaxRecvDataSegmentLength", "1024");
            assertThat(RawInitiator.status(initiator.login(1, 3, true, keys))).isZero();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            Pdu response = initiator.exchange(Pdu.of(Opcode.TEXT_REQUEST).itt(9).putInt32(20, Pdu.RESERVED_TAG)
                    .putInt32(24, initiator.cmdSn++).data("SendTargets=All\0".getBytes()));
            int pdus = 1;
            all.writeBytes(response.data());
            while ((response.flags() & 0x80) == 0) {
                assertThat(response.flags() & 0x40).isNotZero();
                assertThat(response.data().length).isLessThanOrEqualTo(1024);
                response = initiator.exchange(Pdu.of(Opcode.TEXT_REQUEST).itt(9).putInt32(20, response.int32(20))
                        .putInt32(24, initiator.cmdSn++));
                all.writeBytes(response.data());
                pdus++;
            }
            assertThat(pdus).isGreaterThan(10);
            String text = all.toString();
            assertThat(text).contains("TargetName=iqn.2026-01.io.keel:t000\0").contains("t299\0TargetAddress=");
            assertThat(text.split("TargetName=")).hasSize(301);
        }
    }

    @Test
    void abortTaskWaitingForData() throws Exception {
        Map<String, String> extra = Map.of("InitialR2T", "Yes", "ImmediateData", "No");
        try (RawInitiator initiator = loggedIn(extra, 2)) {
            Pdu write = initiator.command(0xa1, 0, RawInitiator.write10(0, 8), 4096, new byte[0]);
            initiator.send(write);
            Pdu r2t = initiator.read();
            assertThat(r2t.opcode()).isEqualTo(Opcode.R2T);
            Pdu abort = Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x81).itt(600)
                    .putInt32(20, write.itt()).putInt32(24, initiator.cmdSn).putInt32(32, write.int32(24));
            Pdu response = initiator.exchange(abort);
            assertThat(response.opcode()).isEqualTo(Opcode.TASK_MGMT_RESPONSE);
            assertThat(response.byteAt(2)).isZero();
            // Data for the aborted task is dropped quietly; the write never reaches the target.
            initiator.send(Pdu.of(Opcode.DATA_OUT).flags(0x80).itt(write.itt()).putInt32(20, r2t.int32(20))
                    .putInt32(36, 0).putInt32(40, 0).data(new byte[4096]));
            assertThat(initiator.exchange(initiator.nop(new byte[0])).opcode()).isEqualTo(Opcode.NOP_IN);
            assertThat(targets.open.commands).isEmpty();
            // The window slot came back.
            Pdu tur = initiator.exchange(initiator.command(0x81, 0, new byte[6], 0, null));
            assertThat(tur.int32(32) - tur.int32(28)).isEqualTo(127);
        }
    }

    @Test
    void logicalUnitResetAbortsOtherSessionsTasksSilently() throws Exception {
        try (RawInitiator victim = loggedIn(Map.of(), 3); RawInitiator resetter = loggedIn(Map.of(), 4)) {
            targets.open.blockOpcode = 0x28;
            targets.open.gate = new CountDownLatch(1);
            victim.send(victim.command(0xc1, 0, RawInitiator.read10(0, 1), 512, null));
            ProtocolTest.waitFor(() -> targets.open.commands.size() == 1);
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                targets.open.gate.countDown();
            });
            Pdu reset = resetter.exchange(Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x85).itt(700)
                    .putInt32(20, Pdu.RESERVED_TAG).putInt32(24, resetter.cmdSn));
            assertThat(reset.byteAt(2)).isZero();
            assertThat(targets.open.events).contains("logicalUnitReset 0");
            Pdu next = victim.exchange(victim.nop(new byte[0]));
            assertThat(next.opcode()).isEqualTo(Opcode.NOP_IN);
        }
    }

    @Test
    void keyOfferedAgainInALaterPduFailsTheLogin() throws Exception {
        try (RawInitiator initiator = new RawInitiator(port)) {
            Map<String, String> keys = RawInitiator.normal(TestTargets.OPEN);
            keys.put("MaxBurstLength", "65536");
            Pdu first = initiator.login(1, 3, false, keys);
            assertThat(RawInitiator.status(first)).isZero();
            Pdu second = initiator.login(1, 3, true, Map.of("MaxBurstLength", "65536"));
            assertThat(RawInitiator.status(second)).isEqualTo(LoginStatus.INITIATOR_ERROR);
            assertThat(initiator.closedByTarget()).isTrue();
        }
    }

    @Test
    void ittIsFreeOnceAnsweredButNotWhileInFlight() throws Exception {
        try (RawInitiator initiator = loggedIn(Map.of(), 5)) {
            for (int i = 0; i < 200; i++) {
                Pdu tur = initiator.command(0x81, 0, new byte[6], 0, null).itt(42);
                Pdu reply = initiator.exchange(tur);
                assertThat(reply.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            }
            targets.open.blockOpcode = 0x28;
            targets.open.gate = new CountDownLatch(1);
            initiator.send(initiator.command(0xc1, 0, RawInitiator.read10(0, 1), 512, null).itt(43));
            ProtocolTest.waitFor(() -> targets.open.commands.stream().anyMatch(c -> c.opcode() == 0x28));
            Pdu duplicate = initiator.exchange(initiator.command(0x81, 0, new byte[6], 0, null).itt(43));
            assertThat(duplicate.opcode()).isEqualTo(Opcode.REJECT);
            assertThat(duplicate.byteAt(2)).isEqualTo(Opcode.REJECT_TASK_IN_PROGRESS);
            targets.open.gate.countDown();
            assertThat(initiator.read().itt()).isEqualTo(43);
        }
    }

    @Test
    void nonLoginPduBeforeLoginClosesTheConnection() throws Exception {
        try (RawInitiator initiator = new RawInitiator(port)) {
            initiator.send(initiator.nop(new byte[0]));
            assertThat(initiator.closedByTarget()).isTrue();
        }
    }
}
