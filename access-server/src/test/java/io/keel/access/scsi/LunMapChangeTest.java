package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.reservation.PersistentReservations;
import io.keel.access.scsi.reservation.SharedReservations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * A target's LUN map changing under logged-in nexuses, and one volume exported by two targets:
 * units that keep their volume keep their state, the change is reported as REPORTED LUNS DATA HAS
 * CHANGED, and reservations made through any unit of a volume hold through all of them.
 */
class LunMapChangeTest extends ScsiFixture {

    private static final byte[] TUR = cdb(0, 0, 0, 0, 0, 0);
    private static final byte[] RESERVE_6 = cdb(0x16, 0, 0, 0, 0, 0);
    private static final byte[] READ_10 = cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0);
    private static final byte[] REPORT_LUNS = cdb(0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0);

    private final Store store = new Store();
    private final SharedReservations thinShared = shared(thin);
    private final SharedReservations fullShared = shared(full);
    private final java.util.Map<MemoryBackend, ModePages> modes = java.util.Map.of(thin, new ModePages(),
            full, new ModePages());
    private final BlockTarget changing = new BlockTarget(List.of(spec(THIN, thin, thinShared)),
            TargetOptions.defaults());

    @Test
    void aMappedLunIsReportedToLoggedInNexusesAndTheKeptUnitKeepsItsReservation() {
        settle(changing, A, THIN);
        settle(changing, B, THIN);
        good(on(changing, A, THIN, RESERVE_6));

        assertThat(changing.update(List.of(spec(THIN, thin, thinShared), spec(FULL, full, fullShared)))).isTrue();

        check(on(changing, A, THIN, TUR), Sense.UNIT_ATTENTION, 0x3f, 0x0e);
        good(on(changing, A, THIN, TUR));
        check(on(changing, B, THIN, TUR), Sense.UNIT_ATTENTION, 0x3f, 0x0e);
        assertThat(on(changing, B, THIN, READ_10).status()).as("A's RESERVE(6) still holds")
                .isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(luns(on(changing, A, THIN, REPORT_LUNS))).containsExactly(THIN, FULL);
        check(on(changing, A, FULL, TUR), Sense.UNIT_ATTENTION, 0x29, 0x00);
        check(on(changing, A, FULL, TUR), Sense.UNIT_ATTENTION, 0x3f, 0x0e);
        good(on(changing, A, FULL, TUR));
        assertThat(thinShared.attachedUnits()).isEqualTo(1);
    }

    @Test
    void anUnmappedLunIsRefusedAndItsUnitLeavesTheVolumesReservations() {
        changing.update(List.of(spec(THIN, thin, thinShared), spec(FULL, full, fullShared)));
        settle(changing, A, FULL);

        assertThat(changing.update(List.of(spec(FULL, full, fullShared)))).isTrue();

        check(on(changing, A, THIN, TUR), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
        check(on(changing, A, FULL, TUR), Sense.UNIT_ATTENTION, 0x3f, 0x0e);
        assertThat(luns(on(changing, A, FULL, REPORT_LUNS))).containsExactly(FULL);
        assertThat(thinShared.attachedUnits()).isZero();
        assertThat(fullShared.attachedUnits()).isEqualTo(1);
    }

    @Test
    void aLunMappedToAnotherVolumeIsANewUnit() {
        settle(changing, A, THIN);
        changing.update(List.of(spec(THIN, full, fullShared)));

        check(on(changing, A, THIN, TUR), Sense.UNIT_ATTENTION, 0x29, 0x00);
        check(on(changing, A, THIN, TUR), Sense.UNIT_ATTENTION, 0x3f, 0x0e); // no unit was kept to say it
        byte[] capacity = data(on(changing, A, THIN, cdb(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
        assertThat(ByteBuffer.wrap(capacity).getInt(0) + 1L).isEqualTo(full.sizeBytes() / 512);
        assertThat(thinShared.attachedUnits()).isZero();
    }

    @Test
    void anSpc2ReservationHeldThroughAnUnmappedLunIsReleased() {
        BlockTarget other = secondTargetOfThin();
        good(on(changing, A, THIN, RESERVE_6));
        assertThat(on(other, B, 7, READ_10).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);

        changing.update(List.of());

        good(on(other, B, 7, READ_10));
    }

    @Test
    void aRetiredTargetHasNoLunsAndSaysSo() {
        settle(changing, A, THIN);
        Object token = changing.unitToken(THIN);
        assertThat(token).isNotNull();
        changing.update(List.of(spec(THIN, thin, thinShared), spec(FULL, full, fullShared)));
        assertThat(changing.unitToken(THIN)).as("a kept unit keeps its token").isSameAs(token);
        assertThat(changing.retired()).isFalse();

        changing.retire();

        assertThat(changing.retired()).isTrue();
        assertThat(changing.unitToken(THIN)).isNull();
        check(on(changing, A, THIN, TUR), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
        assertThat(thinShared.attachedUnits()).isZero();
        assertThat(fullShared.attachedUnits()).isZero();
    }

    @Test
    void theSameMapChangesNothing() {
        settle(changing, A, THIN);
        assertThat(changing.update(List.of(spec(THIN, thin, thinShared)))).isFalse();
        good(on(changing, A, THIN, TUR));
        assertThat(thinShared.attachedUnits()).isEqualTo(1);
    }

    @Test
    void aVolumeInTwoTargetsHasOneSetOfReservations() {
        BlockTarget other = secondTargetOfThin();
        good(on(changing, A, THIN, RESERVE_6));
        assertThat(on(other, B, 7, READ_10).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);

        // A persistent reservation preempted through one target is reported on the other.
        changing.logicalUnitReset(A, THIN);
        settle(changing, A, THIN);
        settle(other, B, 7);
        good(on(changing, A, THIN, registerCdb(), key(0, 0xA)));
        good(on(other, B, 7, registerCdb(), key(0, 0xB)));
        good(on(changing, A, THIN, cdb(0x5f, 1, 1, 0, 0, 0, 0, 0, 24, 0), key(0xA, 0)));
        good(on(other, B, 7, cdb(0x5f, 4, 1, 0, 0, 0, 0, 0, 24, 0), key(0xB, 0xA)));
        check(on(changing, A, THIN, TUR), Sense.UNIT_ATTENTION, 0x2a, 0x05); // REGISTRATIONS PREEMPTED
        assertThat(thinShared.attachedUnits()).isEqualTo(2);
    }

    @Test
    void anAllTargetPortsRegistrationIsToldOfItsPreemptionThroughEveryTargetPort() {
        BlockTarget other = secondTargetOfThin();
        ItNexus aThroughOther = new ItNexus(A.initiatorName(), A.isid(), "iqn.2026-01.io.keel:other", 1);
        ItNexus aOtherSession = new ItNexus(A.initiatorName(), "400000000009", A.targetName(), 1);
        settle(other, aThroughOther, 7);
        settle(changing, aOtherSession, THIN);
        byte[] allTargetPorts = key(0, 0xA);
        allTargetPorts[20] = 0x04; // ALL_TG_PT
        good(on(changing, A, THIN, registerCdb(), allTargetPorts));
        good(on(other, B, 7, registerCdb(), key(0, 0xB)));

        good(on(other, B, 7, cdb(0x5f, 4, 1, 0, 0, 0, 0, 0, 24, 0), key(0xB, 0xA))); // PREEMPT A's key

        check(on(changing, A, THIN, TUR), Sense.UNIT_ATTENTION, 0x2a, 0x05); // REGISTRATIONS PREEMPTED
        check(on(other, aThroughOther, 7, TUR), Sense.UNIT_ATTENTION, 0x2a, 0x05);
        good(on(changing, aOtherSession, THIN, TUR)); // another initiator port (ISID) of the same host
        good(on(other, B, 7, TUR));
    }

    @Test
    void aClearThroughOnePortIsReportedOnTheIssuersOtherPortsOfAnAllTargetPortsRegistration() {
        BlockTarget other = secondTargetOfThin();
        ItNexus aThroughOther = new ItNexus(A.initiatorName(), A.isid(), "iqn.2026-01.io.keel:other", 1);
        settle(other, aThroughOther, 7);
        byte[] allTargetPorts = key(0, 0xA);
        allTargetPorts[20] = 0x04; // ALL_TG_PT
        good(on(changing, A, THIN, registerCdb(), allTargetPorts));
        good(on(other, B, 7, registerCdb(), key(0, 0xB)));

        good(on(changing, A, THIN, cdb(0x5f, 3, 0, 0, 0, 0, 0, 0, 24, 0), key(0xA, 0))); // CLEAR

        good(on(changing, A, THIN, TUR)); // not the nexus the CLEAR came through
        check(on(other, aThroughOther, 7, TUR), Sense.UNIT_ATTENTION, 0x2a, 0x03); // RESERVATIONS PREEMPTED
        check(on(other, B, 7, TUR), Sense.UNIT_ATTENTION, 0x2a, 0x03);
    }

    @Test
    void aVolumeInTwoTargetsHasOneSetOfModePages() {
        BlockTarget other = secondTargetOfThin();
        byte[] control = java.util.Arrays.copyOfRange(data(on(changing, A, THIN, cdb(0x1a, 0x08, 0x0a, 0, 255, 0))),
                0, 16);
        control[0] = 0;
        control[8] |= 0x08; // SWP
        good(on(changing, A, THIN, cdb(0x15, 0x10, 0, 0, 16, 0), control));

        byte[] write = cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0);
        check(on(other, B, 7, TUR), Sense.UNIT_ATTENTION, 0x2a, 0x01); // MODE PARAMETERS CHANGED
        check(on(other, B, 7, write, new byte[512]), Sense.DATA_PROTECT, 0x27, 0x02);
        assertThat(data(on(other, B, 7, cdb(0x1a, 0x08, 0x0a, 0, 255, 0)))[2] & 0x80).as("WP").isEqualTo(0x80);
        good(on(changing, A, THIN, TUR)); // the nexus that changed them is not told

        changing.logicalUnitReset(A, THIN); // the pages go back to their defaults for every path
        settle(other, B, 7);
        good(on(other, B, 7, write, new byte[512]));
    }

    @Test
    void aResetThroughOneTargetIsReportedOnTheOthers() {
        BlockTarget other = secondTargetOfThin();
        good(on(other, B, 7, RESERVE_6));

        changing.logicalUnitReset(A, THIN);

        check(on(other, B, 7, TUR), Sense.UNIT_ATTENTION, 0x29, 0x03);
        good(on(other, B, 7, TUR));
        check(on(changing, A, THIN, TUR), Sense.UNIT_ATTENTION, 0x29, 0x03);
        good(on(changing, A, THIN, TUR)); // one condition, not one per path
        good(on(changing, A, THIN, READ_10)); // B's RESERVE(6) went with the reset
    }

    @Test
    void ioOnAKeptLunGoesOnWhileOtherLunsComeAndGo() throws InterruptedException {
        int writers = 4;
        int writesEach = 300;
        List<Integer> unexpected = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            ItNexus nexus = new ItNexus("iqn.2026-01.test:w" + w, "40000000010" + w, "iqn.2026-01.io.keel:t", 1);
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < writesEach; i++) {
                    int lba = writer * writesEach + i;
                    byte[] block = pattern(512, lba);
                    byte[] write = cdb(0x2a, 0, 0, lba >>> 16 & 0xff, lba >>> 8 & 0xff, lba & 0xff, 0, 0, 1, 0);
                    byte[] read = write.clone();
                    read[0] = 0x28;
                    if (!untilGood(nexus, write, block, unexpected)
                            || !untilGood(nexus, read, null, unexpected)) {
                        return;
                    }
                    ScsiResult r = on(changing, nexus, THIN, read);
                    if (r.status() == ScsiStatus.GOOD && !Arrays.equals(data(r), block)) {
                        unexpected.add(-lba);
                    }
                }
            }));
        }
        for (int change = 0; change < 100_000 && threads.stream().anyMatch(Thread::isAlive); change++) {
            changing.update(change % 2 == 0 ? List.of(spec(THIN, thin, thinShared), spec(FULL, full, fullShared))
                    : List.of(spec(THIN, thin, thinShared)));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(unexpected).as("statuses other than GOOD and the change's unit attentions, or wrong data")
                .isEmpty();
        assertThat(thinShared.attachedUnits()).isEqualTo(1);
        assertThat(fullShared.attachedUnits()).isLessThanOrEqualTo(1);
    }

    /** Runs {@code cdb} on LUN 0 until GOOD, taking the unit attentions a changing map may raise. */
    private boolean untilGood(final ItNexus nexus, final byte[] cdb, final byte[] dataOut,
            final List<Integer> unexpected) {
        for (int attempt = 0; attempt < 50; attempt++) {
            ScsiResult r = on(changing, nexus, THIN, cdb, dataOut);
            if (r.status() == ScsiStatus.GOOD) {
                return true;
            }
            Key k = r.status() == ScsiStatus.CHECK_CONDITION ? key(r.sense()) : null;
            boolean attention = k != null && k.key() == Sense.UNIT_ATTENTION
                    && (k.asc() == 0x29 && k.ascq() == 0 || k.asc() == 0x3f && k.ascq() == 0x0e);
            if (!attention) {
                unexpected.add(r.status());
                return false;
            }
        }
        unexpected.add(-1);
        return false;
    }

    /** A second target exporting the thin volume as LUN 7; A (through the first) and B (through it) settled. */
    private BlockTarget secondTargetOfThin() {
        BlockTarget other = new BlockTarget(List.of(spec(7, thin, thinShared)), TargetOptions.defaults());
        settle(changing, A, THIN);
        settle(other, B, 7);
        return other;
    }

    private static byte[] registerCdb() {
        return cdb(0x5f, 0, 0, 0, 0, 0, 0, 0, 24, 0);
    }

    private static byte[] key(final long reservationKey, final long serviceActionKey) {
        return ByteBuffer.allocate(24).putLong(0, reservationKey).putLong(8, serviceActionKey).array();
    }

    private SharedReservations shared(final MemoryBackend volume) {
        return new SharedReservations(sink -> new PersistentReservations(volume.volumeId(), store, sink));
    }

    /** A LUN of {@code volume}, sharing the volume's reservations and mode pages, as the node builds it. */
    private LunSpec spec(final int lun, final MemoryBackend volume, final SharedReservations reservations) {
        return new LunSpec(lun, volume, reservations::attach, false, modes.get(volume));
    }

    private static ScsiResult on(final BlockTarget t, final ItNexus n, final int lun, final byte[] cdb) {
        return on(t, n, lun, cdb, null);
    }

    private static ScsiResult on(final BlockTarget t, final ItNexus n, final int lun, final byte[] cdb,
            final byte[] dataOut) {
        return t.execute(new ScsiCommand(n, lun, cdb, TaskAttribute.SIMPLE, 1, dataOut == null ? 0 : dataOut.length,
                dataOut == null ? null : ByteBuffer.wrap(dataOut)));
    }

    private static void settle(final BlockTarget t, final ItNexus n, final int lun) {
        for (int i = 0; i < 20; i++) {
            if (on(t, n, lun, TUR).status() == ScsiStatus.GOOD) {
                return;
            }
        }
        throw new AssertionError("unit attentions do not clear");
    }

    private static List<Integer> luns(final ScsiResult reportLuns) {
        ByteBuffer b = ByteBuffer.wrap(data(reportLuns));
        int count = b.getInt(0) / 8;
        Integer[] luns = new Integer[count];
        for (int i = 0; i < count; i++) {
            int first = b.get(8 + 8 * i) & 0xff;
            luns[i] = (first & 0x3f) << 8 | b.get(9 + 8 * i) & 0xff;
        }
        return List.of(luns);
    }

    /** Reservations kept in memory, per volume. */
    private static final class Store implements ReservationStore {
        private final Map<String, byte[]> saved = new ConcurrentHashMap<>();

        @Override
        public byte[] load(final String volumeId) {
            return saved.getOrDefault(volumeId, new byte[0]);
        }

        @Override
        public void save(final String volumeId, final byte[] state) throws IOException {
            saved.put(volumeId, state.clone());
        }
    }
}
