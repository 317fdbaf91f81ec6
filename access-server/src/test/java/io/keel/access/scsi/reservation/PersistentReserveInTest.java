package io.keel.access.scsi.reservation;

import static io.keel.access.scsi.reservation.Pr.A;
import static io.keel.access.scsi.reservation.Pr.B;
import static io.keel.access.scsi.reservation.Pr.EA_RO;
import static io.keel.access.scsi.reservation.Pr.WE_AR;
import static io.keel.access.scsi.reservation.Pr.register;
import static io.keel.access.scsi.reservation.Pr.reserve;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.ScsiResult;
import io.keel.access.scsi.ScsiStatus;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PersistentReserveInTest {

    private PersistentReservations pr;

    @BeforeEach
    void setUp() {
        pr = new PersistentReservations("vol1", new MemoryReservationStore(), new Pr.Attentions());
    }

    @Test
    void readKeysListsEveryKeyWithTheFullAdditionalLength() {
        ByteBuffer empty = Pr.in(pr, A, 0);
        assertThat(empty.remaining()).isEqualTo(8);
        assertThat(empty.getInt(0)).isZero();
        assertThat(empty.getInt(4)).isZero();
        register(pr, A, 0xAAAAL);
        register(pr, B, 0xBBBBL);
        ByteBuffer b = Pr.in(pr, A, 0);
        assertThat(b.remaining()).isEqualTo(24);
        assertThat(b.getInt(0)).isEqualTo(2);
        assertThat(b.getInt(4)).isEqualTo(16);
        assertThat(b.getLong(8)).isEqualTo(0xAAAAL);
        assertThat(b.getLong(16)).isEqualTo(0xBBBBL);
    }

    @Test
    void readReservationReportsKeyScopeAndType() {
        register(pr, A, 0x1234L);
        ByteBuffer none = Pr.in(pr, A, 1);
        assertThat(none.remaining()).isEqualTo(8);
        assertThat(none.getInt(4)).isZero();
        reserve(pr, A, 0x1234L, EA_RO);
        ByteBuffer b = Pr.in(pr, B, 1);
        assertThat(b.remaining()).isEqualTo(24);
        assertThat(b.getInt(4)).isEqualTo(16);
        assertThat(b.getLong(8)).isEqualTo(0x1234L);
        assertThat(b.get(21)).isEqualTo((byte) EA_RO);
    }

    @Test
    void reportCapabilities() {
        ByteBuffer b = Pr.in(pr, A, 2);
        assertThat(b.remaining()).isEqualTo(8);
        assertThat(b.getShort(0)).isEqualTo((short) 8);
        assertThat(b.get(2) & 0x10).as("CRH").isZero();
        assertThat(b.get(2) & 0x08).as("SIP_C").isZero();
        assertThat(b.get(2) & 0x04).as("ATP_C").isEqualTo(0x04);
        assertThat(b.get(2) & 0x01).as("PTPL_C").isEqualTo(0x01);
        assertThat(b.get(3) & 0x80).as("TMV").isEqualTo(0x80);
        assertThat((b.get(3) >> 4) & 0x07).as("ALLOW COMMANDS").isLessThanOrEqualTo(5).isEqualTo(4);
        assertThat(b.getShort(4) & 0xffff).as("type mask").isEqualTo(0xEA01);
    }

    @Test
    void readFullStatusHasIscsiTransportIds() {
        register(pr, A, 1);
        Pr.out(pr, B, Pr.REGISTER, 0, 0, 2, 0x04);
        reserve(pr, A, 1, WE_AR);
        ByteBuffer b = Pr.in(pr, A, 3);
        assertThat(b.getInt(0)).isEqualTo(2);
        assertThat(b.getInt(4)).isEqualTo(b.remaining() - 8);
        int off = 8;
        String[] names = {A.initiatorPortName(), B.initiatorPortName()};
        for (int i = 0; i < 2; i++) {
            assertThat(b.getLong(off)).isEqualTo(i + 1);
            assertThat(b.get(off + 12) & 0x01).as("R_HOLDER").isEqualTo(1);
            assertThat(b.get(off + 12) & 0x02).as("ALL_TG_PT").isEqualTo(i == 1 ? 2 : 0);
            assertThat(b.get(off + 13)).isEqualTo((byte) WE_AR);
            assertThat(b.getShort(off + 18)).isEqualTo((short) (i == 1 ? 0 : 1));
            int idLength = b.getInt(off + 20);
            int id = off + 24;
            assertThat(b.get(id) & 0xff).as("format 01b, iSCSI").isEqualTo(0x45);
            int nameLength = b.getShort(id + 2);
            assertThat(nameLength % 4).isZero();
            assertThat(nameLength).isGreaterThanOrEqualTo(20).isEqualTo(idLength - 4);
            byte[] raw = new byte[nameLength];
            b.get(id + 4, raw);
            String name = new String(raw, StandardCharsets.UTF_8).replaceAll("\u0000+$", "");
            assertThat(name).isEqualTo(names[i]);
            assertThat(ItNexusParse.port(b.slice(id, idLength))).isEqualTo(names[i]);
            off = id + idLength;
        }
        assertThat(off).isEqualTo(b.limit());
    }

    @Test
    void serviceActionsAboveThreeAreInvalid() {
        for (int sa = 0; sa < 32; sa++) {
            ScsiResult r = pr.persistentReserveIn(A, Pr.inCdb(sa));
            if (sa < 4) {
                assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
            } else {
                assertThat(r.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
                assertThat(r.sense()[12]).isEqualTo((byte) 0x24);
            }
        }
    }

    @Test
    void shortCdbIsAnInvalidField() {
        assertThat(pr.persistentReserveIn(A, new byte[] {0x5E}).status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
    }

    /** Reads a TransportID back through the parser REGISTER AND MOVE uses. */
    private static final class ItNexusParse {
        static String port(final ByteBuffer id) {
            return PersistentReservations.parseTransportId(id, "t", 1).initiatorPortName();
        }
    }
}
