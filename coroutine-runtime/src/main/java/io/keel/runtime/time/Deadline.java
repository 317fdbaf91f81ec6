package io.keel.runtime.time;

import java.time.Duration;

/**
 * A point in a {@link Clock}'s monotonic time by which something must finish. Deadlines are
 * absolute so that one deadline can be passed down through nested calls without growing.
 *
 * @param clock the clock the deadline is measured on
 * @param atNanos the clock's {@code nanoTime()} at which the deadline expires
 */
public record Deadline(Clock clock, long atNanos) {

    /** The deadline {@code timeout} from now on {@code clock}; saturates instead of overflowing. */
    public static Deadline after(final Clock clock, final Duration timeout) {
        long now = clock.nanoTime();
        long nanos = timeout.isNegative() ? 0 : saturatedNanos(timeout);
        long at = now + nanos;
        return new Deadline(clock, at < now ? Long.MAX_VALUE : at);
    }

    /** Time left, never negative. */
    public Duration remaining() {
        return Duration.ofNanos(remainingNanos());
    }

    /** Nanoseconds left, never negative. */
    public long remainingNanos() {
        return Math.max(0, atNanos - clock.nanoTime());
    }

    /** True once the clock has reached the deadline. */
    public boolean isExpired() {
        return clock.nanoTime() - atNanos >= 0;
    }

    /** The earlier of this deadline and {@code other} (both must use the same clock). */
    public Deadline min(final Deadline other) {
        if (other.clock != clock) {
            throw new IllegalArgumentException("deadlines on different clocks cannot be compared");
        }
        return other.atNanos - atNanos < 0 ? other : this;
    }

    private static long saturatedNanos(final Duration timeout) {
        try {
            return timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE / 2;
        }
    }
}
