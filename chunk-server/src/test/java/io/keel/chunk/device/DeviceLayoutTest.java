package io.keel.chunk.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class DeviceLayoutTest {

    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    @Test
    void defaultLayoutOfATenGibDevice() {
        DeviceLayout l = DeviceLayout.compute(10 * GIB, DeviceRole.DATA, LayoutOptions.defaults(4));
        assertThat(l.blockSize()).isEqualTo(65536);
        assertThat(l.extentSize()).isEqualTo(256 * MIB);
        assertThat(l.sectorSize()).isEqualTo(4096);
        assertThat(l.workers()).isEqualTo(4);
        assertThat(l.metadataBytesPerBlock()).isEqualTo(12 + 4 * 16 + 32);
        assertThat(l.journalBytes()).isEqualTo(64 * MIB);
        assertThat(l.journalOffset(0)).isEqualTo(MIB);
        assertThat(l.journalOffset(3)).isEqualTo(MIB + 3 * 64 * MIB);
        assertThat(l.checkpointAreaOffset()).isEqualTo(257 * MIB);
        // ~9.7 GiB of data over 4 groups of 64 KiB blocks: ~38,900 blocks x 108 bytes ~ 4 MiB + 1 MiB.
        assertThat(l.checkpointSlotBytes()).isEqualTo(6 * MIB);
        assertThat(l.checkpointSlotOffset(0, 0)).isEqualTo(257 * MIB);
        assertThat(l.checkpointSlotOffset(0, 1)).isEqualTo(263 * MIB);
        assertThat(l.checkpointSlotOffset(3, 1)).isEqualTo(257 * MIB + 7 * 6 * MIB);
        assertThat(l.dataOffset()).isEqualTo(257 * MIB + 8 * 6 * MIB);
        assertThat(l.superblockBOffset()).isEqualTo(10 * GIB - 4096);
        assertThat(l.blocksPerGroup()).isEqualTo((10 * GIB - 4096 - MIB - l.dataOffset()) / 65536 / 4);
        assertThat(l.totalBlocks()).isEqualTo(4 * l.blocksPerGroup());
        assertThat(l.blockOffset(0)).isEqualTo(l.dataOffset());
        long last = l.totalBlocks() - 1;
        assertThat(l.blockOffset(last)).isEqualTo(l.dataOffset() + last * 65536);
        assertThat(l.groupOf(l.blocksPerGroup())).isEqualTo(1);
        assertThat(l.groupOf(l.blocksPerGroup() - 1)).isZero();
        assertThat(l.firstBlockOf(3)).isEqualTo(3 * l.blocksPerGroup());
        assertThat(l.groupOf(last)).isEqualTo(3);
        assertThatThrownBy(() -> l.blockOffset(l.totalBlocks())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> l.journalOffset(4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> l.checkpointSlotOffset(0, 2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void journalCacheAndSeparateJournalLayouts() {
        DeviceLayout cache = DeviceLayout.compute(GIB, DeviceRole.JOURNAL_CACHE, LayoutOptions.defaults(8));
        assertThat(cache.blocksPerGroup()).isZero();
        assertThat(cache.totalBlocks()).isZero();
        assertThat(cache.checkpointSlotBytes()).isZero();
        assertThat(cache.journalOffset(7)).isEqualTo(MIB + 7 * 64 * MIB);
        assertThatThrownBy(() -> cache.checkpointSlotOffset(0, 0)).isInstanceOf(IllegalStateException.class);

        UUID journalDevice = UUID.randomUUID();
        DeviceLayout data = DeviceLayout.compute(GIB, DeviceRole.DATA,
                LayoutOptions.defaults(8).withJournalsOn(journalDevice));
        assertThat(data.journalBytes()).isZero();
        assertThat(data.checkpointAreaOffset()).isEqualTo(MIB);
        assertThatThrownBy(() -> data.journalOffset(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> DeviceLayout.compute(GIB, DeviceRole.DATA,
                LayoutOptions.defaults(8).withJournalBytesPerWorker(0)))
                .hasMessageContaining("either embeds its journals");
        assertThatThrownBy(() -> DeviceLayout.compute(GIB, DeviceRole.JOURNAL_CACHE,
                LayoutOptions.defaults(8).withJournalsOn(journalDevice)))
                .hasMessageContaining("JOURNAL_CACHE");
    }

    @Test
    void outOfRangeOptionsAreRefused() {
        LayoutOptions d = LayoutOptions.defaults(4);
        assertThatThrownBy(() -> DeviceLayout.compute(GIB, DeviceRole.DATA, d.withBlockSize(3 * 4096)))
                .hasMessageContaining("block size 12288");
        assertThatThrownBy(() -> DeviceLayout.compute(GIB, DeviceRole.DATA, d.withBlockSize(2048)))
                .hasMessageContaining("block size 2048");
        assertThatThrownBy(() -> DeviceLayout.compute(GIB, DeviceRole.DATA, d.withBlockSize(2 << 20)))
                .hasMessageContaining("block size");
        assertThatThrownBy(() -> DeviceLayout.compute(GIB, DeviceRole.DATA, d.withExtentSize(100_000)))
                .hasMessageContaining("extent size 100000");
        assertThatThrownBy(() -> DeviceLayout.compute(GIB, DeviceRole.DATA, d.withWorkers(0)))
                .hasMessageContaining("workers 0");
        assertThatThrownBy(() -> DeviceLayout.compute(GIB, DeviceRole.DATA, d.withWorkers(257)))
                .hasMessageContaining("workers 257");
        assertThatThrownBy(() -> DeviceLayout.compute(GIB, DeviceRole.DATA, d.withJournalBytesPerWorker(MIB + 4096)))
                .hasMessageContaining("multiple of 1 MiB");
        assertThatThrownBy(() -> DeviceLayout.compute(GIB + 512, DeviceRole.DATA, d))
                .hasMessageContaining("device size");
    }

    @Test
    void aDeviceTooSmallForOneBlockPerGroupIsRefusedSayingWhatItNeeds() {
        LayoutOptions options = LayoutOptions.defaults(4);
        // 1 MiB + 4 journals of 64 MiB + 8 slots of 2 MiB (1 MiB + 108 bytes, rounded up) + 4 blocks
        // + 1 MiB gap + copy B.
        long needed = MIB + 256 * MIB + 16 * MIB + 4 * 65536 + MIB + 4096;
        assertThat(DeviceLayout.compute(needed, DeviceRole.DATA, options).blocksPerGroup()).isEqualTo(1);
        assertThatThrownBy(() -> DeviceLayout.compute(needed - 4096, DeviceRole.DATA, options))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too small").hasMessageContaining("at least " + needed + " bytes");
    }

    @Test
    void randomGeometriesNeverOverlapStayAlignedFitAndUseAllTheRoomTheyCan() {
        long seed = new Random().nextLong();
        System.out.println("randomGeometries seed=" + seed);
        Random random = new Random(seed);
        int computed = 0;
        for (int i = 0; i < 20_000; i++) {
            int blockSize = 4096 << random.nextInt(9);
            long extent = (long) blockSize * (1 + random.nextInt(8192));
            int workers = 1 + random.nextInt(random.nextBoolean() ? 8 : 256);
            DeviceRole role = random.nextInt(5) == 0 ? DeviceRole.JOURNAL_CACHE : DeviceRole.DATA;
            long journal = MIB * random.nextInt(role == DeviceRole.JOURNAL_CACHE ? 128 : 129);
            if (role == DeviceRole.JOURNAL_CACHE && journal == 0) {
                journal = MIB;
            }
            UUID journalDevice = journal == 0 && role == DeviceRole.DATA ? UUID.randomUUID() : DeviceIdentity.NONE;
            int metadata = random.nextBoolean() ? 0 : 1 + random.nextInt(4096);
            long size = 4096 * (1 + (long) (Math.pow(2, 8 + random.nextDouble() * 34)));
            LayoutOptions options = new LayoutOptions(blockSize, extent, workers, journal, metadata, journalDevice);
            String context = "seed " + seed + " case " + i + ": size " + size + ", " + role + ", " + options;
            DeviceLayout l;
            try {
                l = DeviceLayout.compute(size, role, options);
            } catch (IllegalArgumentException e) {
                assertThat(e.getMessage()).as(context).contains("too small");
                continue;
            }
            computed++;
            checkRegions(l, role, size, context);
        }
        assertThat(computed).as("enough random geometries fit to test anything").isGreaterThan(5_000);
    }

    private record Region(String name, long start, long length) {
        long end() {
            return start + length;
        }
    }

    private static void checkRegions(DeviceLayout l, DeviceRole role, long size, String context) {
        List<Region> regions = new ArrayList<>();
        regions.add(new Region("superblock A", 0, 4096));
        for (int w = 0; w < l.workers() && l.journalBytes() > 0; w++) {
            regions.add(new Region("journal " + w, l.journalOffset(w), l.journalBytes()));
            assertThat(l.journalOffset(w) % MIB).as(context).isZero();
            assertThat(l.journalOffset(w)).as(context).isGreaterThanOrEqualTo(MIB);
        }
        if (role == DeviceRole.DATA) {
            assertThat(l.blocksPerGroup()).as(context).isPositive();
            assertThat(l.checkpointSlotBytes()).as(context)
                    .isGreaterThanOrEqualTo(MIB + l.blocksPerGroup() * l.metadataBytesPerBlock());
            for (int w = 0; w < l.workers(); w++) {
                for (int slot = 0; slot < 2; slot++) {
                    long offset = l.checkpointSlotOffset(w, slot);
                    assertThat(offset % MIB).as(context).isZero();
                    regions.add(new Region("slot " + w + "/" + slot, offset, l.checkpointSlotBytes()));
                }
                long first = l.firstBlockOf(w);
                long lastBlock = first + l.blocksPerGroup() - 1;
                assertThat(l.groupOf(first)).as(context).isEqualTo(w);
                assertThat(l.groupOf(lastBlock)).as(context).isEqualTo(w);
                regions.add(new Region("group " + w, l.blockOffset(first), l.blocksPerGroup() * l.blockSize()));
                assertThat(l.blockOffset(lastBlock) + l.blockSize()).as(context)
                        .isEqualTo(l.blockOffset(first) + l.blocksPerGroup() * l.blockSize());
            }
            assertThat(l.dataOffset() % l.blockSize()).as(context).isZero();
            assertThat(l.dataOffset() % MIB).as(context).isZero();
            // One more block per group must not fit, or the layout wasted room.
            long bigger = l.blocksPerGroup() + 1;
            long slot = roundUp(MIB + bigger * l.metadataBytesPerBlock(), MIB);
            long data = roundUp(l.checkpointAreaOffset() + 2L * l.workers() * slot, Math.max(MIB, l.blockSize()));
            assertThat(data + l.workers() * bigger * l.blockSize()).as(context)
                    .isGreaterThan(l.superblockBOffset() - MIB);
        } else {
            assertThat(l.totalBlocks()).as(context).isZero();
        }
        Region b = new Region("superblock B", l.superblockBOffset(), 4096);
        assertThat(b.end()).as(context).isEqualTo(size);
        regions.sort(Comparator.comparingLong(Region::start));
        for (int i = 1; i < regions.size(); i++) {
            assertThat(regions.get(i).start()).as(context + ": " + regions.get(i - 1) + " overlaps " + regions.get(i))
                    .isGreaterThanOrEqualTo(regions.get(i - 1).end());
        }
        Region lastRegion = regions.get(regions.size() - 1);
        assertThat(lastRegion.end()).as(context + ": 1 MiB gap before copy B").isLessThanOrEqualTo(b.start() - MIB);
        for (Region r : regions) {
            assertThat(r.start() % 4096).as(context + " " + r).isZero();
            assertThat(r.length() % 4096).as(context + " " + r).isZero();
        }
        // The layout survives its own invariant check, as it must when read back from a superblock.
        assertThat(new DeviceLayout(l.deviceSize(), l.sectorSize(), l.blockSize(), l.extentSize(), l.workers(),
                l.metadataBytesPerBlock(), l.journalBytes(), l.journalAreaOffset(), l.checkpointAreaOffset(),
                l.checkpointSlotBytes(), l.dataOffset(), l.blocksPerGroup(), l.superblockBOffset())).isEqualTo(l);
    }

    private static long roundUp(long value, long unit) {
        return (value + unit - 1) / unit * unit;
    }

    @Test
    void theConstructorRejectsImpossibleLayouts() {
        DeviceLayout l = DeviceLayout.compute(GIB, DeviceRole.DATA, LayoutOptions.defaults(2));
        assertThatThrownBy(() -> new DeviceLayout(l.deviceSize(), l.sectorSize(), l.blockSize(), l.extentSize(),
                l.workers(), l.metadataBytesPerBlock(), l.journalBytes(), l.journalAreaOffset(),
                l.checkpointAreaOffset(), l.checkpointSlotBytes(), l.dataOffset(), l.blocksPerGroup() + 1,
                l.superblockBOffset())).hasMessageContaining("past");
        assertThatThrownBy(() -> new DeviceLayout(l.deviceSize(), l.sectorSize(), l.blockSize(), l.extentSize(),
                l.workers(), l.metadataBytesPerBlock(), l.journalBytes(), l.journalAreaOffset(),
                l.checkpointAreaOffset(), l.checkpointSlotBytes(), l.dataOffset() - MIB, l.blocksPerGroup(),
                l.superblockBOffset())).hasMessageContaining("data offset");
        assertThatThrownBy(() -> new DeviceLayout(l.deviceSize(), l.sectorSize(), l.blockSize(), l.extentSize(),
                l.workers(), l.metadataBytesPerBlock(), l.journalBytes(), l.journalAreaOffset(),
                l.checkpointAreaOffset() + MIB, l.checkpointSlotBytes(), l.dataOffset(), l.blocksPerGroup(),
                l.superblockBOffset())).hasMessageContaining("checkpoint area");
        assertThatThrownBy(() -> new DeviceLayout(l.deviceSize(), l.sectorSize(), l.blockSize(), l.extentSize(),
                l.workers(), l.metadataBytesPerBlock(), l.journalBytes(), l.journalAreaOffset(),
                l.checkpointAreaOffset(), l.checkpointSlotBytes(), l.dataOffset(), l.blocksPerGroup(),
                l.superblockBOffset() - 4096)).hasMessageContaining("last sector");
        assertThatThrownBy(() -> new DeviceLayout(l.deviceSize(), l.sectorSize(), l.blockSize(), l.extentSize(),
                l.workers(), l.metadataBytesPerBlock(), l.journalBytes(), l.journalAreaOffset(),
                l.checkpointAreaOffset(), Long.MAX_VALUE / 2, l.dataOffset(), l.blocksPerGroup(),
                l.superblockBOffset())).isInstanceOf(IllegalArgumentException.class);
    }
}
