package io.keel.iopattern;

/**
 * Limits and thresholds of stream detection. Memory is bounded by {@code maxKeys * maxStreamsPerKey} streams.
 *
 * @param maxStreamsPerKey streams tracked at once per key (interleaved writers in one extent or volume)
 * @param maxKeys          keys tracked at once; the least recently used key is forgotten beyond this
 * @param minRunLength     I/Os a stream must have seen before its continuation counts as sequential
 * @param minRunBytes      bytes a stream must have seen before its continuation counts as sequential
 * @param maxGapBytes      largest forward hole between a stream's end and the next I/O that still continues it
 * @param idleTimeoutNanos a stream not continued for this long is forgotten
 */
public record SequentialDetectorConfig(int maxStreamsPerKey, int maxKeys, int minRunLength, long minRunBytes,
        long maxGapBytes, long idleTimeoutNanos) {

    /** Validates the limits. */
    public SequentialDetectorConfig {
        Args.positive("maxStreamsPerKey", maxStreamsPerKey);
        Args.positive("maxKeys", maxKeys);
        Args.positive("minRunLength", minRunLength);
        Args.positive("minRunBytes", minRunBytes);
        Args.nonNegative("maxGapBytes", maxGapBytes);
        Args.positive("idleTimeoutNanos", idleTimeoutNanos);
    }

    /**
     * Eight streams per key, 4096 keys, sequential after 4 I/Os or 256 KiB, gaps up to 16 KiB tolerated,
     * streams forgotten after 2 s idle.
     */
    public static SequentialDetectorConfig defaults() {
        return new SequentialDetectorConfig(8, 4096, 4, 256L * 1024, 16L * 1024, 2_000_000_000L);
    }
}
