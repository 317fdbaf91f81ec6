package io.keel.access.scsi.reservation;

import static io.keel.access.scsi.reservation.Pr.A;
import static io.keel.access.scsi.reservation.Pr.B;
import static io.keel.access.scsi.reservation.Pr.C;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.ItNexus;
import io.keel.access.scsi.ScsiResult;
import io.keel.access.scsi.ScsiStatus;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RegisterAndMoveTest {

    private MemoryReservationStore store;
    private PersistentReservations pr;

    @BeforeEach
    void setUp() {
        store = new MemoryReservationStore();
        pr = new PersistentReservations("v", store, new Pr.Attentions());
        Pr.register(pr, A, 1);
        Pr.reserve(pr, A, 1, Pr.WE);
    }

    private ScsiResult move(final ItNexus from, final long key, final long saKey, final int flags,
            final ItNexus to, final int type) {
        byte[] id = PersistentReservations.transportId(to.initiatorPortName());
        ByteBuffer p = ByteBuffer.allocate(24 + id.length);
        p.putLong(key).putLong(saKey).put((byte) 0).put((byte) flags).putShort((short) to.portalGroupTag());
        p.putInt(id.length).put(id).clear();
        return pr.persistentReserveOut(from, Pr.outCdb(Pr.REGISTER_AND_MOVE, type, p.capacity()), p);
    }

    @Test
    void movesTheReservationToANewRegistration() {
        int gen = Pr.generation(pr);
        assertThat(move(A, 1, 7, 0, B, Pr.WE).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Pr.reservation(pr)).containsExactly(7, Pr.WE);
        assertThat(Pr.keys(pr)).containsExactly(1L, 7L);
        assertThat(Pr.generation(pr)).isEqualTo(gen + 1);
        assertThat(pr.conflicts(B, Pr.write10())).isFalse();
        assertThat(pr.conflicts(A, Pr.write10())).isTrue();
        // The move survives a reload.
        PersistentReservations reloaded = new PersistentReservations("v", store, new Pr.Attentions());
        assertThat(reloaded.conflicts(B, Pr.write10())).isFalse();
    }

    @Test
    void unregMovesAndUnregistersTheSource() {
        assertThat(move(A, 1, 7, 0x02, B, Pr.EA).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Pr.keys(pr)).containsExactly(7L);
        assertThat(Pr.reservation(pr)).containsExactly(7, Pr.EA);
    }

    @Test
    void refusals() {
        Pr.register(pr, C, 3);
        assertThat(move(C, 3, 7, 0, B, Pr.WE).status()).as("not the holder").isEqualTo(0x18);
        assertThat(move(B, 0, 7, 0, C, Pr.WE).status()).as("not registered").isEqualTo(0x18);
        assertThat(move(A, 2, 7, 0, B, Pr.WE).status()).as("wrong key").isEqualTo(0x18);
        assertThat(move(A, 1, 0, 0, B, Pr.WE).status()).as("SARK 0").isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(move(A, 1, 7, 0, A, Pr.WE).status()).as("to itself").isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(move(A, 1, 7, 0, B, 2).status()).as("bad type").isEqualTo(ScsiStatus.CHECK_CONDITION);
        ItNexus nowhere = new ItNexus(B.initiatorName(), B.isid(), B.targetName(), 0);
        ScsiResult toNoPort = move(A, 1, 7, 0, nowhere, Pr.WE);
        assertThat(toNoPort.status()).as("a target port the target does not have")
                .isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(toNoPort.sense()[12]).as("INVALID FIELD IN PARAMETER LIST").isEqualTo((byte) 0x26);
        assertThat((toNoPort.sense()[16] & 0xff) << 8 | toNoPort.sense()[17] & 0xff)
                .as("field pointer: RELATIVE TARGET PORT IDENTIFIER").isEqualTo(18);
        // A TransportID longer than the parameter list.
        ByteBuffer p = ByteBuffer.allocate(28);
        p.putLong(1).putLong(7).putInt(0).putInt(100).clear();
        assertThat(pr.persistentReserveOut(A, Pr.outCdb(Pr.REGISTER_AND_MOVE, Pr.WE, 28), p).sense()[12])
                .isEqualTo((byte) 0x1A);
        // Format 00b (no ISID) is not accepted.
        byte[] id = PersistentReservations.transportId(B.initiatorPortName());
        id[0] = 0x05;
        ByteBuffer q = ByteBuffer.allocate(24 + id.length);
        q.putLong(1).putLong(7).putInt(0).putInt(id.length).put(id).clear();
        assertThat(pr.persistentReserveOut(A, Pr.outCdb(Pr.REGISTER_AND_MOVE, Pr.WE, q.capacity()), q).sense()[12])
                .isEqualTo((byte) 0x26);
        assertThat(Pr.reservation(pr)).containsExactly(1, Pr.WE);
        Pr.out(pr, A, Pr.RELEASE, Pr.WE, 1, 0, 0);
        Pr.reserve(pr, A, 1, Pr.WE_AR);
        assertThat(move(A, 1, 7, 0, B, Pr.WE).status()).as("all registrants").isEqualTo(0x18);
    }
}
