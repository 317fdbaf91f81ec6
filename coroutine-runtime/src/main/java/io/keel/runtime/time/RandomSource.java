package io.keel.runtime.time;

/**
 * Injected randomness (backoff jitter, placement tie-breaks, test workloads). A seeded source
 * replays the same choices, which is what makes a failing simulation seed reproducible.
 */
public interface RandomSource {

    /** A uniformly distributed long. */
    long nextLong();

    /** A uniformly distributed int in {@code [0, bound)}. */
    int nextInt(int bound);

    /** A uniformly distributed double in {@code [0, 1)}. */
    double nextDouble();

    /** A deterministic source: the same seed gives the same sequence. */
    static RandomSource seeded(final long seed) {
        return new SeededRandomSource(seed);
    }

    /** The production source, seeded from the machine. */
    static RandomSource system() {
        return SystemRandomSource.INSTANCE;
    }
}
