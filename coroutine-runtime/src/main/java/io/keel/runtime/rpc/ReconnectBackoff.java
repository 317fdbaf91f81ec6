package io.keel.runtime.rpc;

import io.keel.runtime.time.Clock;
import io.keel.runtime.time.RandomSource;
import java.time.Duration;

/**
 * When the next connection attempt to a peer may start: immediately while attempts succeed; after failures,
 * an exponentially growing delay capped at a maximum, with "equal jitter" (a delay drawn from [d/2, d]) so
 * that many clients of a restarted server spread out yet still back off.
 */
final class ReconnectBackoff {

    private final long minNanos;
    private final long maxNanos;
    private final Clock clock;
    private final RandomSource random;

    private int failures;
    private long nextAttemptNanos;

    ReconnectBackoff(final Duration min, final Duration max, final Clock clock, final RandomSource random) {
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
        this.clock = clock;
        this.random = random;
    }

    /** Nanoseconds until the next attempt may start; 0 when it may start now. */
    synchronized long nanosUntilNextAttempt() {
        return failures == 0 ? 0 : Math.max(0, nextAttemptNanos - clock.nanoTime());
    }

    /** An attempt failed (or a connection died before proving itself); returns the delay chosen. */
    synchronized long recordFailure() {
        failures++;
        long delay = uncappedDelay();
        long jittered = delay / 2 + (long) (random.nextDouble() * (delay - delay / 2));
        nextAttemptNanos = clock.nanoTime() + jittered;
        return jittered;
    }

    /** A connection proved healthy: the next attempt, if ever needed, starts immediately. */
    synchronized void reset() {
        failures = 0;
    }

    private long uncappedDelay() {
        long delay = minNanos;
        for (int i = 1; i < failures && delay < maxNanos; i++) {
            delay = delay > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : delay * 2;
        }
        return Math.min(delay, maxNanos);
    }
}
