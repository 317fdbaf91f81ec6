package io.keel.access.scsi.reservation;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.ItNexus;
import io.keel.access.scsi.ScsiResult;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FuzzTest {

    private static final ItNexus[] NEXUSES = {Pr.A, Pr.B, Pr.C, Pr.A2};

    @Test
    void randomCommandsNeverThrowAndStateAlwaysReloads() {
        Random rnd = new Random(42);
        MemoryReservationStore store = new MemoryReservationStore();
        PersistentReservations pr = new PersistentReservations("f", store, new Pr.Attentions());
        for (int i = 0; i < 50_000; i++) {
            ItNexus n = NEXUSES[rnd.nextInt(NEXUSES.length)];
            byte[] cdb = new byte[rnd.nextInt(4) == 0 ? rnd.nextInt(20) : 10];
            rnd.nextBytes(cdb);
            if (cdb.length > 0 && rnd.nextBoolean()) {
                cdb[0] = (byte) (rnd.nextBoolean() ? 0x5F : 0x5E);
                if (cdb.length > 2) {
                    cdb[1] = (byte) rnd.nextInt(9);
                    cdb[2] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt(256) : rnd.nextInt(9));
                }
                if (cdb.length >= 10 && rnd.nextInt(4) != 0) {
                    ByteBuffer.wrap(cdb).putInt(5, rnd.nextBoolean() ? 24 : rnd.nextInt(64));
                }
            }
            ByteBuffer params = randomParams(rnd);
            ScsiResult r = switch (rnd.nextInt(20)) {
                case 0, 1, 2 -> pr.persistentReserveIn(n, cdb);
                case 3 -> pr.reserve(n, cdb);
                case 4, 5 -> pr.release(n, cdb);
                case 6, 7, 8 -> {
                    pr.conflicts(n, cdb);
                    yield ScsiResult.good();
                }
                default -> pr.persistentReserveOut(n, cdb, params);
            };
            assertThat(r).isNotNull();
            if (rnd.nextInt(200) == 0) {
                pr.logicalUnitReset();
            }
            if (rnd.nextInt(500) == 0) {
                // SPC-2 reservations are not stored (and make PR IN conflict): drop them before comparing.
                pr.logicalUnitReset();
                PersistentReservations reloaded = new PersistentReservations("f", store, new Pr.Attentions());
                assertThat(reloaded.persistentReserveIn(Pr.A, Pr.inCdb(3)).dataIn())
                        .isEqualTo(pr.persistentReserveIn(Pr.A, Pr.inCdb(3)).dataIn());
                pr = reloaded;
            }
        }
        assertThat(store.saves).as("the fuzz reaches state changes").isGreaterThan(200);
    }

    private static ByteBuffer randomParams(final Random rnd) {
        if (rnd.nextInt(20) == 0) {
            return null;
        }
        int len = rnd.nextInt(3) == 0 ? rnd.nextInt(80) : 24;
        ByteBuffer b = ByteBuffer.allocate(len);
        rnd.nextBytes(b.array());
        if (len >= 24 && rnd.nextBoolean()) {
            // Small keys so that keys match often.
            b.putLong(0, rnd.nextInt(4)).putLong(8, rnd.nextInt(4));
            b.put(20, (byte) (rnd.nextInt(8) == 0 ? rnd.nextInt(256) : rnd.nextInt(2) * 5));
        }
        if (len >= 28 && rnd.nextBoolean()) {
            byte[] id = PersistentReservations.transportId(NEXUSES[rnd.nextInt(NEXUSES.length)].initiatorPortName());
            ByteBuffer m = ByteBuffer.allocate(24 + id.length);
            m.put(b.array(), 0, 18).putShort((short) rnd.nextInt(3)).putInt(id.length).put(id);
            return m.clear();
        }
        return b;
    }

    @Test
    void randomStoredBytesAreEitherReadOrRefused() {
        Random rnd = new Random(7);
        MemoryReservationStore store = new MemoryReservationStore();
        byte[] header = {0x4B, 0x50, 0x52, 0x53, 0, 1};
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = new byte[rnd.nextInt(120)];
            rnd.nextBytes(bytes);
            if (rnd.nextBoolean()) {
                System.arraycopy(header, 0, bytes, 0, Math.min(header.length, bytes.length));
            }
            store.put("r", bytes);
            try {
                new PersistentReservations("r", store, new Pr.Attentions());
            } catch (ReservationStateException expected) {
                assertThat(expected).hasMessageContaining("volume r");
            }
        }
    }
}
