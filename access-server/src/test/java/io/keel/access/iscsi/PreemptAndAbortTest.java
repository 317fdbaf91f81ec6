package io.keel.access.iscsi;

import static io.keel.access.iscsi.ProtocolTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.session.Lun;
import io.keel.access.scsi.BlockTarget;
import io.keel.access.scsi.CopyParameters;
import io.keel.access.scsi.LunSpec;
import io.keel.access.scsi.MemoryBackend;
import io.keel.access.scsi.ReservationStore;
import io.keel.access.scsi.ScsiStatus;
import io.keel.access.scsi.TargetOptions;
import io.keel.access.scsi.UnitIdentifier;
import io.keel.access.scsi.reservation.PersistentReservations;
import io.keel.access.scsi.reservation.SharedReservations;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fencing through the iSCSI transport: PERSISTENT RESERVE OUT with PREEMPT AND ABORT and CLEAR
 * TASK SET abort the other host's commands in flight, answer only once none of them can still
 * write, and that host then finds COMMANDS CLEARED BY ANOTHER INITIATOR.
 */
@Timeout(60)
class PreemptAndAbortTest {

    private static final String IQN = "iqn.2026-01.io.keel:fencing";
    private static final String SECOND_IQN = "iqn.2026-01.io.keel:fencing-too";
    private static final int WRITE_EXCLUSIVE = 1;
    private static final int REGISTER = 0;
    private static final int RESERVE = 1;
    private static final int PREEMPT_AND_ABORT = 5;

    private final TestTargets targets = new TestTargets();
    private final MetricRegistry metrics = new MetricRegistry();
    private IscsiPortal portal;
    private int port;
    private MemoryBackend volume;
    /** LUN 1: what the fenced host copies from into {@link #volume}. */
    private MemoryBackend source;

    @BeforeEach
    void start() {
        volume = new MemoryBackend("vol-fenced-0001", 1 << 20, false);
        ReservationStore store = new ReservationStore() {
            private final AtomicReference<byte[]> saved = new AtomicReference<>(new byte[0]);

            @Override
            public byte[] load(final String volumeId) {
                return saved.get();
            }

            @Override
            public void save(final String volumeId, final byte[] state) {
                saved.set(state);
            }
        };
        SharedReservations reservations = new SharedReservations(
                sink -> new PersistentReservations(volume.volumeId(), store, sink));
        source = new MemoryBackend("vol-source-0002", 1 << 20, false);
        SharedReservations sourceReservations = new SharedReservations(
                sink -> new PersistentReservations(source.volumeId(), store, sink));
        BlockTarget scsi = new BlockTarget(List.of(new LunSpec(0, volume, reservations::attach),
                new LunSpec(1, source, sourceReservations::attach)), TargetOptions.defaults());
        // A second target exporting the fenced volume: one logical unit, two targets.
        BlockTarget second = new BlockTarget(List.of(new LunSpec(0, volume, reservations::attach)),
                TargetOptions.defaults());
        targets.add(new TargetEntry(IQN, null, List.of(), null, scsi),
                new TargetEntry(SECOND_IQN, null, List.of(), null, second));
        portal = targets.start(TestTargets.config(), metrics);
        port = portal.boundAddresses().get(0).getPort();
    }

    @AfterEach
    void stop() {
        volume.writeGate = null;
        portal.close();
    }

