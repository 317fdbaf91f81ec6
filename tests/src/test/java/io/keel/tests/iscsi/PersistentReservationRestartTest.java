package io.keel.tests.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.iscsi.RawInitiator;
import io.keel.access.iscsi.pdu.Pdu;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SCSI persistent reservations live in the meta server: a registration and a reservation made
 * through the iSCSI target are still there after the node is killed with SIGKILL and restarted.
 */
class PersistentReservationRestartTest {

    private static final String IQN = "iqn.2026-12.io.keel.test:reservations";
    private static final long KEY = 0x1234_5678_9abc_def0L;
    private static final int WRITE_EXCLUSIVE = 1;
    private static final int GOOD = 0;

    @TempDir
    Path dir;

    @Test
    void registrationsAndTheReservationSurviveAKilledNode() throws Exception {
        try (IscsiNode keel = IscsiNode.start("reservations", dir.resolve("node"), 1L << 30)) {
            keel.createVolume("shared", 64L << 20, true);
            keel.createTarget(IQN, "shared", "\"anyInitiator\": true");
            try (RawInitiator initiator = loggedIn(keel)) {
                assertThat(status(initiator, persistentReserveOut(0, 0, 0, KEY))).as("REGISTER").isEqualTo(GOOD);
                assertThat(status(initiator, persistentReserveOut(1, WRITE_EXCLUSIVE, KEY, 0))).as("RESERVE")
                        .isEqualTo(GOOD);
            }

            keel.node.kill();
            keel.restart();

            try (RawInitiator initiator = loggedIn(keel)) {
                ByteBuffer keys = ByteBuffer.wrap(dataIn(initiator, persistentReserveIn(0)));
                assertThat(keys.getInt(4)).as("bytes of keys").isEqualTo(8);
                assertThat(keys.getLong(8)).isEqualTo(KEY);
                ByteBuffer reservation = ByteBuffer.wrap(dataIn(initiator, persistentReserveIn(1)));
                assertThat(reservation.getInt(4)).as("a reservation is held").isEqualTo(16);
                assertThat(reservation.getLong(8)).isEqualTo(KEY);
                assertThat(reservation.get(21) & 0x0f).isEqualTo(WRITE_EXCLUSIVE);
            }
        }
    }

    private static RawInitiator loggedIn(final IscsiNode keel) throws Exception {
        RawInitiator initiator = new RawInitiator(keel.iscsiPort);
        Pdu login = initiator.loginFull(IQN, Map.of());
        assertThat(RawInitiator.status(login)).as("login status").isZero();
        // The first command of a new nexus reports the power-on unit attention.
        status(initiator, new Command(new byte[6], null));
        return initiator;
    }

    /** A command and its data-out (sent as immediate data), or {@code null}. */
    private record Command(byte[] cdb, byte[] dataOut) {
    }

    private static Command persistentReserveOut(final int serviceAction, final int type, final long key,
            final long newKey) {
        byte[] cdb = {0x5f, (byte) serviceAction, (byte) type, 0, 0, 0, 0, 0, 24, 0};
        ByteBuffer parameters = ByteBuffer.allocate(24).putLong(0, key).putLong(8, newKey);
        return new Command(cdb, parameters.array());
    }

    private static Command persistentReserveIn(final int serviceAction) {
        return new Command(new byte[] {0x5e, (byte) serviceAction, 0, 0, 0, 0, 0, 0x10, 0, 0}, null);
    }

    private static int status(final RawInitiator initiator, final Command command) throws Exception {
        return initiator.run(0, command.cdb(), command.dataOut()).status();
    }

    private static byte[] dataIn(final RawInitiator initiator, final Command command) throws Exception {
        RawInitiator.Reply reply = initiator.run(0, command.cdb(), command.dataOut());
        assertThat(reply.status()).as("status").isEqualTo(GOOD);
        return reply.data();
    }
}
