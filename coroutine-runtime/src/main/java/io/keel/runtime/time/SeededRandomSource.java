package io.keel.runtime.time;

import java.util.SplittableRandom;

/** A reproducible {@link RandomSource}; synchronized so it can be shared, the sequence stays seed-determined. */
final class SeededRandomSource implements RandomSource {

    private final SplittableRandom random;

    SeededRandomSource(final long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public synchronized long nextLong() {
        return random.nextLong();
    }

    @Override
    public synchronized int nextInt(final int bound) {
        return random.nextInt(bound);
    }

    @Override
    public synchronized double nextDouble() {
        return random.nextDouble();
    }
}
