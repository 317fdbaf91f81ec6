package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;

/** A target with a thin LUN 0 (16 MiB) and a fully provisioned LUN 300 (4 MiB), and helpers to talk to it. */
class ScsiFixture {

    static final ItNexus A = new ItNexus("iqn.2026-01.test:a", "400000000001", "iqn.2026-01.io.keel:t", 1);
    static final ItNexus B = new ItNexus("iqn.2026-01.test:b", "400000000002", "iqn.2026-01.io.keel:t", 1);
    static final int THIN = 0;
    static final int FULL = 300;

    final MemoryBackend thin = new MemoryBackend("vol-thin-0001", 16 << 20, true);
    final MemoryBackend full = new MemoryBackend("vol-full-0002", 4 << 20, false);
    FakeReservations thinReservations;
    final BlockTarget target = new BlockTarget(List.of(
            new LunSpec(THIN, thin, sink -> thinReservations = new FakeReservations(sink)),
            new LunSpec(FULL, full, FakeReservations::new)), TargetOptions.defaults());

    /** Sense key, ASC and ASCQ of a result, parsed from fixed or descriptor format. */
    record Key(int key, int asc, int ascq) {
    }

    static byte[] cdb(final int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return b;
    }

    ScsiResult run(final ItNexus n, final int lun, final byte[] cdb, final byte[] dataOut) {
        ByteBuffer d = dataOut == null ? null : ByteBuffer.wrap(dataOut);
        ScsiResult r = target.execute(new ScsiCommand(n, lun, cdb, TaskAttribute.SIMPLE, 1,
                dataOut == null ? 0 : dataOut.length, d));
        assertThat(r).isNotNull();
        return r;
    }

    ScsiResult run(final int lun, final byte[] cdb, final byte[] dataOut) {
        return run(A, lun, cdb, dataOut);
    }

    ScsiResult run(final int lun, final int... cdb) {
        return run(A, lun, cdb(cdb), null);
    }

    /** Sends TEST UNIT READY until no unit attention is left for {@code n} on {@code lun}. */
    void settle(final ItNexus n, final int lun) {
        for (int i = 0; i < 20; i++) {
            if (run(n, lun, cdb(0, 0, 0, 0, 0, 0), null).status() == ScsiStatus.GOOD) {
                return;
            }
        }
        throw new AssertionError("unit attentions do not clear");
    }

    static byte[] data(final ScsiResult r) {
        assertThat(r.status()).as("status").isEqualTo(ScsiStatus.GOOD);
        if (r.dataIn() == null) {
            return new byte[0];
        }
        byte[] b = new byte[r.dataIn().remaining()];
        r.dataIn().duplicate().get(b);
        return b;
    }

    static void good(final ScsiResult r) {
        assertThat(r.status()).as("status, sense %s", r.sense() == null ? null : key(r.sense()))
                .isEqualTo(ScsiStatus.GOOD);
    }

    static Key key(final byte[] sense) {
        if ((sense[0] & 0x7f) >= 0x72) {
            return new Key(sense[1] & 0x0f, sense[2] & 0xff, sense[3] & 0xff);
        }
        return new Key(sense[2] & 0x0f, sense[12] & 0xff, sense[13] & 0xff);
    }

    static void check(final ScsiResult r, final int key, final int asc, final int ascq) {
        assertThat(r.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(key(r.sense())).isEqualTo(new Key(key, asc, ascq));
    }

    /** CHECK CONDITION / INVALID FIELD IN CDB with the field pointer at {@code byteIndex}. */
    static void invalidField(final ScsiResult r, final int byteIndex) {
        check(r, Sense.ILLEGAL_REQUEST, 0x24, 0);
        byte[] s = r.sense();
        assertThat(s[15] & 0xc0).isEqualTo(0xc0);
        assertThat(((s[16] & 0xff) << 8) | (s[17] & 0xff)).isEqualTo(byteIndex);
    }

    static long information(final byte[] sense) {
        assertThat(sense[0] & 0x80).as("VALID").isEqualTo(0x80);
        return ((sense[3] & 0xffL) << 24) | ((sense[4] & 0xff) << 16) | ((sense[5] & 0xff) << 8) | (sense[6] & 0xff);
    }

    static byte[] pattern(final int length, final int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }
}
