package io.keel.access.volume;

import io.keel.access.scsi.WriteAdmission;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.Timer;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Holds one volume's reads and writes to its QoS limits: operations per second and bytes per
 * second, each a token bucket that refills at its rate and holds at most one second of it (the
 * burst a quiet volume may spend at once). A call that finds too few tokens takes them anyway and
 * waits until the bucket would have refilled that debt, so a request larger than a second's worth
 * of bytes is slowed, never refused, and callers are served in the order they came. Unlimited (the
 * default) costs one volatile read per call.
 *
 * <p>A write whose data is yet to come can be admitted first ({@link #admitWrite}): it pays its
 * tokens then and waits for the limit before its data is asked for, rather than holding the data
 * while it waits. The admission it gets is a ticket: handed back with the write, it lets that
 * write through without paying again; released unspent (the write was aborted or refused), it
 * gives its tokens back (and, if the write still waited, it stops waiting). A change of limits lets
 * every write still waiting for admission through at once (each paid under the old limits; the new
 * ones start full).
 */
public final class VolumeThrottle {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Clock clock;
    /** The limits in force; null when there are none. */
    private volatile Limits limits;
    /** Admitted writes waiting for their time, and the timers that will let them through. */
    private final Map<Ticket, Waiting> waiting = new ConcurrentHashMap<>();

    /**
     * A write waiting for admission: what runs when it may go, and its timer (set once scheduled).
     * Whoever removes it from {@link #waiting} decides: its timer or a change of limits lets the
     * write go, its release cancels it; so it goes at most once.
     */
    private static final class Waiting {
        final Runnable go;
        volatile Timer timer;

        Waiting(final Runnable go) {
            this.go = go;
        }

        void cancelTimer() {
            Timer t = timer;
            if (t != null) {
                t.cancel();
            }
        }
    }

    /** The rates (0: that one is unlimited) and the buckets, which move under this object's lock. */
    private static final class Limits {
        final long iops;
        final long bytesPerSecond;
        double operations;
        double bytes;
        long refilledAt;

        Limits(final long iops, final long bytesPerSecond, final long now) {
            this.iops = iops;
            this.bytesPerSecond = bytesPerSecond;
            this.operations = iops;
            this.bytes = bytesPerSecond;
            this.refilledAt = now;
        }
    }

    /** A throttle without limits, on {@code clock}'s time. */
    public VolumeThrottle(final Clock clock) {
        this.clock = clock;
    }

    /**
     * Sets the limits: {@code iops} operations and {@code bytesPerSecond} bytes per second, 0 for
     * unlimited. Unchanged limits keep their buckets; new ones start full. Returns whether they changed.
     */
    public synchronized boolean limit(final long iops, final long bytesPerSecond) {
        if (iops < 0 || bytesPerSecond < 0) {
            throw new IllegalArgumentException("QoS limits must be 0 (unlimited) or positive, not " + iops
                    + " IOPS and " + bytesPerSecond + " bytes/s");
        }
        Limits current = limits;
        boolean unlimited = iops == 0 && bytesPerSecond == 0;
        if (current == null ? unlimited : current.iops == iops && current.bytesPerSecond == bytesPerSecond) {
            return false;
        }
        limits = unlimited ? null : new Limits(iops, bytesPerSecond, clock.nanoTime());
        for (Ticket ticket : List.copyOf(waiting.keySet())) {
            letGo(ticket);
        }
        return true;
    }

    /** Whether a limit is in force. */
    public boolean limited() {
        return limits != null;
    }

    /**
     * Takes the tokens of one call of {@code length} bytes if the buckets hold them now, or spends
     * {@code admission} (the call's own, from {@link #admitWrite}; null for none); false, taking
     * nothing, otherwise (the caller then goes the way that may wait, {@link #acquire}).
     */
    boolean tryAcquire(final long length, final WriteAdmission admission) {
        if (spend(admission)) {
            return true;
        }
        Limits in = limits;
        if (in == null) {
            return true;
        }
        synchronized (this) {
            refill(in);
            if ((in.iops > 0 && in.operations < 1) || (in.bytesPerSecond > 0 && in.bytes < length)) {
                return false;
            }
            take(in, length);
            return true;
        }
    }

    /** Gives back what {@link #tryAcquire} took for a call that then did not go that way after all. */
    void refund(final long length, final WriteAdmission admission) {
        Ticket ticket = own(admission);
        if (ticket != null && ticket.unspend()) {
            return;
        }
        Limits in = limits;
        if (in == null) {
            return;
        }
        giveBack(in, length);
    }

    /**
     * Admits a write of {@code length} bytes whose data has not come yet: takes its tokens now and
     * returns its admission ({@link WriteAdmission#NONE} without limits). When the limits say wait,
     * the admission {@link WriteAdmission#waits} and {@code whenAdmitted} runs on a new virtual
     * thread once they let the write through, unless the admission is released first.
     */
    public WriteAdmission admitWrite(final long length, final Runnable whenAdmitted) {
        if (limits == null) {
            return WriteAdmission.NONE;
        }
        Ticket ticket;
        Waiting w = null;
        long wait;
        // Under the lock that limit() takes, so a change of limits sees this write waiting or finds
        // it admitted under the new limits, never in between.
        synchronized (this) {
            Limits in = limits;
            if (in == null) {
                return WriteAdmission.NONE;
            }
            wait = charge(in, length);
            ticket = new Ticket(in, length, wait > 0);
            if (wait > 0) {
                w = new Waiting(() -> Thread.ofVirtual().name("qos-admitted").start(whenAdmitted));
                waiting.put(ticket, w);
            }
        }
        if (w != null) {
            // A timer that fires after a change of limits or a release took the write finds nothing to do.
            w.timer = clock.schedule(Duration.ofNanos(wait), () -> letGo(ticket));
        }
        return ticket;
    }

    /**
     * Takes the tokens of one call of {@code length} bytes, or spends {@code admission} (the call's
     * own, or null), waiting as long as the limits say.
     */
    void acquire(final long length, final WriteAdmission admission) throws InterruptedIOException {
        if (spend(admission)) {
            return;
        }
        long wait = reserve(length);
        if (wait > 0) {
            try {
                clock.sleep(Duration.ofNanos(wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while the volume's QoS limit held a call back");
            }
        }
    }

    /** Takes the tokens of one call of {@code length} bytes; returns how long the caller must wait first (ns). */
    long reserve(final long length) {
        Limits in = limits;
        if (in == null) {
            return 0;
        }
        synchronized (this) {
            return charge(in, length);
        }
    }

    /** Takes one call's tokens from {@code in} (refilled first, under this object's lock); returns the wait (ns). */
    private long charge(final Limits in, final long length) {
        refill(in);
        take(in, length);
        return debt(in);
    }

    /** Whether {@code admission} is one of this throttle's tickets, unspent, and now spent. */
    private boolean spend(final WriteAdmission admission) {
        Ticket ticket = own(admission);
        return ticket != null && ticket.spend();
    }

    /** {@code admission} when it is one of this throttle's tickets, else null. */
    private Ticket own(final WriteAdmission admission) {
        return admission instanceof Ticket ticket && ticket.owner() == this ? ticket : null;
    }

    /** Lets {@code ticket}'s waiting write go, unless its timer, a change of limits or its release took it. */
    private void letGo(final Ticket ticket) {
        Waiting w = waiting.remove(ticket);
        if (w != null) {
            w.cancelTimer();
            w.go.run();
        }
    }

    /** Puts one call's tokens back into {@code in}'s buckets (never above their one second). */
    private void giveBack(final Limits in, final long length) {
        synchronized (this) {
            in.operations = Math.min(in.operations + 1, in.iops);
            in.bytes = Math.min(in.bytes + length, in.bytesPerSecond);
        }
    }

    /** How long until the buckets have refilled what they owe (ns). */
    private static long debt(final Limits in) {
        double seconds = Math.max(in.iops > 0 ? -in.operations / in.iops : 0,
                in.bytesPerSecond > 0 ? -in.bytes / in.bytesPerSecond : 0);
        return (long) Math.ceil(Math.max(0, seconds) * NANOS_PER_SECOND);
    }

    /**
     * The tokens one admitted write paid into {@code paidTo} (the limits then in force): spent by
     * that write's call, or given back by {@link #release} if the write never made it.
     */
    private final class Ticket implements WriteAdmission {
        private static final int UNSPENT = 0;
        private static final int SPENT = 1;
        private static final int RELEASED = 2;

        private final Limits paidTo;
        private final long length;
        private final boolean waits;
        private final AtomicInteger state = new AtomicInteger(UNSPENT);

        Ticket(final Limits paidTo, final long length, final boolean waits) {
            this.paidTo = paidTo;
            this.length = length;
            this.waits = waits;
        }

        @Override
        public boolean waits() {
            return waits;
        }

        VolumeThrottle owner() {
            return VolumeThrottle.this;
        }

        boolean spend() {
            return state.compareAndSet(UNSPENT, SPENT);
        }

        /** Undoes {@link #spend} for a call that did not go the way that spent it. */
        boolean unspend() {
            return state.compareAndSet(SPENT, UNSPENT);
        }

        @Override
        public void release() {
            if (state.compareAndSet(UNSPENT, RELEASED)) {
                Waiting w = waiting.remove(this);
                if (w != null) {
                    w.cancelTimer();
                }
                giveBack(paidTo, length);
            }
        }
    }

    private void refill(final Limits in) {
        long now = clock.nanoTime();
        double seconds = (now - in.refilledAt) / (double) NANOS_PER_SECOND;
        in.refilledAt = now;
        in.operations = Math.min(in.operations + seconds * in.iops, in.iops);
        in.bytes = Math.min(in.bytes + seconds * in.bytesPerSecond, in.bytesPerSecond);
    }

    private static void take(final Limits in, final long length) {
        if (in.iops > 0) {
            in.operations -= 1;
        }
        if (in.bytesPerSecond > 0) {
            in.bytes -= length;
        }
    }
}
