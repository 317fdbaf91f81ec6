package io.keel.chunk.device;

/**
 * Where everything lives on one formatted device. Computed once, at format time, by
 * {@link #compute}; stored whole in the superblock, so opening a device never recomputes it and a
 * change to the formulas cannot move regions under existing data. The constructor checks the
 * invariants every layout must keep (aligned, ordered, non-overlapping regions inside the device),
 * so a superblock carrying an impossible layout is rejected as damaged.
 *
 * <p>Regions in device order: superblock copy A at 0 (one sector, then reserved to 1 MiB); the W
 * journal regions; the 2W checkpoint slots (worker w owns slots 2w and 2w+1); the data area of W
 * allocation groups of {@code blocksPerGroup} blocks each; at least 1 MiB unused; superblock copy
 * B in the last sector. A JOURNAL_CACHE device has no checkpoint slots and no data area
 * ({@code blocksPerGroup} and {@code checkpointSlotBytes} are 0).
 *
 * @param deviceSize device bytes at format time (a multiple of the sector size)
 * @param sectorSize the I/O and checksum unit, always 4096
 * @param blockSize allocation unit, a power of two from 4 KiB to 1 MiB
 * @param extentSize a multiple of {@code blockSize}
 * @param workers W, 1..256
 * @param metadataBytesPerBlock checkpoint bytes budgeted per block
 * @param journalBytes bytes per worker journal (0 when the journals live on another device)
 * @param journalAreaOffset offset of worker 0's journal, always 1 MiB
 * @param checkpointAreaOffset offset of the first checkpoint slot, right after the journals
 * @param checkpointSlotBytes bytes per checkpoint slot, a multiple of 1 MiB
 * @param dataOffset offset of block 0
 * @param blocksPerGroup blocks in each worker's allocation group
 * @param superblockBOffset offset of superblock copy B, the device's last sector
 */
