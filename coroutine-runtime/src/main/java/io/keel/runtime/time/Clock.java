package io.keel.runtime.time;

import java.time.Duration;

/**
 * The one source of time for Keel's server code: monotonic nanoseconds, wall-clock milliseconds,
 * sleeping and timers. Production uses {@link SystemClock}; tests and the simulator use
 * {@link ManualClock}, which moves only when told to, so the same code runs on virtual time.
 */
public interface Clock {

    /** Monotonic time in nanoseconds, only meaningful as a difference. */
    long nanoTime();

    /** Wall-clock time in milliseconds since the epoch, for timestamps shown to people. */
    long epochMillis();

    /** Blocks the calling thread for {@code duration} of this clock's time. */
    void sleep(Duration duration) throws InterruptedException;

    /**
     * Runs {@code action} once after {@code delay} of this clock's time. The action runs on a
     * timer thread and must be short: hand real work to a context or a virtual thread.
     */
    Timer schedule(Duration delay, Runnable action);
}
