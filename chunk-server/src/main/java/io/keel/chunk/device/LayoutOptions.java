package io.keel.chunk.device;

import java.util.Objects;
import java.util.UUID;

/**
 * The choices made when a device is formatted, from which {@link DeviceLayout#compute} derives the
 * regions. A {@code metadataBytesPerBlock} of 0 means the default for the block size,
 * {@link #defaultMetadataBytesPerBlock(int)}.
 *
 * @param blockSize bytes per block: a power of two, 4 KiB .. 1 MiB
 * @param extentSize bytes per extent, a multiple of {@code blockSize}
 * @param workers number of workers W, 1..256
 * @param journalBytesPerWorker bytes of each worker's journal, a multiple of 1 MiB; 0 when the
 *     journals live on another device ({@code journalDeviceId})
 * @param metadataBytesPerBlock checkpoint bytes budgeted per block, or 0 for the default
 * @param journalDeviceId the JOURNAL_CACHE device holding this DATA device's journals, or
 *     {@link DeviceIdentity#NONE} when they are embedded
 */
public record LayoutOptions(int blockSize, long extentSize, int workers, long journalBytesPerWorker,
        int metadataBytesPerBlock, UUID journalDeviceId) {

    /** Default block size, 64 KiB. */
    public static final int DEFAULT_BLOCK_SIZE = 64 * 1024;
    /** Default extent size, 256 MiB. */
    public static final long DEFAULT_EXTENT_SIZE = 256L << 20;
    /** Default journal bytes per worker, 64 MiB. */
    public static final long DEFAULT_JOURNAL_BYTES_PER_WORKER = 64L << 20;

    /** Rejects a null journal device id; value ranges are checked by {@link DeviceLayout#compute}. */
    public LayoutOptions {
        Objects.requireNonNull(journalDeviceId, "journalDeviceId (use DeviceIdentity.NONE for embedded journals)");
    }

    /** Defaults for {@code workers} workers with embedded journals. */
    public static LayoutOptions defaults(int workers) {
        return new LayoutOptions(DEFAULT_BLOCK_SIZE, DEFAULT_EXTENT_SIZE, workers, DEFAULT_JOURNAL_BYTES_PER_WORKER,
                0, DeviceIdentity.NONE);
    }

    /**
     * Checkpoint bytes per block by default: 12 for the block's map entry and reference count, 4
     * per 4 KiB sector for its CRC32C, and 32 of headroom.
     */
    public static int defaultMetadataBytesPerBlock(int blockSize) {
        return 12 + 4 * (blockSize / 4096) + 32;
    }

    /** {@code metadataBytesPerBlock}, or the default for the block size when it is 0. */
    public int effectiveMetadataBytesPerBlock() {
        return metadataBytesPerBlock == 0 ? defaultMetadataBytesPerBlock(blockSize) : metadataBytesPerBlock;
    }

    /** These options with another block size. */
    public LayoutOptions withBlockSize(int bytes) {
        return new LayoutOptions(bytes, extentSize, workers, journalBytesPerWorker, metadataBytesPerBlock,
                journalDeviceId);
    }

    /** These options with another extent size. */
    public LayoutOptions withExtentSize(long bytes) {
        return new LayoutOptions(blockSize, bytes, workers, journalBytesPerWorker, metadataBytesPerBlock,
                journalDeviceId);
    }

    /** These options with another worker count. */
    public LayoutOptions withWorkers(int count) {
        return new LayoutOptions(blockSize, extentSize, count, journalBytesPerWorker, metadataBytesPerBlock,
                journalDeviceId);
    }

    /** These options with embedded journals of {@code bytes} per worker. */
    public LayoutOptions withJournalBytesPerWorker(long bytes) {
        return new LayoutOptions(blockSize, extentSize, workers, bytes, metadataBytesPerBlock, DeviceIdentity.NONE);
    }

    /** These options with the journals on the JOURNAL_CACHE device {@code deviceId} (none embedded). */
    public LayoutOptions withJournalsOn(UUID deviceId) {
        return new LayoutOptions(blockSize, extentSize, workers, 0, metadataBytesPerBlock, deviceId);
    }

    /** These options with an explicit checkpoint budget per block. */
    public LayoutOptions withMetadataBytesPerBlock(int bytes) {
        return new LayoutOptions(blockSize, extentSize, workers, journalBytesPerWorker, bytes, journalDeviceId);
    }
}
