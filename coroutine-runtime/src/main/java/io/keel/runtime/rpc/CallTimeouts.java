package io.keel.runtime.rpc;

import io.keel.runtime.time.Clock;
import io.keel.runtime.time.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Expires the pending calls of one connection at their deadlines with one clock timer, not one per call.
 *
 * <p>The timer is set for the earliest deadline it knows. A new call reschedules it only when its deadline is
 * earlier, which with equal timeouts almost never happens; so calls in steady state cost no timer work, and
 * the clock's timer thread is not woken once per call. When the timer fires it expires every call that is
 * due and sets itself for the earliest remaining deadline.
 */
final class CallTimeouts {

    private final Clock clock;
    private final Map<Long, PendingCall> pending;
    private final Consumer<PendingCall> expired;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Sweep scheduled;
    /** Set by {@link #stop}, under the lock; afterwards no timer is set. */
    private boolean stopped;

    /**
     * Expires calls of {@code pending}, removing them from it, on {@code clock}'s timer thread.
     *
     * @param expired told about each call this expired, on the timer thread, after the call was completed
     */
    CallTimeouts(final Clock clock, final Map<Long, PendingCall> pending, final Consumer<PendingCall> expired) {
        this.clock = clock;
        this.pending = pending;
        this.expired = expired;
    }

    /** Makes sure a sweep happens no later than {@code call}'s deadline; call after adding it to the map. */
    void track(final PendingCall call) {
        Sweep current = scheduled;
        if (current != null && call.deadlineNanos - current.atNanos >= 0) {
            return;
        }
        scheduleIfEarlier(call.deadlineNanos);
    }

    /** Cancels the timer for good (the connection is closed and has failed its calls). */
    void stop() {
        lock.lock();
        try {
            stopped = true;
            Sweep current = scheduled;
            if (current != null) {
                current.timer.cancel();
                scheduled = null;
            }
        } finally {
            lock.unlock();
        }
    }

    private void scheduleIfEarlier(final long atNanos) {
        lock.lock();
        try {
            Sweep current = scheduled;
            if (stopped || current != null && atNanos - current.atNanos >= 0) {
                return;
            }
            if (current != null) {
                current.timer.cancel();
            }
            Sweep sweep = new Sweep(atNanos);
            scheduled = sweep;
            sweep.timer = clock.schedule(Duration.ofNanos(Math.max(0, atNanos - clock.nanoTime())),
                    () -> run(sweep));
        } finally {
            lock.unlock();
        }
    }

    private void run(final Sweep sweep) {
        lock.lock();
        try {
            if (scheduled != sweep) {
                return;
            }
            // From here on, calls tracked during the scan schedule their own sweep rather than rely on this one.
            scheduled = null;
        } finally {
            lock.unlock();
        }
        long now = clock.nanoTime();
        long earliest = 0;
        boolean anyLeft = false;
        for (PendingCall call : pending.values()) {
            if (call.deadlineNanos - now <= 0) {
                if (pending.remove(call.requestId, call) && call.complete(PendingCall.TIMED_OUT)) {
                    expired.accept(call);
                }
            } else if (!anyLeft || call.deadlineNanos - earliest < 0) {
                anyLeft = true;
                earliest = call.deadlineNanos;
            }
        }
        if (anyLeft) {
            scheduleIfEarlier(earliest);
        }
    }

    /** A scheduled sweep; the timer is set right after construction, under the lock. */
    private static final class Sweep {
        final long atNanos;
        Timer timer;

        Sweep(final long atNanos) {
            this.atNanos = atNanos;
        }
    }
}
