package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CdbFuzzTest extends ScsiFixture {

    private static final int[] OPCODES = {0x00, 0x03, 0x08, 0x0a, 0x12, 0x15, 0x16, 0x17, 0x1a, 0x1b, 0x25, 0x28,
        0x2a, 0x2e, 0x2f, 0x34, 0x35, 0x37, 0x41, 0x42, 0x48, 0x55, 0x56, 0x57, 0x5a, 0x5e, 0x5f, 0x83, 0x84, 0x88,
        0x89, 0x8a, 0x8b, 0x8e, 0x8f, 0x90, 0x91, 0x93, 0x9c, 0x9e, 0xa0, 0xa3, 0xa8, 0xaa, 0xae, 0xaf, 0xb7};

    @Test
    void randomCdbsAlwaysEndInAWellFormedResult() {
        SplittableRandom random = new SplittableRandom(20261205);
        int goods = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] cdb = new byte[random.nextInt(1, 17)];
            random.nextBytes(cdb);
            if (random.nextBoolean()) {
                cdb[0] = (byte) OPCODES[random.nextInt(OPCODES.length)];
                for (int k = 1; k < cdb.length; k++) {
                    if (random.nextInt(3) == 0) {
                        cdb[k] = 0;
                    }
                }
            }
            byte[] dataOut = null;
            if (random.nextBoolean()) {
                dataOut = new byte[random.nextInt(0, 4096)];
                random.nextBytes(dataOut);
            }
            int lun = random.nextInt(4) == 0 ? random.nextInt(16384) : random.nextBoolean() ? THIN : FULL;
            ScsiResult r = run(random.nextBoolean() ? A : B, lun, cdb, dataOut);
            assertThat(r.status()).isIn(ScsiStatus.GOOD, ScsiStatus.CHECK_CONDITION);
            if (r.status() == ScsiStatus.CHECK_CONDITION) {
                assertThat(r.sense()).isNotNull();
                assertThat(r.sense().length).isGreaterThanOrEqualTo(8);
                assertThat(key(r.sense()).asc()).as("%s", key(r.sense())).isNotEqualTo(0x44);
            } else {
                assertThat(r.sense()).isNull();
                goods++;
            }
        }
        assertThat(goods).isGreaterThan(100);
    }

    @Test
    void everyBitOutsideTheReportedUsageMapIsRejectedAtItsByte() {
        settle(A, THIN);
        byte[] all = data(run(THIN, 0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0));
        for (int p = 4; p < all.length; p += 8) {
            int opcode = all[p] & 0xff;
            boolean hasSa = (all[p + 5] & 1) != 0;
            int sa = Bytes.u16(all, p + 2);
            byte[] one = data(run(THIN, 0xa3, 0x0c, hasSa ? 2 : 1, opcode, sa >> 8, sa, 0, 0, 1, 0, 0, 0));
            int length = Bytes.u16(one, 2);
            assertThat(one[4] & 0xff).isEqualTo(opcode);
            for (int i = 1; i < length; i++) {
                int usage = one[4 + i] & 0xff;
                if (i == 1 && hasSa) {
                    usage |= 0x1f;
                }
                for (int bit = 0; bit < 8; bit++) {
                    if ((usage & (1 << bit)) != 0) {
                        continue;
                    }
                    byte[] cdb = new byte[length];
                    cdb[0] = (byte) opcode;
                    cdb[1] = (byte) (hasSa ? sa : 0);
                    cdb[i] |= (byte) (1 << bit);
                    ScsiResult r = run(THIN, cdb, null);
                    assertThat(r.status()).as("opcode %02x byte %d bit %d", opcode, i, bit)
                            .isEqualTo(ScsiStatus.CHECK_CONDITION);
                    assertThat(key(r.sense())).isEqualTo(new Key(Sense.ILLEGAL_REQUEST, 0x24, 0));
                    assertThat(Bytes.u16(r.sense(), 16)).isEqualTo(i);
                    assertThat(r.sense()[15] & 0x0f).isEqualTo(0x08 | bit);
                }
            }
        }
    }
}
