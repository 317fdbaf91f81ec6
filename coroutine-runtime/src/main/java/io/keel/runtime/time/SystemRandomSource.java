package io.keel.runtime.time;

import java.util.concurrent.ThreadLocalRandom;

/** The production {@link RandomSource}: per-thread generators seeded by the JDK. */
final class SystemRandomSource implements RandomSource {

    static final SystemRandomSource INSTANCE = new SystemRandomSource();

    private SystemRandomSource() {
    }

    @Override
    public long nextLong() {
        return ThreadLocalRandom.current().nextLong();
    }

    @Override
    public int nextInt(final int bound) {
        return ThreadLocalRandom.current().nextInt(bound);
    }

    @Override
    public double nextDouble() {
        return ThreadLocalRandom.current().nextDouble();
    }
}
