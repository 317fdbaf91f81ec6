package io.keel.access.scsi.reservation;

import static io.keel.access.scsi.reservation.Pr.A;
import static io.keel.access.scsi.reservation.Pr.A2;
import static io.keel.access.scsi.reservation.Pr.B;
import static io.keel.access.scsi.reservation.Pr.C;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.access.scsi.ReservationStore;
import io.keel.access.scsi.ScsiResult;
import io.keel.access.scsi.ScsiStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class StoredStateTest {

    private final MemoryReservationStore store = new MemoryReservationStore();

    private PersistentReservations open() {
        return new PersistentReservations("vol1", store, new Pr.Attentions());
    }

    private static String fullStatus(final PersistentReservations pr) {
        ByteBuffer b = Pr.in(pr, A, 3);
        byte[] raw = new byte[b.remaining()];
        b.get(raw);
        return Arrays.toString(raw) + Arrays.toString(Pr.reservation(pr));
    }

    @Test
    void stateSurvivesAReload() {
        PersistentReservations pr = open();
        Pr.register(pr, A, 0x0102030405060708L);
        Pr.out(pr, B, Pr.REGISTER, 0, 0, -1L, 0x05);
        Pr.register(pr, C, 3);
        Pr.reserve(pr, C, 3, Pr.EA_RO);
        PersistentReservations reloaded = open();
        assertThat(fullStatus(reloaded)).isEqualTo(fullStatus(pr));
        assertThat(Pr.generation(reloaded)).isEqualTo(3);
        assertThat(reloaded.conflicts(A2, Pr.read10())).isTrue();
        assertThat(reloaded.conflicts(A, Pr.read10())).isFalse();
        // The reloaded holder is still the holder.
        assertThat(Pr.out(reloaded, C, Pr.RELEASE, Pr.EA_RO, 3, 0, 0).status()).isZero();
        assertThat(Pr.reservation(reloaded)).isNull();
    }

    @Test
    void everyTypeRoundTripsThroughTheCodec() {
        for (int type : Pr.TYPES) {
            MemoryReservationStore s = new MemoryReservationStore();
            PersistentReservations pr = new PersistentReservations("v", s, new Pr.Attentions());
            Pr.register(pr, A, 1);
            Pr.register(pr, B, 2);
            Pr.reserve(pr, B, 2, type);
            byte[] saved = s.load("v");
            PrState decoded = StateCodec.decode("v", saved);
            assertThat(StateCodec.encode(decoded)).isEqualTo(saved);
            assertThat(decoded.type().code).isEqualTo(type);
        }
        assertThat(StateCodec.decode("v", StateCodec.encode(PrState.EMPTY))).isEqualTo(PrState.EMPTY);
    }

    @Test
    void emptyStoreMeansNoRegistrations() {
        assertThat(Pr.keys(open())).isEmpty();
    }

    @Test
    void everyTruncationIsRefused() {
        PersistentReservations pr = open();
        Pr.register(pr, A, 1);
        Pr.reserve(pr, A, 1, Pr.WE);
        byte[] good = store.load("vol1");
        for (int len = 1; len < good.length; len++) {
            store.put("vol1", Arrays.copyOf(good, len));
            assertThatThrownBy(this::open).isInstanceOf(ReservationStateException.class)
                    .hasMessageContaining("vol1");
        }
    }

    @Test
    void everyFlippedBitIsRefused() {
        PersistentReservations pr = open();
        Pr.register(pr, A, 1);
        byte[] good = store.load("vol1");
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            store.put("vol1", bad);
            assertThatThrownBy(this::open).as("bit %d", bit).isInstanceOf(ReservationStateException.class)
                    .hasMessageContaining("volume vol1");
        }
    }

    @Test
    void newerVersionIsRefusedClearly() {
        PersistentReservations pr = open();
        Pr.register(pr, A, 1);
        byte[] bytes = store.load("vol1");
        bytes[5] = 2;
        resealCrc(bytes);
        store.put("vol1", bytes);
        assertThatThrownBy(this::open).isInstanceOf(ReservationStateException.class)
                .hasMessageContaining("vol1").hasMessageContaining("version 2").hasMessageContaining("newer");
    }

    @Test
    void structurallyBadButCheckedStateIsRefused() {
        // A CRC cannot catch an encoder bug: the decoder still checks the structure.
        byte[] bytes = StateCodec.encode(new PrState(1, false, List.of(Registration.of(A, false, 1)),
                ReservationType.WRITE_EXCLUSIVE, Registration.of(A, false, 1)));
        ByteBuffer.wrap(bytes).putInt(14, 5); // holder index beyond the registrations
        resealCrc(bytes);
        store.put("vol1", bytes);
        assertThatThrownBy(this::open).hasMessageContaining("holder index");
    }

    @Test
    void storeLoadFailureIsReported() {
        ReservationStore broken = new ReservationStore() {
            @Override
            public byte[] load(final String volumeId) throws IOException {
                throw new IOException("meta server down");
            }

            @Override
            public void save(final String volumeId, final byte[] state) {
            }
        };
        assertThatThrownBy(() -> new PersistentReservations("vol9", broken, new Pr.Attentions()))
                .isInstanceOf(ReservationStateException.class).hasMessageContaining("vol9")
                .hasMessageContaining("meta server down");
    }

    @Test
    void saveFailureLeavesStateUnchanged() {
        Pr.Attentions uas = new Pr.Attentions();
        PersistentReservations pr = new PersistentReservations("vol1", store, uas);
        Pr.register(pr, A, 1);
        Pr.register(pr, B, 2);
        Pr.reserve(pr, A, 1, Pr.WE);
        String before = fullStatus(pr);
        byte[] stored = store.load("vol1");
        store.failSaves = true;
        List<ScsiResult> results = List.of(
                Pr.register(pr, C, 3),
                Pr.out(pr, A, Pr.REGISTER, 0, 1, 9, 0),
                Pr.out(pr, A, Pr.RELEASE, Pr.WE, 1, 0, 0),
                Pr.out(pr, B, Pr.PREEMPT, Pr.EA, 2, 1, 0),
                Pr.out(pr, B, Pr.CLEAR, 0, 2, 0, 0));
        for (ScsiResult r : results) {
            assertThat(r.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
            assertThat(r.sense()[2]).isEqualTo((byte) 0x04);
            assertThat(r.sense()[12]).isEqualTo((byte) 0x44);
        }
        assertThat(fullStatus(pr)).isEqualTo(before);
        assertThat(uas.list()).isEmpty();
        assertThat(pr.conflicts(C, Pr.write10())).isTrue();
        assertThat(store.load("vol1")).isEqualTo(stored);
        // Commands that change nothing do not need the store.
        assertThat(Pr.reserve(pr, A, 1, Pr.WE).status()).isZero();
        store.failSaves = false;
        assertThat(Pr.out(pr, B, Pr.PREEMPT, Pr.EA, 2, 1, 0).status()).isZero();
        assertThat(Pr.reservation(pr)).containsExactly(2, Pr.EA);
    }

    private static void resealCrc(final byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());
    }
}
