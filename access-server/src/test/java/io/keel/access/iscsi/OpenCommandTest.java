package io.keel.access.iscsi;

import static io.keel.access.iscsi.ProtocolTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.session.Lun;
import io.keel.access.iscsi.session.OpenCommand;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The portal names the command that has waited longest for its status (what the node's health check reads). */
@Timeout(60)
class OpenCommandTest {

    private static final String IQN = "iqn.2026-01.io.keel:open-command";

    private OneVolumePortal node;

    @BeforeEach
    void start() {
        node = new OneVolumePortal(IQN, 8L << 20);
    }

    @AfterEach
    void stop() {
        node.close();
    }

    @Test
    void aWriteHeldInTheVolumeIsTheOldestOpenCommandUntilItsStatusGoesOut() throws Exception {
        try (RawInitiator initiator = new RawInitiator(node.port)) {
            assertThat(RawInitiator.status(initiator.loginFull(IQN, Map.of()))).isZero();
            initiator.run(0, new byte[6], null); // past the power-on unit attention
            assertThat(node.portal.oldestOpenCommand()).isEmpty();
            assertThat(node.gauge("iscsi.commands.oldest-open-ms")).isZero();

            node.volume.writeGate = new CountDownLatch(1);
            Pdu write = initiator.command(0xa1, Lun.encode(0), RawInitiator.write10(8, 1), 512, new byte[512]);
            initiator.send(write);
            waitFor(() -> node.volume.writesAtGate.get() == 1);
            Thread.sleep(20);

            OpenCommand open = node.portal.oldestOpenCommand().orElseThrow();
            assertThat(open.target()).isEqualTo(IQN);
            assertThat(open.lun()).isZero();
            assertThat(open.opcode()).isEqualTo(0x2a);
            assertThat(open.stage()).isEqualTo("running");
            assertThat(open.age().toMillis()).isPositive();
            assertThat(open.toString()).contains("opcode 2Ah to " + IQN + " LUN 0 from ", "running");
            assertThat(node.gauge("iscsi.commands.oldest-open-ms")).isPositive();

            node.volume.writeGate.countDown();
            Pdu status = initiator.read();
            assertThat(status.opcode()).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(status.itt()).isEqualTo(write.itt());
            waitFor(() -> node.portal.oldestOpenCommand().isEmpty());
        }
    }


    @Test
    void aWriteWaitingForItsDataAndAnOrderedReadBehindItAreNotOpenCommands() throws Exception {
        try (RawInitiator initiator = new RawInitiator(node.port)) {
            assertThat(RawInitiator.status(initiator.loginFull(IQN, Map.of()))).isZero();
            initiator.run(0, new byte[6], null); // past the power-on unit attention
            // 8 blocks announced, one sent: the rest is the initiator's to send (it never does here).
            initiator.send(initiator.command(0xa1, Lun.encode(0), RawInitiator.write10(16, 8), 4096, new byte[512]));
            Pdu orderedRead = initiator.command(0xc2, Lun.encode(0), RawInitiator.read10(0, 1), 512, null);
            initiator.send(orderedRead);
            Thread.sleep(100);
            assertThat(node.portal.oldestOpenCommand()).as("both wait for the initiator, not for anything below")
                    .isEmpty();
            assertThat(node.gauge("iscsi.commands.oldest-open-ms")).isZero();
        }
    }
}
