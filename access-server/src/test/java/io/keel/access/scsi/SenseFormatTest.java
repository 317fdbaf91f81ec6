package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SenseFormatTest extends ScsiFixture {

    @BeforeEach
    void descriptorSense() {
        settle(A, THIN);
        byte[] control = Arrays.copyOfRange(data(run(THIN, 0x1a, 0x08, 0x0a, 0, 255, 0)), 0, 16);
        control[0] = 0;
        control[6] |= 0x04;
        good(run(THIN, cdb(0x15, 0x10, 0, 0, 16, 0), control));
    }

    @Test
    void descriptorSenseCarriesFieldPointerAndWideInformation() {
        ScsiResult r = run(THIN, 0x28, 0x20, 0, 0, 0, 0, 0, 0, 1, 0);
        byte[] s = r.sense();
        assertThat(s[0]).isEqualTo((byte) 0x72);
        assertThat(key(s)).isEqualTo(new Key(Sense.ILLEGAL_REQUEST, 0x24, 0));
        assertThat(s[7] & 0xff).isEqualTo(s.length - 8);
        assertThat(s[8]).isEqualTo((byte) 0x02);
        assertThat(s[12] & 0xff).isEqualTo(0x80 | 0x40 | 0x08 | 5);
        assertThat(Bytes.u16(s, 13)).isEqualTo(1);
        byte[] info = LogicalUnit.senseData(new Sense(Sense.MEDIUM_ERROR, 0x11, 0, 0x1_0000_0001L, null), true);
        assertThat(info[8]).isEqualTo((byte) 0);
        assertThat(info[10] & 0x80).isEqualTo(0x80);
        assertThat(Bytes.u64(info, 12)).isEqualTo(0x1_0000_0001L);
        Sense wide = new Sense(Sense.MEDIUM_ERROR, 0x11, 0, 0x1_0000_0001L, null);
        assertThat(wide.toFixedFormat()[0]).isEqualTo((byte) 0x70);
    }

    @Test
    void requestSenseFollowsItsOwnDescBit() {
        byte[] fixed = data(run(THIN, 0x03, 0, 0, 0, 252, 0));
        assertThat(fixed[0]).isEqualTo((byte) 0x70);
        assertThat(fixed).hasSize(18);
        byte[] unknownLun = data(run(9, 0x03, 1, 0, 0, 252, 0));
        assertThat(unknownLun[0]).isEqualTo((byte) 0x72);
        assertThat(key(unknownLun)).isEqualTo(new Key(Sense.ILLEGAL_REQUEST, 0x25, 0));
        byte[] evpd = data(run(9, 0x12, 1, 0x83, 0, 255, 0));
        assertThat(evpd).containsExactly(0x7f, 0x83, 0, 0);
    }

    @Test
    void fuzzedCdbsYieldWellFormedDescriptorSense() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 3000; i++) {
            byte[] cdb = new byte[16];
            random.nextBytes(cdb);
            for (int k = 1; k < 16; k++) {
                if (random.nextBoolean()) {
                    cdb[k] = 0;
                }
            }
            ScsiResult r = run(THIN, cdb, random.nextBoolean() ? new byte[random.nextInt(2048)] : null);
            if (r.status() == ScsiStatus.CHECK_CONDITION) {
                byte[] s = r.sense();
                assertThat(s[0] & 0x7f).isEqualTo(0x72);
                assertThat(s[7] & 0xff).isEqualTo(s.length - 8);
            }
        }
    }

    @Test
    void writeSixteenAndTwelveBeyondTheEndAndFlushFailures() {
        long blocks = (16 << 20) / 512;
        check(run(THIN, cdb(0xaa, 0, 0, 0, (int) (blocks >> 8), (int) blocks, 0, 0, 0, 1, 0, 0), new byte[512]),
                Sense.ILLEGAL_REQUEST, 0x21, 0);
        check(run(THIN, cdb(0x8a, 0, 0, 0, 0, 0, 0, 0, (int) (blocks >> 8), (int) blocks - 1, 0, 0, 0, 2, 0, 0),
                new byte[1024]), Sense.ILLEGAL_REQUEST, 0x21, 0);
        thin.failWrites = true;
        check(run(THIN, 0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0), Sense.MEDIUM_ERROR, 0x0c, 0);
        check(run(THIN, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0), BlockCommandsTest.unmapList(0, 8)),
                Sense.MEDIUM_ERROR, 0x0c, 0);
    }
}