    @Test
    void preemptAndAbortAnswersOnlyOnceThePreemptedHostsWriteInFlightHasEnded() throws Exception {
        try (RawInitiator fenced = session(1); RawInitiator survivor = session(2)) {
            assertThat(fenced.run(0, prOut(REGISTER, 0), parameters(0, 0xA)).status()).as("register A").isZero();
            assertThat(survivor.run(0, prOut(REGISTER, 0), parameters(0, 0xB)).status()).as("register B").isZero();
            assertThat(fenced.run(0, prOut(RESERVE, WRITE_EXCLUSIVE), parameters(0xA, 0)).status())
                    .as("A reserves").isZero();

            volume.writeGate = new CountDownLatch(1);
            byte[] data = new byte[512];
            Arrays.fill(data, (byte) 0x11);
            Pdu write = fenced.command(0xa1, Lun.encode(0), RawInitiator.write10(8, 1), 512, data);
            fenced.send(write);
            waitFor(() -> volume.writesAtGate.get() == 1);

            preemptAndAbortAnsweredOnlyOnceTheGateOpens(survivor);

            // The aborted write got no status; the fenced host is told why, and may no longer write.
            List<List<Integer>> attentions = new ArrayList<>();
            while (true) {
                Pdu ready = fenced.command(0x81, Lun.encode(0), new byte[6], 0, null);
                fenced.send(ready);
                Pdu response = nextResponse(fenced);
                assertThat(response.itt()).as("the next answer is the TEST UNIT READY's").isEqualTo(ready.itt());
                if (response.byteAt(3) == ScsiStatus.GOOD) {
                    break;
                }
                byte[] sense = Arrays.copyOfRange(response.data(), 2, response.data().length);
                attentions.add(List.of(sense[2] & 0x0f, sense[12] & 0xff, sense[13] & 0xff));
            }
            assertThat(attentions).contains(List.of(6, 0x2a, 0x05), List.of(6, 0x2f, 0x00));
            assertThat(fenced.run(0, RawInitiator.write10(8, 1), data).status())
                    .isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
            assertThat(survivor.run(0, RawInitiator.write10(8, 1), new byte[512]).status()).isZero();
        }
    }

    /** A LOGICAL UNIT RESET through one target is a reset of the unit for the nexuses of every target. */
    @Test
    void aLogicalUnitResetIsReportedThroughTheUnitsOtherTargetsToo() throws Exception {
        try (RawInitiator resetting = session(1); RawInitiator elsewhere = new RawInitiator(port)) {
            elsewhere.isid = new byte[] {0x40, 0, 0, 0, 0, 3};
            assertThat(RawInitiator.status(elsewhere.loginFull(SECOND_IQN, Map.of()))).isZero();
            elsewhere.run(0, new byte[6], null); // the power-on unit attention
            assertThat(elsewhere.run(0, new byte[6], null).status()).isEqualTo(ScsiStatus.GOOD);
            resetting.send(Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x80 | 5).lun(0)
                    .itt(resetting.nextItt++).putInt32(20, Pdu.RESERVED_TAG).putInt32(24, resetting.cmdSn));
            Pdu response = skippingKeepAlives(resetting);
            assertThat(response.opcode()).isEqualTo(Opcode.TASK_MGMT_RESPONSE);
            assertThat(response.byteAt(2)).as("function complete").isZero();
            RawInitiator.Reply after = elsewhere.run(0, new byte[6], null);
            assertThat(after.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
            assertThat(after.senseKeyAscAscq()).as("BUS DEVICE RESET FUNCTION OCCURRED").containsExactly(6, 0x29, 3);
        }
    }

    /** An EXTENDED COPY may write to any unit: one sent to another LUN but writing here is waited for too. */
    @Test
    void aCopyIntoTheFencedUnitSentToAnotherLunIsWaitedForToo() throws Exception {
        try (RawInitiator fenced = session(1); RawInitiator survivor = session(2)) {
            assertThat(fenced.run(0, prOut(REGISTER, 0), parameters(0, 0xA)).status()).isZero();
            assertThat(survivor.run(0, prOut(REGISTER, 0), parameters(0, 0xB)).status()).isZero();
            assertThat(fenced.run(0, prOut(RESERVE, WRITE_EXCLUSIVE), parameters(0xA, 0)).status()).isZero();
            fenced.run(1, new byte[6], null); // LUN 1's power-on unit attention

            volume.writeGate = new CountDownLatch(1);
            byte[] list = CopyParameters.list(1, 0, List.of(UnitIdentifier.naa(source.volumeId()),
                    UnitIdentifier.naa(volume.volumeId())), new long[][] {{0, 1, 8, 0, 32}});
            byte[] cdb = CopyParameters.cdb(list.length);
            fenced.send(fenced.command(0xa1, Lun.encode(1), cdb, list.length, list));
            waitFor(() -> volume.writesAtGate.get() == 1);

            preemptAndAbortAnsweredOnlyOnceTheGateOpens(survivor);
        }
    }

