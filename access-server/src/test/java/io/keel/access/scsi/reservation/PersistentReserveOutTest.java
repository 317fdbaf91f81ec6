package io.keel.access.scsi.reservation;

import static io.keel.access.scsi.reservation.Pr.A;
import static io.keel.access.scsi.reservation.Pr.A2;
import static io.keel.access.scsi.reservation.Pr.B;
import static io.keel.access.scsi.reservation.Pr.C;
import static io.keel.access.scsi.reservation.Pr.CLEAR;
import static io.keel.access.scsi.reservation.Pr.EA;
import static io.keel.access.scsi.reservation.Pr.EA_AR;
import static io.keel.access.scsi.reservation.Pr.PREEMPT;
import static io.keel.access.scsi.reservation.Pr.PREEMPT_AND_ABORT;
import static io.keel.access.scsi.reservation.Pr.REGISTER;
import static io.keel.access.scsi.reservation.Pr.RELEASE;
import static io.keel.access.scsi.reservation.Pr.WE;
import static io.keel.access.scsi.reservation.Pr.WE_AR;
import static io.keel.access.scsi.reservation.Pr.WE_RO;
import static io.keel.access.scsi.reservation.Pr.EA_RO;
import static io.keel.access.scsi.reservation.Pr.generation;
import static io.keel.access.scsi.reservation.Pr.keys;
import static io.keel.access.scsi.reservation.Pr.out;
import static io.keel.access.scsi.reservation.Pr.register;
import static io.keel.access.scsi.reservation.Pr.reservation;
import static io.keel.access.scsi.reservation.Pr.reserve;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.ScsiResult;
import io.keel.access.scsi.ScsiStatus;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PersistentReserveOutTest {

    private MemoryReservationStore store;
    private Pr.Attentions uas;
    private PersistentReservations pr;

    @BeforeEach
    void setUp() {
        store = new MemoryReservationStore();
        uas = new Pr.Attentions();
        pr = new PersistentReservations("vol1", store, uas);
    }

    private static void assertGood(final ScsiResult r) {
        assertThat(r.status()).as("status").isEqualTo(ScsiStatus.GOOD);
    }

    private static void assertConflict(final ScsiResult r) {
        assertThat(r.status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    private static void assertSense(final ScsiResult r, final int key, final int asc, final int ascq) {
        assertThat(r.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(r.sense()[2] & 0x0f).isEqualTo(key);
        assertThat(r.sense()[12] & 0xff).isEqualTo(asc);
        assertThat(r.sense()[13] & 0xff).isEqualTo(ascq);
    }

    @Test
    void registerUnregisterAndReregisterFollowTheKeyRules() {
        assertGood(out(pr, A, REGISTER, 0, 0, 0x1111, 0));
        assertThat(keys(pr)).containsExactly(0x1111L);
        assertThat(generation(pr)).isEqualTo(1);
        // Registered: a wrong reservation key conflicts (libiscsi prout_reregister_key_fails).
        assertConflict(out(pr, A, REGISTER, 0, 0, 0x1112, 0));
        // Right key: the key changes.
        assertGood(out(pr, A, REGISTER, 0, 0x1111, 0x2222, 0));
        assertThat(keys(pr)).containsExactly(0x2222L);
        // Unregister.
        assertGood(out(pr, A, REGISTER, 0, 0x2222, 0, 0));
        assertThat(keys(pr)).isEmpty();
        assertThat(generation(pr)).isEqualTo(3);
        // Unregistered with a nonzero reservation key conflicts; SARK 0 is a no-op without a new generation.
        assertConflict(out(pr, A, REGISTER, 0, 0x2222, 0x3333, 0));
        assertGood(out(pr, A, REGISTER, 0, 0, 0, 0));
        assertThat(generation(pr)).isEqualTo(3);
    }

    @Test
    void registerAndIgnoreExistingKeyIgnoresTheReservationKey() {
        assertGood(register(pr, A, 5));
        assertGood(out(pr, A, Pr.REGISTER_AND_IGNORE, 0, 999, 6, 0));
        assertThat(keys(pr)).containsExactly(6L);
        assertGood(out(pr, A, Pr.REGISTER_AND_IGNORE, 0, 999, 0, 0));
        assertThat(keys(pr)).isEmpty();
    }

    @Test
    void registrationsArePerNexusUnlessAllTargetPorts() {
        assertGood(register(pr, A, 7));
        assertConflict(reserve(pr, A2, 7, WE));
        assertGood(out(pr, A2, REGISTER, 0, 0, 8, 0));
        assertThat(keys(pr)).containsExactly(7L, 8L);

        PersistentReservations other = new PersistentReservations("vol2", store, uas);
        assertGood(out(other, A, REGISTER, 0, 0, 9, 0x04));
        assertGood(reserve(other, A2, 9, WE));
        ByteBuffer full = Pr.in(other, A, 3);
        assertThat(full.get(8 + 12) & 0x03).isEqualTo(0x03); // ALL_TG_PT and R_HOLDER
        assertThat(full.getShort(8 + 18)).isZero();
    }

    /** One key per I_T nexus: an all-ports registration may not cover a port the initiator registered through. */
    @Test
    void allTargetPortsRegistrationOverAnExistingOneOfTheInitiatorPortConflicts() {
        assertGood(register(pr, A, 7));
        assertConflict(out(pr, A2, REGISTER, 0, 0, 8, 0x04));
        assertThat(keys(pr)).containsExactly(7L);
        // Through its own port, as a plain registration, it may register: then each nexus has one key.
        assertGood(out(pr, A2, REGISTER, 0, 0, 8, 0));
        assertGood(reserve(pr, A2, 8, WE));
        assertThat(pr.conflicts(A2, Pr.write10())).isFalse();
        assertThat(pr.conflicts(A, Pr.write10())).as("A registrant, Write Exclusive").isTrue();
    }

    /** A change the store could not hold is refused as a lack of registration resources, before saving. */
    @Test
    void aStateLargerThanTheStoreTakesIsRefusedBeforeSaving() {
        MemoryReservationStore small = new MemoryReservationStore() {
            @Override
            public int maxStateBytes() {
                return 400;
            }
        };
        PersistentReservations limited = new PersistentReservations("v", small, uas);
        int registered = 0;
        ScsiResult last = null;
        for (int i = 0; i < 20; i++) {
            last = register(limited, new io.keel.access.scsi.ItNexus("iqn.2026-12.io.keel.test:initiator-" + i,
                    "000000000001", Pr.TARGET, 1), i + 1);
            if (last.status() != 0) {
                break;
            }
            registered++;
        }
        assertThat(registered).isBetween(1, 19);
        assertSense(last, 0x5, 0x55, 0x04);
        assertThat(keys(limited)).hasSize(registered);
        assertThat(small.load("v").length).isLessThanOrEqualTo(400);
    }

    @Test
    void reserveNeedsARegistrationAndTheRightKey() {
        assertConflict(reserve(pr, A, 0, WE));
        assertGood(register(pr, A, 1));
        assertConflict(reserve(pr, A, 2, WE));
        assertGood(reserve(pr, A, 1, WE));
        assertThat(reservation(pr)).containsExactly(1, WE);
        // Again with the same type: GOOD; another type: conflict; another registrant: conflict.
        assertGood(reserve(pr, A, 1, WE));
        assertConflict(reserve(pr, A, 1, EA));
        assertGood(register(pr, B, 2));
        assertConflict(reserve(pr, B, 2, WE));
        // RESERVE does not change the generation.
        assertThat(generation(pr)).isEqualTo(2);
    }

    @Test
    void reserveRefusesBadScopeAndType() {
        assertGood(register(pr, A, 1));
        assertSense(reserve(pr, A, 1, 0x10 | WE), 0x5, 0x24, 0);
        assertSense(reserve(pr, A, 1, 0), 0x5, 0x24, 0);
        assertSense(reserve(pr, A, 1, 2), 0x5, 0x24, 0);
        assertSense(reserve(pr, A, 1, 4), 0x5, 0x24, 0);
        assertThat(reservation(pr)).isNull();
    }

    @ParameterizedTest
    @ValueSource(ints = {WE, EA, WE_RO, EA_RO, WE_AR, EA_AR})
    void everyTypeCanBeReservedAndReleased(final int type) {
        assertGood(register(pr, A, 10));
        assertGood(reserve(pr, A, 10, type));
        boolean allRegistrants = type == WE_AR || type == EA_AR;
        assertThat(reservation(pr)).containsExactly(allRegistrants ? 0 : 10, type);
        // Releasing with another type is refused.
        assertSense(out(pr, A, RELEASE, type == WE ? EA : WE, 10, 0, 0), 0x5, 0x26, 0x04);
        assertGood(out(pr, A, RELEASE, type, 10, 0, 0));
        assertThat(reservation(pr)).isNull();
    }

    @Test
    void releaseByANonHolderIsGoodWithoutEffect() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertConflict(out(pr, C, RELEASE, WE, 3, 0, 0));
        assertGood(out(pr, A, RELEASE, WE, 1, 0, 0)); // nothing reserved
        assertGood(reserve(pr, A, 1, WE));
        assertGood(out(pr, B, RELEASE, WE, 2, 0, 0));
        assertThat(reservation(pr)).containsExactly(1, WE);
        assertConflict(out(pr, A, RELEASE, WE, 2, 0, 0));
        assertThat(reservation(pr)).containsExactly(1, WE);
    }

    @Test
    void releasingARegistrantsTypeTellsTheOtherRegistrants() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertGood(register(pr, C, 3));
        assertGood(reserve(pr, A, 1, WE_RO));
        uas.clear();
        assertGood(out(pr, A, RELEASE, WE_RO, 1, 0, 0));
        assertThat(uas.list()).containsExactly("beta/2a04", "gamma/2a04");
    }

    @Test
    void releasingAHolderOnlyTypeRaisesNothing() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertGood(reserve(pr, A, 1, EA));
        assertGood(out(pr, A, RELEASE, EA, 1, 0, 0));
        assertThat(uas.list()).isEmpty();
    }

    @Test
    void anyRegistrantReleasesAnAllRegistrantsReservation() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertGood(reserve(pr, A, 1, EA_AR));
        assertConflict(reserve(pr, C, 3, EA_AR));
        assertGood(reserve(pr, B, 2, EA_AR));
        assertGood(out(pr, B, RELEASE, EA_AR, 2, 0, 0));
        assertThat(reservation(pr)).isNull();
        assertThat(uas.list()).containsExactly("alpha/2a04");
    }

    @Test
    void unregisteringTheHolderReleasesHolderTypes() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertGood(reserve(pr, A, 1, WE_RO));
        assertGood(out(pr, A, REGISTER, 0, 1, 0, 0));
        assertThat(reservation(pr)).isNull();
        assertThat(uas.list()).containsExactly("beta/2a04");

        uas.clear();
        assertGood(register(pr, A, 1));
        assertGood(reserve(pr, A, 1, EA));
        assertGood(out(pr, A, REGISTER, 0, 1, 0, 0));
        assertThat(reservation(pr)).isNull();
        assertThat(uas.list()).isEmpty();
    }

    @Test
    void allRegistrantsReservationLastsUntilTheLastRegistrantLeaves() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertGood(reserve(pr, A, 1, WE_AR));
        assertGood(out(pr, A, REGISTER, 0, 1, 0, 0));
        assertThat(reservation(pr)).containsExactly(0, WE_AR);
        assertGood(out(pr, B, REGISTER, 0, 2, 0, 0));
        assertThat(reservation(pr)).isNull();
    }

    @Test
    void changingTheHoldersKeyKeepsTheReservation() {
        assertGood(register(pr, A, 1));
        assertGood(reserve(pr, A, 1, EA));
        assertGood(out(pr, A, REGISTER, 0, 1, 5, 0));
        assertThat(reservation(pr)).containsExactly(5, EA);
    }

    @Test
    void clearRemovesEverythingAndTellsTheOthers() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertGood(reserve(pr, A, 1, EA));
        int gen = generation(pr);
        assertConflict(out(pr, C, CLEAR, 0, 1, 0, 0));
        assertConflict(out(pr, B, CLEAR, 0, 1, 0, 0));
        assertGood(out(pr, B, CLEAR, 0, 2, 0, 0));
        assertThat(keys(pr)).isEmpty();
        assertThat(reservation(pr)).isNull();
        assertThat(generation(pr)).isEqualTo(gen + 1);
        assertThat(uas.list()).containsExactly("alpha/2a03");
    }

    @Test
    void preemptWithoutReservationRemovesRegistrations() {
        // libiscsi ProutPreempt.RemoveRegistration.
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        int gen = generation(pr);
        assertGood(out(pr, B, PREEMPT, EA, 2, 1, 0));
        assertThat(keys(pr)).containsExactly(2L);
        assertThat(generation(pr)).isEqualTo(gen + 1);
        assertThat(reservation(pr)).isNull();
        assertThat(uas.list()).containsExactly("alpha/2a05");
        // Nothing registered under the key: conflict; SARK 0 without a reservation: invalid field.
        assertConflict(out(pr, B, PREEMPT, EA, 2, 77, 0));
        assertSense(out(pr, B, PREEMPT, EA, 2, 0, 0), 0x5, 0x26, 0);
        assertConflict(out(pr, C, PREEMPT, EA, 3, 2, 0));
    }

    @Test
    void preemptingTheHolderTakesTheReservation() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertGood(register(pr, C, 3));
        assertGood(reserve(pr, A, 1, WE));
        uas.clear();
        ScsiResult preempted = out(pr, B, PREEMPT_AND_ABORT, EA, 2, 1, 0);
        assertGood(preempted);
        // The transport is to abort the tasks of A, the preempted nexus, before it answers; not B's or C's.
        assertThat(preempted.abortTasksOf()).isNotNull();
        assertThat(preempted.abortTasksOf().test(A)).isTrue();
        assertThat(preempted.abortTasksOf().test(B)).isFalse();
        assertThat(preempted.abortTasksOf().test(C)).isFalse();
        assertThat(reservation(pr)).containsExactly(2, EA);
        assertThat(keys(pr)).containsExactly(2L, 3L);
        // A lost its registration; the type changed, so C is told the reservation went.
        assertThat(uas.list()).containsExactly("alpha/2a05", "gamma/2a04");
        assertSense(out(pr, C, PREEMPT, 9, 3, 2, 0), 0x5, 0x24, 0);
    }

    @Test
    void preemptingANonHolderKeyLeavesTheReservation() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertGood(register(pr, C, 3));
        assertGood(reserve(pr, A, 1, WE));
        ScsiResult preempted = out(pr, B, PREEMPT, WE, 2, 3, 0);
        assertGood(preempted);
        assertThat(preempted.abortTasksOf()).as("PREEMPT leaves the preempted tasks running").isNull();
        assertThat(reservation(pr)).containsExactly(1, WE);
        assertThat(keys(pr)).containsExactly(1L, 2L);
    }

    @Test
    void preemptAndAbortOfANonHolderKeyAbortsTheTasksOfItsNexusOnly() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertGood(register(pr, C, 3));
        assertGood(reserve(pr, A, 1, WE));
        ScsiResult aborted = out(pr, B, PREEMPT_AND_ABORT, WE, 2, 3, 0);
        assertGood(aborted);
        assertThat(reservation(pr)).containsExactly(1, WE);
        assertThat(aborted.abortTasksOf().test(C)).isTrue();
        assertThat(aborted.abortTasksOf().test(A)).isFalse();
        assertThat(aborted.abortTasksOf().test(B)).isFalse();
    }

    @Test
    void holderCanPreemptItselfToChangeType() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 1));
        assertGood(reserve(pr, A, 1, WE));
        assertGood(out(pr, A, PREEMPT, EA, 1, 1, 0));
        assertThat(reservation(pr)).containsExactly(1, EA);
        assertThat(keys(pr)).containsExactly(1L);
    }

    @Test
    void preemptAllRegistrantsWithZeroKeyTakesEverything() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertGood(register(pr, C, 3));
        assertGood(reserve(pr, A, 1, WE_AR));
        uas.clear();
        assertGood(out(pr, B, PREEMPT, EA, 2, 0, 0));
        assertThat(keys(pr)).containsExactly(2L);
        assertThat(reservation(pr)).containsExactly(2, EA);
        assertThat(uas.list()).containsExactly("alpha/2a05", "gamma/2a05");
    }

    @Test
    void preemptAllRegistrantsWithAKeyOnlyRemovesThatKey() {
        assertGood(register(pr, A, 1));
        assertGood(register(pr, B, 2));
        assertGood(reserve(pr, A, 1, WE_AR));
        assertGood(out(pr, B, PREEMPT, WE_AR, 2, 1, 0));
        assertThat(keys(pr)).containsExactly(2L);
        assertThat(reservation(pr)).containsExactly(0, WE_AR);
    }

    @Test
    void aptplIsRecordedAndReported() {
        assertGood(out(pr, A, REGISTER, 0, 0, 1, 0x01));
        assertThat(Pr.in(pr, A, 2).get(3) & 0x01).isEqualTo(1);
        assertGood(out(pr, A, REGISTER, 0, 1, 2, 0));
        assertThat(Pr.in(pr, A, 2).get(3) & 0x01).isZero();
        assertGood(out(pr, A, REGISTER, 0, 2, 3, 0x01));
        PersistentReservations reloaded = new PersistentReservations("vol1", store, uas);
        assertThat(Pr.in(reloaded, A, 2).get(3) & 0x01).isEqualTo(1);
    }

    @Test
    void specIPtIsRefusedAsUnsupported() {
        assertSense(out(pr, A, REGISTER, 0, 0, 1, 0x08), 0x5, 0x26, 0);
        assertThat(keys(pr)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6})
    void parameterListLengthMustBe24(final int sa) {
        for (int len : new int[] {0, 8, 23, 25, 32}) {
            ByteBuffer p = ByteBuffer.allocate(32);
            p.putLong(0, 1).putLong(8, 1);
            assertSense(pr.persistentReserveOut(A, Pr.outCdb(sa, WE, len), p), 0x5, 0x1A, 0);
        }
        // Declared 24 but fewer bytes arrived.
        assertSense(pr.persistentReserveOut(A, Pr.outCdb(sa, WE, 24), ByteBuffer.allocate(10)), 0x5, 0x1A, 0);
        assertSense(pr.persistentReserveOut(A, Pr.outCdb(sa, WE, 24), null), 0x5, 0x1A, 0);
    }

    @Test
    void unknownServiceActionIsAnInvalidField() {
        for (int sa = 8; sa < 32; sa++) {
            assertSense(out(pr, A, sa, 0, 0, 1, 0), 0x5, 0x24, 0);
        }
    }

    @Test
    void theCallersParameterBufferIsNotConsumed() {
        ByteBuffer p = Pr.params(0, 1, 0);
        assertGood(pr.persistentReserveOut(A, Pr.outCdb(REGISTER, 0, 24), p));
        assertThat(p.position()).isZero();
    }

    @Test
    void tooManyRegistrationsAreRefused() {
        for (int i = 0; i < PersistentReservations.MAX_REGISTRATIONS; i++) {
            assertGood(register(pr, new io.keel.access.scsi.ItNexus("iqn.x:" + i, "000000000001", Pr.TARGET, 1),
                    i + 1));
        }
        assertSense(register(pr, A, 5), 0x5, 0x55, 0x04);
    }

    @Test
    void allTargetPortsRegistrationGetsItsAttentionsThroughEveryTargetPort() {
        assertGood(out(pr, A2, REGISTER, 0, 0, 1, 0x04));
        assertGood(register(pr, B, 2));
        assertGood(out(pr, B, PREEMPT, WE, 2, 1, 0));
        assertThat(uas.nexuses).containsExactly(A2);
        assertThat(uas.initiatorPorts).as("for every nexus of A2's initiator port").containsExactly(A2);
        assertThat(pr.conflicts(A, Pr.write10())).isFalse();
    }

    @Test
    void malformedNexusIsAnInternalFailureNotAnException() {
        io.keel.access.scsi.ItNexus bad = new io.keel.access.scsi.ItNexus("iqn.x", "not-hex", Pr.TARGET, 1);
        assertSense(register(pr, bad, 1), 0x4, 0x44, 0);
        assertThat(keys(pr)).isEmpty();
    }
}
