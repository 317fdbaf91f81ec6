package io.keel.runtime.time;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CountDownLatch;

/**
 * A clock that moves only when {@link #advance} is called: timers fire and sleepers wake in
 * deadline order, on the advancing thread. Used by deterministic tests and, later, the simulator.
 */
public final class ManualClock implements Clock {

    private static final long EPOCH_MILLIS_AT_ZERO = 1_700_000_000_000L;

    private final PriorityQueue<Scheduled> timers = new PriorityQueue<>();
    private long nowNanos;
    private long sequence;

    /** A clock standing at zero nanoseconds. */
    public ManualClock() {
        this(0);
    }

    /** A clock standing at {@code startNanos}. */
    public ManualClock(final long startNanos) {
        this.nowNanos = startNanos;
    }

    @Override
    public synchronized long nanoTime() {
        return nowNanos;
    }

    @Override
    public synchronized long epochMillis() {
        return EPOCH_MILLIS_AT_ZERO + nowNanos / 1_000_000;
    }

    @Override
    public void sleep(final Duration duration) throws InterruptedException {
        CountDownLatch woken = new CountDownLatch(1);
        Timer timer = schedule(duration, woken::countDown);
        try {
            woken.await();
        } finally {
            timer.cancel();
        }
    }

    @Override
    public synchronized Timer schedule(final Duration delay, final Runnable action) {
        Scheduled scheduled = new Scheduled(nowNanos + Math.max(0, delay.toNanos()), sequence++, action);
        timers.add(scheduled);
        return () -> {
            synchronized (ManualClock.this) {
                return timers.remove(scheduled);
            }
        };
    }

    /** Number of timers (and sleepers) waiting for time to move. */
    public synchronized int pendingTimers() {
        return timers.size();
    }

    /**
     * Moves time forward by {@code duration}, running every timer that falls due, in deadline
     * order (ties in scheduling order), with the clock standing at each timer's deadline.
     */
    public void advance(final Duration duration) {
        long target;
        synchronized (this) {
            target = nowNanos + duration.toNanos();
        }
        while (true) {
            List<Runnable> due = new ArrayList<>();
            synchronized (this) {
                Scheduled next = timers.peek();
                if (next == null || next.deadlineNanos > target) {
                    nowNanos = target;
                    return;
                }
                nowNanos = Math.max(nowNanos, next.deadlineNanos);
                while (!timers.isEmpty() && timers.peek().deadlineNanos == next.deadlineNanos) {
                    due.add(timers.poll().action);
                }
            }
            due.forEach(Runnable::run);
        }
    }

    private record Scheduled(long deadlineNanos, long sequence, Runnable action) implements Comparable<Scheduled> {
        @Override
        public int compareTo(final Scheduled other) {
            int byDeadline = Long.compare(deadlineNanos, other.deadlineNanos);
            return byDeadline != 0 ? byDeadline : Long.compare(sequence, other.sequence);
        }
    }
}