    @Test
    void aWriteTheHostAbortedItselfButThatStillRunsIsWaitedForToo() throws Exception {
        try (RawInitiator fenced = session(1); RawInitiator survivor = session(2)) {
            assertThat(fenced.run(0, prOut(REGISTER, 0), parameters(0, 0xA)).status()).isZero();
            assertThat(survivor.run(0, prOut(REGISTER, 0), parameters(0, 0xB)).status()).isZero();
            volume.writeGate = new CountDownLatch(1);
            Pdu write = fenced.command(0xa1, Lun.encode(0), RawInitiator.write10(16, 1), 512, new byte[512]);
            fenced.send(write);
            waitFor(() -> volume.writesAtGate.get() == 1);
            // The host gave up on the write (its timeout), but the write is still in the store's hands.
            fenced.send(Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x81).itt(fenced.nextItt++)
                    .putInt32(20, write.itt()).putInt32(24, fenced.cmdSn).putInt32(32, write.int32(24)));
            // Its ABORT TASK answers only once the write ends; give the fenced session's reader time to take it.
            Thread.sleep(300);

            preemptAndAbortAnsweredOnlyOnceTheGateOpens(survivor);
        }
    }

    @Test
    void aWriteOfASessionThatEndedWhileItRanIsWaitedForToo() throws Exception {
        RawInitiator fenced = session(1);
        assertThat(fenced.run(0, prOut(REGISTER, 0), parameters(0, 0xA)).status()).isZero();
        volume.writeGate = new CountDownLatch(1);
        fenced.send(fenced.command(0xa1, Lun.encode(0), RawInitiator.write10(24, 1), 512, new byte[512]));
        waitFor(() -> volume.writesAtGate.get() == 1);
        // The host's connection dies; its session ends (after waiting a while for the write) without it.
        fenced.close();
        long until = System.nanoTime() + 30_000_000_000L; // the ending session waits 10 s for its tasks first
        while (!portal.sessions().isEmpty()) {
            assertThat(System.nanoTime()).as("the fenced session ended").isLessThan(until);
            Thread.sleep(50);
        }
        assertThat(metrics.getGauges().get("iscsi.tasks.of-ended-sessions").getValue()).isEqualTo(1);
        try (RawInitiator survivor = session(2)) {
            assertThat(survivor.run(0, prOut(REGISTER, 0), parameters(0, 0xB)).status()).isZero();
            preemptAndAbortAnsweredOnlyOnceTheGateOpens(survivor);
        }
        waitFor(() -> metrics.getGauges().get("iscsi.tasks.of-ended-sessions").getValue().equals(0));
    }

    @Test
    void clearTaskSetAbortsAnotherHostsCommandsAndTellsItSo() throws Exception {
        try (RawInitiator other = session(1); RawInitiator clearing = session(2)) {
            writeHeldAtTheGate(other);

            clearTaskSetWaitingForTheWrite(clearing);
            volume.writeGate.countDown();
            Pdu answer = skippingKeepAlives(clearing);
            assertThat(answer.opcode()).isEqualTo(Opcode.TASK_MGMT_RESPONSE);
            assertThat(answer.byteAt(2)).as("function complete").isZero();

            Pdu ready = other.command(0x81, Lun.encode(0), new byte[6], 0, null);
            other.send(ready);
            Pdu response = nextResponse(other);
            assertThat(response.itt()).as("the aborted write got no status").isEqualTo(ready.itt());
            byte[] sense = Arrays.copyOfRange(response.data(), 2, response.data().length);
            assertThat(List.of(sense[2] & 0x0f, sense[12] & 0xff, sense[13] & 0xff))
                    .as("COMMANDS CLEARED BY ANOTHER INITIATOR").containsExactly(6, 0x2f, 0x00);
            assertThat(clearing.run(0, new byte[6], null).status()).as("not for the nexus that cleared").isZero();
        }
    }

    @Test
    void aTaskItsHostAbortedItselfIsNotReportedClearedByAnother() throws Exception {
        try (RawInitiator other = session(1); RawInitiator clearing = session(2)) {
            Pdu write = writeHeldAtTheGate(other);
            // The host aborts its own write (ABORT TASK waits for it), then another host clears the task set.
            other.send(Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x80 | 1).lun(0)
                    .itt(other.nextItt++).putInt32(20, write.itt()).putInt32(24, other.cmdSn)
                    .putInt32(32, write.int32(24)));
            assertThat(other.nextWithin(300)).as("ABORT TASK waits for the write").isNull();
            clearTaskSetWaitingForTheWrite(clearing);
            volume.writeGate.countDown();
            assertThat(skippingKeepAlives(clearing).byteAt(2)).as("CLEAR TASK SET complete").isZero();
            Pdu aborted = skippingKeepAlives(other);
            assertThat(aborted.opcode()).isEqualTo(Opcode.TASK_MGMT_RESPONSE);
            assertThat(aborted.byteAt(2)).as("ABORT TASK complete").isZero();

            assertThat(other.run(0, new byte[6], null).status()).as("no COMMANDS CLEARED BY ANOTHER INITIATOR")
                    .isZero();
        }
    }

    /** Sends a one-block WRITE from {@code host} and returns it once the volume holds it at its gate. */
    private Pdu writeHeldAtTheGate(final RawInitiator host) throws Exception {
        volume.writeGate = new CountDownLatch(1);
        Pdu write = host.command(0xa1, Lun.encode(0), RawInitiator.write10(0, 1), 512, new byte[512]);
        host.send(write);
        waitFor(() -> volume.writesAtGate.get() == 1);
        return write;
    }

    /** Sends CLEAR TASK SET for LUN 0 from {@code clearing}, which gets no answer while the held write runs. */
    private static void clearTaskSetWaitingForTheWrite(final RawInitiator clearing) throws Exception {
        clearing.send(Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x80 | 4).lun(0)
                .itt(clearing.nextItt++).putInt32(20, Pdu.RESERVED_TAG).putInt32(24, clearing.cmdSn));
        assertThat(clearing.nextWithin(300)).as("no answer while the write is in flight").isNull();
    }

    /**
     * {@code survivor} (key B) preempts and aborts key A: no answer while the write held at the
     * volume's gate is in flight, GOOD once the gate opens.
     */
    private void preemptAndAbortAnsweredOnlyOnceTheGateOpens(final RawInitiator survivor) throws Exception {
        Pdu preempt = survivor.command(0xa1, Lun.encode(0), prOut(PREEMPT_AND_ABORT, WRITE_EXCLUSIVE), 24,
                parameters(0xB, 0xA));
        survivor.send(preempt);
        assertThat(survivor.nextWithin(300)).as("no answer while the preempted host's write is in flight").isNull();
        volume.writeGate.countDown();
        Pdu answer = nextResponse(survivor);
        assertThat(answer.itt()).isEqualTo(preempt.itt());
        assertThat(answer.byteAt(3)).as("PREEMPT AND ABORT status").isEqualTo(ScsiStatus.GOOD);
    }

    /** A session of its own I_T nexus (ISID ending in {@code isid}), past the power-on unit attention. */
    private RawInitiator session(final int isid) throws Exception {
        RawInitiator initiator = new RawInitiator(port);
        initiator.isid = new byte[] {0x40, 0, 0, 0, 0, (byte) isid};
        assertThat(RawInitiator.status(initiator.loginFull(IQN, Map.of()))).isZero();
        initiator.run(0, new byte[6], null);
        return initiator;
    }

    /** PERSISTENT RESERVE OUT with service action {@code action} and {@code type}, a basic parameter list. */
    private static byte[] prOut(final int action, final int type) {
        byte[] cdb = new byte[10];
        cdb[0] = 0x5f;
        cdb[1] = (byte) action;
        cdb[2] = (byte) type;
        cdb[8] = 24;
        return cdb;
    }

    /** The basic PERSISTENT RESERVE OUT parameter list: reservation key, service action reservation key. */
    private static byte[] parameters(final long key, final long serviceActionKey) {
        return ByteBuffer.allocate(24).putLong(key).putLong(serviceActionKey).array();
    }

    /** The next SCSI Response, skipping keep-alives. */
    private static Pdu nextResponse(final RawInitiator initiator) throws Exception {
        Pdu pdu = skippingKeepAlives(initiator);
        while (pdu.opcode() != Opcode.SCSI_RESPONSE) {
            pdu = skippingKeepAlives(initiator);
        }
        return pdu;
    }

    private static Pdu skippingKeepAlives(final RawInitiator initiator) throws Exception {
        Pdu pdu = initiator.read();
        while (pdu != null && pdu.opcode() == Opcode.NOP_IN) {
            pdu = initiator.read();
        }
        return pdu;
    }
}
