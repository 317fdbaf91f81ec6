package io.keel.access.scsi.reservation;

import static io.keel.access.scsi.reservation.Pr.A;
import static io.keel.access.scsi.reservation.Pr.B;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.ScsiStatus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Spc2ReservationTest {

    private static final byte[] RESERVE_6 = {0x16, 0, 0, 0, 0, 0};
    private static final byte[] RELEASE_6 = {0x17, 0, 0, 0, 0, 0};
    private static final byte[] RESERVE_10 = {0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] RELEASE_10 = {0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] MODE_SENSE_6 = {0x1A, 0, 0x3F, 0, (byte) 0xff, 0};
    private static final byte[] INQUIRY = {0x12, 0, 0, 0, 36, 0};
    private static final byte[] TUR = {0, 0, 0, 0, 0, 0};

    private MemoryReservationStore store;
    private PersistentReservations pr;

    @BeforeEach
    void setUp() {
        store = new MemoryReservationStore();
        pr = new PersistentReservations("v", store, new Pr.Attentions());
    }

    @Test
    void twoInitiators() {
        // libiscsi Reserve6.2Initiators.
        assertThat(pr.reserve(A, RESERVE_6).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(pr.reserve(A, RESERVE_6).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(pr.conflicts(B, RESERVE_6)).isTrue();
        assertThat(pr.reserve(B, RESERVE_6).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(pr.conflicts(B, RELEASE_6)).isFalse();
        assertThat(pr.release(B, RELEASE_6).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(pr.conflicts(A, MODE_SENSE_6)).isFalse();
        assertThat(pr.conflicts(B, MODE_SENSE_6)).isTrue();
        assertThat(pr.conflicts(B, TUR)).isTrue();
        assertThat(pr.conflicts(B, Pr.write10())).isTrue();
        assertThat(pr.conflicts(B, INQUIRY)).isFalse();
        assertThat(pr.release(A, RELEASE_6).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(pr.reserve(B, RESERVE_10).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(pr.conflicts(A, Pr.read10())).isTrue();
        assertThat(pr.release(B, RELEASE_10).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(pr.conflicts(A, Pr.read10())).isFalse();
        assertThat(store.saves).as("SPC-2 reservations are not stored").isZero();
    }

    @Test
    void resetAndNexusLossRelease() {
        pr.reserve(A, RESERVE_6);
        pr.nexusLost(B);
        assertThat(pr.conflicts(B, Pr.read10())).isTrue();
        pr.nexusLost(A);
        assertThat(pr.conflicts(B, Pr.read10())).isFalse();
        pr.reserve(A, RESERVE_10);
        pr.logicalUnitReset();
        assertThat(pr.conflicts(B, Pr.read10())).isFalse();
        assertThat(pr.reserve(B, RESERVE_6).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void persistentReservationCommandsConflictWhileReserved() {
        pr.reserve(A, RESERVE_6);
        assertThat(pr.conflicts(A, Pr.inCdb(0))).isTrue();
        assertThat(pr.conflicts(B, Pr.outCdb(0, 0, 24))).isTrue();
        assertThat(pr.persistentReserveIn(A, Pr.inCdb(0)).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(Pr.register(pr, A, 1).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        pr.release(A, RELEASE_6);
        assertThat(Pr.register(pr, A, 1).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(pr.reserve(A, RESERVE_6).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    @Test
    void thirdPartyAndExtentReservationsAreRefused() {
        byte[] thirdParty = RESERVE_10.clone();
        thirdParty[1] = 0x10;
        assertThat(pr.reserve(A, thirdParty).status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        byte[] extent = RESERVE_6.clone();
        extent[1] = 0x01;
        assertThat(pr.reserve(A, extent).status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(pr.conflicts(B, Pr.read10())).isFalse();
    }
}
