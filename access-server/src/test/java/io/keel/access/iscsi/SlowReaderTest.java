package io.keel.access.iscsi;

import static io.keel.access.iscsi.ProtocolTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.session.Lun;
import io.keel.access.scsi.ScsiStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An initiator that does not take its Data-In: its session's large READs hold at most the session's
 * read allowance (64 MiB) in memory, the next one waits, and aborting a waiting one ends it.
 */
@Timeout(120)
class SlowReaderTest {

    private static final String IQN = "iqn.2026-01.io.keel:slow-reader";
    private static final int BLOCKS_16_MIB = 32768;

    private OneVolumePortal node;

    @BeforeEach
    void start() {
        node = new OneVolumePortal(IQN, 96L << 20);
    }

    @AfterEach
    void stop() {
        node.close();
    }

    @Test
    void aFifthLargeReadWaitsForTheOthersDataInAndAnAbortEndsItsWait() throws Exception {
        try (RawInitiator slow = new RawInitiator(node.port)) {
            assertThat(RawInitiator.status(slow.loginFull(IQN, Map.of()))).isZero();
            slow.run(0, new byte[6], null); // past the power-on unit attention
            // A write held at the volume keeps the session busy, so the READs run on threads of their own
            // (an idle session's command may run on the connection's reader, which then stops reading).
            node.volume.writeGate = new CountDownLatch(1);
            slow.send(slow.command(0xa1, Lun.encode(0), RawInitiator.write10(1 << 17, 1), 512, new byte[512]));
            waitFor(() -> node.volume.writesAtGate.get() == 1);
            // READs of the portal's largest transfer (16 MiB): four fit the session's 64 MiB, the fifth waits.
            List<Pdu> reads = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                reads.add(read16MiB(slow, i % 4 * BLOCKS_16_MIB));
            }
            slow.sendTogether(reads);
            // The first four hold 64 MiB while their Data-In waits for this initiator; the fifth must wait.
            waitFor(() -> node.metrics.meter("iscsi.read-allowance.waits").getCount() == 1);
            assertThat(node.gauge("iscsi.read-share.held")).as("the node-wide gauge counts what they hold")
                    .isEqualTo(64L << 20);

            Pdu fifth = reads.get(4);
            slow.send(Pdu.of(Opcode.TASK_MGMT_REQUEST).immediate(true).flags(0x80 | 1).lun(0)
                    .itt(slow.nextItt++).putInt32(20, fifth.itt()).putInt32(24, slow.cmdSn)
                    .putInt32(32, fifth.int32(24)));

            node.volume.writeGate.countDown();
            // Now take everything: the write's status, four READs in full, the abort's answer, nothing for the fifth.
            Map<Integer, Long> dataBytes = new HashMap<>();
            Map<Integer, Integer> statuses = new HashMap<>();
            Pdu abortAnswer = null;
            while (statuses.size() < 5 || abortAnswer == null) {
                Pdu pdu = slow.read();
                assertThat(pdu).as("the connection stays up").isNotNull();
                if (pdu.opcode() == Opcode.DATA_IN) {
                    dataBytes.merge(pdu.itt(), (long) pdu.data().length, Long::sum);
                    if ((pdu.flags() & 0x01) != 0) {
                        statuses.put(pdu.itt(), pdu.byteAt(3));
                    }
                } else if (pdu.opcode() == Opcode.SCSI_RESPONSE) {
                    statuses.put(pdu.itt(), pdu.byteAt(3));
                } else if (pdu.opcode() == Opcode.TASK_MGMT_RESPONSE) {
                    abortAnswer = pdu;
                }
            }
            assertThat(abortAnswer.byteAt(2)).as("ABORT TASK: function complete").isZero();
            assertThat(statuses).as("the write's and four READs' statuses, none for the fifth").hasSize(5)
                    .doesNotContainKey(fifth.itt());
            assertThat(statuses.values()).containsOnly(ScsiStatus.GOOD);
            for (Pdu read : reads.subList(0, 4)) {
                assertThat(dataBytes.get(read.itt())).isEqualTo(16L << 20);
            }
            assertThat(slow.run(0, new byte[6], null).status()).as("the session goes on").isZero();
            waitFor(() -> node.gauge("iscsi.read-share.held") == 0);
        }
    }


    private static Pdu read16MiB(final RawInitiator initiator, final int lba) {
        byte[] cdb = {(byte) 0x88, 0, 0, 0, 0, 0, (byte) (lba >>> 24), (byte) (lba >>> 16), (byte) (lba >>> 8),
            (byte) lba, 0, 0, (byte) 0x80, 0, 0, 0};
        return initiator.command(0xc1, Lun.encode(0), cdb, 16 << 20, null);
    }
}
