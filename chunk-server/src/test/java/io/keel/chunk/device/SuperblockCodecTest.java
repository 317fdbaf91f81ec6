package io.keel.chunk.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.chunk.device.SuperblockCodec.Blank;
import io.keel.chunk.device.SuperblockCodec.Damaged;
import io.keel.chunk.device.SuperblockCodec.Newer;
import io.keel.chunk.device.SuperblockCodec.Valid;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class SuperblockCodecTest {

    static final DeviceIdentity IDENTITY = new DeviceIdentity(
            UUID.fromString("11111111-1111-1111-1111-111111111111"),
            UUID.fromString("22222222-2222-2222-2222-222222222222"),
            UUID.fromString("33333333-3333-3333-3333-333333333333"));

    static Superblock sample(DeviceRole role, LayoutOptions options, long size) {
        DeviceLayout layout = DeviceLayout.compute(size, role, options);
        return new Superblock(1, Superblock.COPY_A, role, IDENTITY, layout, options.journalDeviceId(),
                1_790_000_000_000L, 3);
    }

    static Superblock sample() {
        return sample(DeviceRole.DATA, LayoutOptions.defaults(4), 10L << 30);
    }

    @Test
    void roundTripsEveryRoleAndJournalPlacement() {
        UUID journalDevice = UUID.fromString("44444444-4444-4444-4444-444444444444");
        LayoutOptions separate = LayoutOptions.defaults(3).withJournalsOn(journalDevice).withBlockSize(4096)
                .withExtentSize(1 << 20).withMetadataBytesPerBlock(77);
        List<Superblock> samples = List.of(sample(), sample(DeviceRole.DATA, separate, 5L << 30),
                sample(DeviceRole.JOURNAL_CACHE, LayoutOptions.defaults(16), 2L << 30));
        for (Superblock sb : samples) {
            for (int copy = 0; copy < 2; copy++) {
                Superblock copied = sb.asCopy(copy);
                byte[] bytes = SuperblockCodec.encode(copied);
                assertThat(bytes).hasSize(4096);
                assertThat(SuperblockCodec.decode(bytes, copy)).isEqualTo(new Valid(copied));
            }
        }
    }

    @Test
    void fieldsSitWhereTheDocumentSaysBigEndianWithTheChecksumLast() {
        Superblock sb = sample();
        ByteBuffer b = ByteBuffer.wrap(SuperblockCodec.encode(sb.asCopy(Superblock.COPY_B)));
        assertThat(Arrays.copyOf(b.array(), 8)).isEqualTo("KEELDEV\0".getBytes(StandardCharsets.US_ASCII));
        assertThat(b.getInt(8)).isEqualTo(1);
        assertThat(b.getInt(12)).isEqualTo(1);
        assertThat(b.getInt(16)).isEqualTo(1);
        assertThat(b.getInt(20)).isEqualTo(4096);
        assertThat(b.getLong(24)).isEqualTo(0x1111111111111111L);
        assertThat(b.getLong(40)).isEqualTo(0x2222222222222222L);
        assertThat(b.getLong(56)).isEqualTo(0x3333333333333333L);
        assertThat(b.getLong(72)).isZero();
        assertThat(b.getLong(80)).isZero();
        assertThat(b.getLong(88)).isEqualTo(10L << 30);
        assertThat(b.getLong(96)).isEqualTo(1_790_000_000_000L);
        assertThat(b.getLong(104)).isEqualTo(3);
        assertThat(b.getInt(112)).isEqualTo(65536);
        assertThat(b.getInt(116)).isEqualTo(4);
        assertThat(b.getLong(120)).isEqualTo(256L << 20);
        assertThat(b.getInt(128)).isEqualTo(108);
        assertThat(b.getInt(132)).isZero();
        assertThat(b.getLong(136)).isEqualTo(64L << 20);
        assertThat(b.getLong(144)).isEqualTo(1L << 20);
        assertThat(b.getLong(152)).isEqualTo(sb.layout().checkpointAreaOffset());
        assertThat(b.getLong(160)).isEqualTo(sb.layout().checkpointSlotBytes());
        assertThat(b.getLong(168)).isEqualTo(sb.layout().dataOffset());
        assertThat(b.getLong(176)).isEqualTo(sb.layout().blocksPerGroup());
        assertThat(b.getLong(184)).isEqualTo((10L << 30) - 4096);
        for (int i = 192; i < 4092; i++) {
            assertThat(b.get(i)).as("reserved byte %d", i).isZero();
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 4092);
        assertThat(b.getInt(4092)).isEqualTo((int) crc.getValue());
    }

    @Test
    void everySingleBitFlipIsDetected() {
        for (Superblock sb : new Superblock[] {sample(), sample(DeviceRole.JOURNAL_CACHE, LayoutOptions.defaults(2),
                1L << 30)}) {
            byte[] good = SuperblockCodec.encode(sb);
            for (int bit = 0; bit < 4096 * 8; bit++) {
                byte[] bad = good.clone();
                bad[bit / 8] ^= (byte) (1 << (bit % 8));
                // Damaged, never blank: a flipped magic bit must not make a Keel device look unformatted.
                assertThat(SuperblockCodec.decode(bad, 0)).as("bit %d", bit).isInstanceOf(Damaged.class);
            }
        }
    }

    @Test
    void blankForeignNewerAndMisplacedCopiesAreToldApart() {
        assertThat(SuperblockCodec.decode(new byte[4096], 0)).isEqualTo(new Blank());
        byte[] noise = new byte[4096];
        new Random(42).nextBytes(noise);
        assertThat(SuperblockCodec.decode(noise, 0)).isEqualTo(new Blank());

        byte[] newer = SuperblockCodec.encode(sample());
        ByteBuffer.wrap(newer).putInt(8, 2);
        ByteBuffer.wrap(newer).putInt(4092, SuperblockCodec.crc(newer));
        assertThat(SuperblockCodec.decode(newer, 0)).isEqualTo(new Newer(2));

        byte[] older = SuperblockCodec.encode(sample());
        ByteBuffer.wrap(older).putInt(8, 0);
        ByteBuffer.wrap(older).putInt(4092, SuperblockCodec.crc(older));
        assertThat(SuperblockCodec.decode(older, 0)).isInstanceOf(Damaged.class);

        byte[] copyA = SuperblockCodec.encode(sample());
        assertThat(SuperblockCodec.decode(copyA, 1))
                .isEqualTo(new Damaged("copy index 0 found where copy 1 belongs"));

        byte[] badLayout = SuperblockCodec.encode(sample());
        ByteBuffer.wrap(badLayout).putLong(176, 1L << 40);
        ByteBuffer.wrap(badLayout).putInt(4092, SuperblockCodec.crc(badLayout));
        assertThat(SuperblockCodec.decode(badLayout, 0)).isInstanceOf(Damaged.class)
                .extracting(d -> ((Damaged) d).problem()).asString().contains("inconsistent");

        byte[] badRole = SuperblockCodec.encode(sample());
        ByteBuffer.wrap(badRole).putInt(16, 9);
        ByteBuffer.wrap(badRole).putInt(4092, SuperblockCodec.crc(badRole));
        assertThat(SuperblockCodec.decode(badRole, 0)).isEqualTo(new Damaged("unknown role code 9"));

        assertThatThrownBy(() -> SuperblockCodec.decode(new byte[512], 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readVersionsBracketTheWriteVersion() {
        assertThat(SuperblockCodec.MIN_READ_VERSION).isLessThanOrEqualTo(SuperblockCodec.WRITE_VERSION);
        assertThat(SuperblockCodec.WRITE_VERSION).isLessThanOrEqualTo(SuperblockCodec.MAX_READ_VERSION);
    }
}
