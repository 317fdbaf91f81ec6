package io.keel.runtime.time;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The real clock: {@code System.nanoTime}, {@code System.currentTimeMillis} and one daemon timer
 * thread shared by the whole process. This class and {@link SystemRandomSource} are the only
 * places in main code allowed to read the machine's time (the style gate enforces it).
 */
public final class SystemClock implements Clock {

    /** The process-wide instance. */
    public static final SystemClock INSTANCE = new SystemClock();

    private final ScheduledThreadPoolExecutor timerThread;

    private SystemClock() {
        timerThread = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "keel-timer");
            thread.setDaemon(true);
            return thread;
        });
        // Cancelled timers (most RPC deadlines) must not pile up in the queue until they expire.
        timerThread.setRemoveOnCancelPolicy(true);
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long epochMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public void sleep(final Duration duration) throws InterruptedException {
        Thread.sleep(duration);
    }

    @Override
    public Timer schedule(final Duration delay, final Runnable action) {
        ScheduledFuture<?> future = timerThread.schedule(action, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }
}
