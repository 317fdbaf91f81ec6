package io.keel.access.scsi.reservation;

import static io.keel.access.scsi.reservation.Pr.A;
import static io.keel.access.scsi.reservation.Pr.B;
import static io.keel.access.scsi.reservation.Pr.C;
import static io.keel.access.scsi.reservation.Pr.EA;
import static io.keel.access.scsi.reservation.Pr.EA_AR;
import static io.keel.access.scsi.reservation.Pr.EA_RO;
import static io.keel.access.scsi.reservation.Pr.WE;
import static io.keel.access.scsi.reservation.Pr.WE_AR;
import static io.keel.access.scsi.reservation.Pr.WE_RO;
import static io.keel.access.scsi.reservation.Pr.read10;
import static io.keel.access.scsi.reservation.Pr.register;
import static io.keel.access.scsi.reservation.Pr.reserve;
import static io.keel.access.scsi.reservation.Pr.write10;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConflictsTest {

    private static final byte[] TUR = {0, 0, 0, 0, 0, 0};
    private static final byte[] INQUIRY = {0x12, 0, 0, 0, 36, 0};
    private static final byte[] REPORT_LUNS = {(byte) 0xA0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    private static final byte[] READ_CAPACITY_16 = {(byte) 0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
    private static final byte[] GET_LBA_STATUS = {(byte) 0x9E, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
    private static final byte[] REPORT_OPCODES = {(byte) 0xA3, 0x0C, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
    private static final byte[] MODE_SENSE_6 = {0x1A, 0, 0x3F, 0, (byte) 0xff, 0};
    private static final byte[] SYNC_CACHE = {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] UNMAP = {0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0};
    private static final byte[] PR_IN = Pr.inCdb(0);
    private static final byte[] PR_OUT = Pr.outCdb(0, 0, 24);
    private static final byte[] RESERVE_6 = {0x16, 0, 0, 0, 0, 0};
    private static final byte[] RELEASE_6 = {0x17, 0, 0, 0, 0, 0};

    /**
     * libiscsi ProutReserve.Access*: A holds {@code type}; B registered then unregistered.
     * Columns: registered B reads, registered B writes, unregistered B reads, unregistered B writes.
     */
    static Stream<Arguments> accessMatrix() {
        return Stream.of(
                Arguments.of(EA, false, false, false, false),
                Arguments.of(WE, true, false, true, false),
                Arguments.of(EA_RO, true, true, false, false),
                Arguments.of(WE_RO, true, true, true, false),
                Arguments.of(EA_AR, true, true, false, false),
                Arguments.of(WE_AR, true, true, true, false));
    }

    @ParameterizedTest
    @MethodSource("accessMatrix")
    void accessByType(final int type, final boolean regRead, final boolean regWrite, final boolean unregRead,
            final boolean unregWrite) {
        PersistentReservations pr = new PersistentReservations("v", new MemoryReservationStore(), new Pr.Attentions());
        register(pr, A, 1);
        register(pr, B, 2);
        reserve(pr, A, 1, type);
        assertThat(pr.conflicts(A, read10())).isFalse();
        assertThat(pr.conflicts(A, write10())).isFalse();
        assertThat(pr.conflicts(B, read10())).isEqualTo(!regRead);
        assertThat(pr.conflicts(B, write10())).isEqualTo(!regWrite);
        assertThat(pr.conflicts(B, MODE_SENSE_6)).isEqualTo(!regRead);
        assertThat(pr.conflicts(B, SYNC_CACHE)).isEqualTo(!regWrite);
        Pr.out(pr, B, Pr.REGISTER, 0, 2, 0, 0);
        assertThat(pr.conflicts(B, read10())).isEqualTo(!unregRead);
        assertThat(pr.conflicts(B, write10())).isEqualTo(!unregWrite);
        assertThat(pr.conflicts(B, GET_LBA_STATUS)).isEqualTo(!unregRead);
        assertThat(pr.conflicts(B, UNMAP)).isEqualTo(!unregWrite);
        // The commands every nexus may send.
        for (byte[] cdb : new byte[][] {TUR, INQUIRY, REPORT_LUNS, READ_CAPACITY_16, REPORT_OPCODES, PR_IN, PR_OUT}) {
            assertThat(pr.conflicts(C, cdb)).as("opcode %02x", cdb[0]).isFalse();
        }
        // SPC-2 RESERVE and RELEASE conflict for everyone while registrations exist.
        assertThat(pr.conflicts(A, RESERVE_6)).isTrue();
        assertThat(pr.conflicts(C, RELEASE_6)).isTrue();
    }

    @Test
    void registrationsWithoutReservationConflictWithNothingButReserveAndRelease() {
        PersistentReservations pr = new PersistentReservations("v", new MemoryReservationStore(), new Pr.Attentions());
        register(pr, A, 1);
        assertThat(pr.conflicts(B, write10())).isFalse();
        assertThat(pr.conflicts(B, RESERVE_6)).isTrue();
        assertThat(pr.reserve(B, RESERVE_6).status()).isEqualTo(0x18);
        assertThat(pr.release(B, RELEASE_6).status()).isEqualTo(0x18);
    }

    @Test
    void nothingConflictsWithoutState() {
        PersistentReservations pr = new PersistentReservations("v", new MemoryReservationStore(), new Pr.Attentions());
        assertThat(pr.conflicts(A, write10())).isFalse();
        assertThat(pr.conflicts(A, new byte[0])).isFalse();
        assertThat(pr.conflicts(A, null)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {0x0A, 0x2A, 0xAA, 0x8A, 0x41, 0x93, 0x89, 0x04, 0x48, 0x15, 0x55, 0x4C, 0x1B, 0x1E, 0x3B,
        0x83, 0x2E, 0x8E, 0xC0})
    void mediumModifyingCommandsConflictForUnregisteredUnderWriteExclusive(final int op) {
        PersistentReservations pr = new PersistentReservations("v", new MemoryReservationStore(), new Pr.Attentions());
        register(pr, A, 1);
        reserve(pr, A, 1, WE);
        byte[] cdb = new byte[16];
        cdb[0] = (byte) op;
        assertThat(pr.conflicts(B, cdb)).isTrue();
        assertThat(pr.conflicts(A, cdb)).isFalse();
    }

    /** SBC-3 table 13: START UNIT in the current power condition is allowed; STOP and power changes are not. */
    @Test
    void startUnitIsAllowedUnderEveryReservationButStopIsNot() {
        PersistentReservations pr = new PersistentReservations("v", new MemoryReservationStore(), new Pr.Attentions());
        register(pr, A, 1);
        reserve(pr, A, 1, Pr.EA);
        assertThat(pr.conflicts(B, new byte[] {0x1B, 0, 0, 0, 0x01, 0})).as("START").isFalse();
        assertThat(pr.conflicts(B, new byte[] {0x1B, 0, 0, 0, 0x00, 0})).as("STOP").isTrue();
        assertThat(pr.conflicts(B, new byte[] {0x1B, 0, 0, 0, 0x31, 0})).as("START into STANDBY").isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {0x08, 0x28, 0xA8, 0x88, 0x2F, 0xAF, 0x8F, 0x34, 0x90, 0x1A, 0x5A, 0x3C, 0x1C, 0x37})
    void readsPassWriteExclusiveButNotExclusiveAccess(final int op) {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) op;
        PersistentReservations we = new PersistentReservations("v", new MemoryReservationStore(), new Pr.Attentions());
        register(we, A, 1);
        reserve(we, A, 1, WE);
        assertThat(we.conflicts(B, cdb)).isFalse();
        PersistentReservations ea = new PersistentReservations("v", new MemoryReservationStore(), new Pr.Attentions());
        register(ea, A, 1);
        reserve(ea, A, 1, EA);
        assertThat(ea.conflicts(B, cdb)).isTrue();
    }

    @Test
    void variableLengthReadsAndWrites() {
        PersistentReservations pr = new PersistentReservations("v", new MemoryReservationStore(), new Pr.Attentions());
        register(pr, A, 1);
        reserve(pr, A, 1, WE);
        byte[] read32 = new byte[32];
        read32[0] = 0x7F;
        read32[9] = 0x09;
        byte[] write32 = read32.clone();
        write32[9] = 0x0B;
        assertThat(pr.conflicts(B, read32)).isFalse();
        assertThat(pr.conflicts(B, write32)).isTrue();
        assertThat(pr.conflicts(B, new byte[] {0x7F})).isTrue();
    }

    @Test
    void ownershipTestsOfLibiscsi() {
        // ProutReserve.Ownership*: the holder unregistering ends holder types, all-registrants types stay.
        for (int type : Pr.TYPES) {
            PersistentReservations pr = new PersistentReservations("v", new MemoryReservationStore(),
                    new Pr.Attentions());
            register(pr, A, 1);
            register(pr, B, 2);
            reserve(pr, A, 1, type);
            Pr.out(pr, A, Pr.REGISTER, 0, 1, 0, 0);
            boolean shared = type == WE_AR || type == EA_AR;
            if (shared) {
                assertThat(Pr.reservation(pr)).containsExactly(0, type);
                assertThat(pr.conflicts(A, write10())).isTrue();
                assertThat(pr.conflicts(B, write10())).isFalse();
                assertThat(Pr.out(pr, B, Pr.RELEASE, type, 2, 0, 0).status()).isZero();
            } else {
                assertThat(Pr.reservation(pr)).isNull();
            }
            assertThat(Pr.out(pr, B, Pr.REGISTER, 0, 2, 0, 0).status()).isZero();
        }
    }
}
