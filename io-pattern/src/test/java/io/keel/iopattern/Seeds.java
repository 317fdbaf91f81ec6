package io.keel.iopattern;

import java.util.Random;
import java.util.function.Consumer;

/**
 * Runs a property over seeded random cases: each case has its own seed derived from a base seed
 * ({@code -Dkeel.test.seed=N} replays a run, its first case being seed N); a failure names its seed.
 */
final class Seeds {

    private static final long BASE_SEED = Long.getLong("keel.test.seed", System.nanoTime());

    private Seeds() {
    }

    static void forEachCase(final int cases, final Consumer<Random> property) {
        for (int i = 0; i < cases; i++) {
            long seed = BASE_SEED + i;
            try {
                property.accept(new Random(seed));
            } catch (AssertionError | RuntimeException failure) {
                throw new AssertionError("case failed with seed " + seed + " (replay: -Dkeel.test.seed=" + seed
                        + ")", failure);
            }
        }
    }
}
