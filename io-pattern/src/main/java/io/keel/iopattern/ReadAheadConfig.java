package io.keel.iopattern;

import java.util.Objects;

/**
 * Limits of {@link ReadAheadAdvisor}.
 *
 * @param streams             how read streams are detected (a stream gets read-ahead once it is sequential)
 * @param initialWindowBytes  first prefetch window of a stream
 * @param maxWindowBytes      the window doubles up to this
 */
public record ReadAheadConfig(SequentialDetectorConfig streams, long initialWindowBytes, long maxWindowBytes) {

    /** Validates the limits. */
    public ReadAheadConfig {
        Objects.requireNonNull(streams, "streams");
        Args.positive("initialWindowBytes", initialWindowBytes);
        Args.positive("maxWindowBytes", maxWindowBytes);
        if (maxWindowBytes < initialWindowBytes) {
            throw new IllegalArgumentException("maxWindowBytes " + maxWindowBytes + " < initialWindowBytes "
                    + initialWindowBytes);
        }
    }

    /**
     * Detector defaults except that the second read of a stream already counts as sequential; windows start at
     * 128 KiB (two blocks) and grow to 8 MiB.
     */
    public static ReadAheadConfig defaults() {
        SequentialDetectorConfig d = SequentialDetectorConfig.defaults();
        return new ReadAheadConfig(new SequentialDetectorConfig(d.maxStreamsPerKey(), d.maxKeys(), 1,
                d.minRunBytes(), d.maxGapBytes(), d.idleTimeoutNanos()), 128L * 1024, 8L * 1024 * 1024);
    }
}