public record DeviceLayout(long deviceSize, int sectorSize, int blockSize, long extentSize, int workers,
        int metadataBytesPerBlock, long journalBytes, long journalAreaOffset, long checkpointAreaOffset,
        long checkpointSlotBytes, long dataOffset, long blocksPerGroup, long superblockBOffset) {

    /** The sector size, the unit of alignment. */
    public static final int SECTOR_SIZE = 4096;
    /** Alignment of regions, and the space reserved after copy A and kept free before copy B. */
    public static final long MIB = 1L << 20;
    /** Most workers a device can be formatted for. */
    public static final int MAX_WORKERS = 256;
    /** Smallest block size. */
    public static final int MIN_BLOCK_SIZE = 4096;
    /** Largest block size. */
    public static final int MAX_BLOCK_SIZE = 1 << 20;

    /** Checks the invariants; throws {@link IllegalArgumentException} naming the first that fails. */
    public DeviceLayout {
        require(sectorSize == SECTOR_SIZE, "sector size %d is not %d", sectorSize, SECTOR_SIZE);
        checkBlockSize(blockSize);
        checkExtentSize(extentSize, blockSize);
        checkWorkers(workers);
        require(metadataBytesPerBlock > 0, "metadata bytes per block %d must be positive", metadataBytesPerBlock);
        require(journalBytes >= 0 && journalBytes % MIB == 0, "journal bytes per worker %d must be a multiple of 1 MiB",
                journalBytes);
        require(deviceSize > 0 && deviceSize % SECTOR_SIZE == 0, "device size %d is not a positive multiple of %d",
                deviceSize, SECTOR_SIZE);
        require(superblockBOffset == deviceSize - SECTOR_SIZE, "superblock B offset %d is not the last sector of %d",
                superblockBOffset, deviceSize);
        require(journalAreaOffset == MIB, "journal area offset %d is not 1 MiB", journalAreaOffset);
        require(checkpointAreaOffset == addExact(journalAreaOffset, mulExact(workers, journalBytes)),
                "checkpoint area offset %d does not follow %d journals of %d bytes", checkpointAreaOffset, workers,
                journalBytes);
        require(blocksPerGroup >= 0, "blocks per group %d is negative", blocksPerGroup);
        if (blocksPerGroup == 0) {
            require(checkpointSlotBytes == 0 && dataOffset == checkpointAreaOffset,
                    "a layout without data blocks has no checkpoint slots (slot bytes %d, data offset %d)",
                    checkpointSlotBytes, dataOffset);
            require(journalBytes > 0, "a layout without data blocks must hold journals");
        } else {
            require(checkpointSlotBytes % MIB == 0
                    && checkpointSlotBytes >= addExact(MIB, mulExact(blocksPerGroup, metadataBytesPerBlock)),
                    "checkpoint slot bytes %d is not a multiple of 1 MiB holding 1 MiB + %d blocks x %d bytes",
                    checkpointSlotBytes, blocksPerGroup, metadataBytesPerBlock);
            long slotsEnd = addExact(checkpointAreaOffset, mulExact(2L * workers, checkpointSlotBytes));
            require(dataOffset >= slotsEnd && dataOffset % blockSize == 0 && dataOffset % MIB == 0,
                    "data offset %d is not block- and 1 MiB-aligned at or after the checkpoint slots' end %d",
                    dataOffset, slotsEnd);
        }
        long dataEnd = addExact(dataOffset, mulExact(mulExact(workers, blocksPerGroup), blockSize));
        require(dataEnd <= superblockBOffset - MIB, "regions end at %d, past %d (1 MiB before superblock B at %d)",
                dataEnd, superblockBOffset - MIB, superblockBOffset);
    }

    /**
     * The layout for a device of {@code deviceSize} bytes: journals and checkpoint slots first,
     * then as many blocks per allocation group as fit.
     *
     * @throws IllegalArgumentException if the options are out of range or the device is too small
     *     for one block per group (the message says how large it must be)
     */
    public static DeviceLayout compute(long deviceSize, DeviceRole role, LayoutOptions options) {
        checkBlockSize(options.blockSize());
        checkExtentSize(options.extentSize(), options.blockSize());
        checkWorkers(options.workers());
        int metadata = options.effectiveMetadataBytesPerBlock();
        require(metadata > 0, "metadata bytes per block %d must be positive", metadata);
        long journal = options.journalBytesPerWorker();
        require(journal >= 0 && journal % MIB == 0, "journal bytes per worker %d must be a multiple of 1 MiB", journal);
        boolean embedded = options.journalDeviceId().equals(DeviceIdentity.NONE);
        if (role == DeviceRole.JOURNAL_CACHE) {
            require(journal > 0 && embedded, "a JOURNAL_CACHE device needs journal bytes per worker > 0 (got %d) and"
                    + " no journal device id of its own", journal);
        } else {
            require(embedded == (journal > 0), "a DATA device either embeds its journals (journal bytes > 0, no"
                    + " journal device id) or names the device holding them (journal bytes 0); got %d bytes and %s",
                    journal, options.journalDeviceId());
        }
        require(deviceSize > 0 && deviceSize % SECTOR_SIZE == 0, "device size %d is not a positive multiple of %d",
                deviceSize, SECTOR_SIZE);
        int w = options.workers();
        long superB = deviceSize - SECTOR_SIZE;
        long checkpointArea = fitsOrMax(MIB, w, journal);
        if (role == DeviceRole.JOURNAL_CACHE) {
            long needed = satAdd(checkpointArea, MIB + SECTOR_SIZE);
            require(needed <= deviceSize, "device of %d bytes is too small: %d journals of %d bytes need %d bytes",
                    deviceSize, w, journal, needed);
            return new DeviceLayout(deviceSize, SECTOR_SIZE, options.blockSize(), options.extentSize(), w, metadata,
                    journal, MIB, checkpointArea, 0, checkpointArea, 0, superB);
        }
        Candidate one = candidate(checkpointArea, w, options.blockSize(), metadata, 1);
        long needed = satAdd(one.dataEnd, MIB + SECTOR_SIZE);
        require(needed <= deviceSize, "device of %d bytes is too small: %d workers need at least %d bytes for one "
                + "block of %d bytes per allocation group", deviceSize, w, needed, options.blockSize());
        // dataEnd grows with blocksPerGroup, so the largest that fits is found by bisection.
        long low = 1;
        long high = deviceSize / options.blockSize() / w + 1;
        while (high - low > 1) {
            long mid = low + (high - low) / 2;
            if (candidate(checkpointArea, w, options.blockSize(), metadata, mid).dataEnd <= superB - MIB) {
                low = mid;
            } else {
                high = mid;
            }
        }
        Candidate best = candidate(checkpointArea, w, options.blockSize(), metadata, low);
        return new DeviceLayout(deviceSize, SECTOR_SIZE, options.blockSize(), options.extentSize(), w, metadata,
                journal, MIB, checkpointArea, best.slotBytes, best.dataOffset, low, superB);
    }

    private record Candidate(long slotBytes, long dataOffset, long dataEnd) {
    }

    /** Saturates at Long.MAX_VALUE instead of overflowing, so a too-large candidate simply does not fit. */
    private static Candidate candidate(long checkpointArea, int workers, int blockSize, int metadata, long perGroup) {
        long slot = roundUp(satAdd(MIB, satMul(perGroup, metadata)), MIB);
        long data = roundUp(satAdd(checkpointArea, satMul(2L * workers, slot)), Math.max(blockSize, MIB));
        long end = satAdd(data, satMul(satMul(workers, perGroup), blockSize));
        return new Candidate(slot, data, end);
    }

    private static long fitsOrMax(long base, long count, long each) {
        return satAdd(base, satMul(count, each));
    }

    /** Offset of worker {@code worker}'s journal region. */
    public long journalOffset(int worker) {
        checkWorker(worker);
        if (journalBytes == 0) {
            throw new IllegalStateException("this device's journals live on another device");
        }
        return journalAreaOffset + worker * journalBytes;
    }

    /** Offset of checkpoint slot {@code slot} (0 or 1) of worker {@code worker}. */
    public long checkpointSlotOffset(int worker, int slot) {
        checkWorker(worker);
        if (slot != 0 && slot != 1) {
            throw new IllegalArgumentException("checkpoint slot " + slot + " is not 0 or 1");
        }
        if (checkpointSlotBytes == 0) {
            throw new IllegalStateException("a device without data blocks has no checkpoint slots");
        }
        return checkpointAreaOffset + (2L * worker + slot) * checkpointSlotBytes;
    }

    /** Blocks in the whole data area, W x {@link #blocksPerGroup()}. */
    public long totalBlocks() {
        return workers * blocksPerGroup;
    }

    /** End of the data area (exclusive). */
    public long dataEnd() {
        return dataOffset + totalBlocks() * blockSize;
    }

    /** Device offset of {@code physicalBlock}, numbered globally from 0 across all groups. */
    public long blockOffset(long physicalBlock) {
        checkBlock(physicalBlock);
        return dataOffset + physicalBlock * blockSize;
    }

    /** The allocation group (= worker) that owns {@code physicalBlock}. */
    public int groupOf(long physicalBlock) {
        checkBlock(physicalBlock);
        return (int) (physicalBlock / blocksPerGroup);
    }

    /** The first block of allocation group {@code group}. */
    public long firstBlockOf(int group) {
        checkWorker(group);
        return group * blocksPerGroup;
    }

    private void checkWorker(int worker) {
        if (worker < 0 || worker >= workers) {
            throw new IllegalArgumentException("worker " + worker + " is not in 0.." + (workers - 1));
        }
    }

    private void checkBlock(long block) {
        if (block < 0 || block >= totalBlocks()) {
            throw new IllegalArgumentException("block " + block + " is not in 0.." + (totalBlocks() - 1));
        }
    }

    private static void checkBlockSize(int blockSize) {
        require(blockSize >= MIN_BLOCK_SIZE && blockSize <= MAX_BLOCK_SIZE && Integer.bitCount(blockSize) == 1,
                "block size %d is not a power of two from 4 KiB to 1 MiB", blockSize);
    }

    private static void checkExtentSize(long extentSize, int blockSize) {
        require(extentSize > 0 && extentSize % blockSize == 0, "extent size %d is not a positive multiple of the"
                + " block size %d", extentSize, blockSize);
    }

    private static void checkWorkers(int workers) {
        require(workers >= 1 && workers <= MAX_WORKERS, "workers %d is not in 1..%d", workers, MAX_WORKERS);
    }

    private static void require(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new IllegalArgumentException(String.format(format, args));
        }
    }

    private static long addExact(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("layout offsets overflow", e);
        }
    }

    private static long mulExact(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("layout sizes overflow", e);
        }
    }

    private static long satAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private static long satMul(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE;
    }

    private static long roundUp(long value, long unit) {
        long r = value % unit;
        return r == 0 ? value : satAdd(value, unit - r);
    }
}
