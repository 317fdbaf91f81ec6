package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UnitAttentionTest extends ScsiFixture {

    private static final byte[] TUR = cdb(0, 0, 0, 0, 0, 0);

    @Test
    void firstCommandOfANewNexusFindsPowerOn() {
        check(run(A, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x00);
        good(run(A, THIN, TUR, null));
        check(run(A, FULL, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x00);
        check(run(B, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x00);
    }

    @Test
    void inquiryAndReportLunsNeitherReportNorClear() {
        good(run(A, THIN, cdb(0x12, 0, 0, 0, 36, 0), null));
        good(run(A, THIN, cdb(0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0), null));
        check(run(A, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x00);
    }

    @Test
    void requestSenseReportsAndClears() {
        byte[] s = data(run(A, THIN, cdb(0x03, 0, 0, 0, 18, 0), null));
        assertThat(key(s)).isEqualTo(new Key(Sense.UNIT_ATTENTION, 0x29, 0x00));
        good(run(A, THIN, TUR, null));
    }

    @Test
    void logicalUnitResetIsReportedToEveryNexus() {
        settle(A, THIN);
        settle(B, THIN);
        settle(A, FULL);
        target.logicalUnitReset(A, THIN);
        check(run(A, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x03);
        good(run(A, FULL, TUR, null));
        check(run(B, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x03);
        good(run(B, THIN, TUR, null));
        assertThat(thinReservations.calls).contains("reset");
    }

    @Test
    void logicalUnitResetRestoresModePageDefaults() {
        settle(A, THIN);
        byte[] control = java.util.Arrays.copyOfRange(data(run(THIN, 0x1a, 0x08, 0x0a, 0, 255, 0)), 0, 16);
        control[0] = 0;
        control[6] |= 0x04;
        good(run(A, THIN, cdb(0x15, 0x10, 0, 0, 16, 0), control));
        target.logicalUnitReset(B, THIN);
        check(run(A, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x03);
        assertThat(data(run(THIN, 0x1a, 0x08, 0x0a, 0, 255, 0))[6] & 0x04).isZero();
    }

    @Test
    void targetResetIsReportedOnEveryUnit() {
        settle(A, THIN);
        settle(B, THIN);
        settle(B, FULL);
        target.targetReset(A);
        check(run(B, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x02);
        check(run(B, FULL, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x02);
        check(run(A, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x02);
        good(run(A, THIN, TUR, null));
    }

    @Test
    void targetColdResetIsAPowerOnThatReleasesSpc2Reservations() {
        settle(A, THIN);
        settle(B, FULL);
        target.targetColdReset(B);
        check(run(A, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x01);
        check(run(B, FULL, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x01);
        good(run(A, THIN, TUR, null));
        assertThat(thinReservations.calls).contains("reset");
    }

    @Test
    void capacityGrowthIsReported() {
        settle(A, THIN);
        settle(B, THIN);
        thin.grow(32 << 20);
        check(run(A, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x2a, 0x09);
        check(run(B, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x2a, 0x09);
        byte[] rc = data(run(A, THIN, cdb(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0), null));
        assertThat(Bytes.u32(rc, 0)).isEqualTo((32 << 20) / 512 - 1);
    }

    @Test
    void reservationsCanRaiseAttentionsAndLostNexusesStartAfresh() {
        settle(A, THIN);
        thinReservations.sink.raise(A, Sense.of(Sense.UNIT_ATTENTION, 0x2a, 0x03));
        check(run(A, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x2a, 0x03);
        good(run(A, THIN, TUR, null));
        target.nexusLost(A);
        check(run(A, THIN, TUR, null), Sense.UNIT_ATTENTION, 0x29, 0x00);
    }

    @Test
    void unitAttentionComesBeforeCdbErrors() {
        check(run(A, THIN, cdb(0xe7, 0, 0, 0, 0, 0), null), Sense.UNIT_ATTENTION, 0x29, 0x00);
        check(run(A, THIN, cdb(0xe7, 0, 0, 0, 0, 0), null), Sense.ILLEGAL_REQUEST, 0x20, 0x00);
    }
}
