package io.keel.access.volume;

import io.keel.runtime.time.Clock;
import java.io.InterruptedIOException;
import java.time.Duration;

/**
 * Holds one volume's reads and writes to its QoS limits: operations per second and bytes per
 * second, each a token bucket that refills at its rate and holds at most one second of it (the
 * burst a quiet volume may spend at once). A call that finds too few tokens takes them anyway and
 * waits until the bucket would have refilled that debt, so a request larger than a second's worth
 * of bytes is slowed, never refused, and callers are served in the order they came. Unlimited (the
 * default) costs one volatile read per call.
 *
 * <p>A write whose data is yet to come can be admitted first ({@link #admitWrite}): it pays its
 * tokens then, and waits for the limit before its data is asked for rather than holding the data
 * while it waits. What admitted writes paid is a credit that writes spend before the buckets, so
 * every operation is paid once, whichever write spends which credit.
 */
public final class VolumeThrottle {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Clock clock;
    /** The limits in force; null when there are none. */
    private volatile Limits limits;

    /** The rates (0: that one is unlimited) and the buckets, which move under this object's lock. */
    private static final class Limits {
        final long iops;
        final long bytesPerSecond;
        double operations;
        double bytes;
        long refilledAt;
        /** Paid ahead by admitted writes, spent by writes before the buckets. */
        long prepaidOperations;
        long prepaidBytes;

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
        return true;
    }

    /** Whether a limit is in force. */
    public boolean limited() {
        return limits != null;
    }

    /**
     * Takes the tokens of one read or write ({@code write}) of {@code length} bytes if the credit
     * (writes only) and the buckets hold them now; false, taking nothing, otherwise (the caller then
     * goes the way that may wait, {@link #acquire}).
     */
    boolean tryAcquire(final long length, final boolean write) {
        Limits in = limits;
        if (in == null) {
            return true;
        }
        synchronized (this) {
            refill(in);
            boolean operationPaid = write && in.prepaidOperations > 0;
            long bytesDue = length - (write ? Math.min(in.prepaidBytes, length) : 0);
            if ((in.iops > 0 && !operationPaid && in.operations < 1)
                    || (in.bytesPerSecond > 0 && bytesDue > 0 && in.bytes < bytesDue)) {
                return false;
            }
            spend(in, length, write);
            return true;
        }
    }

    /**
     * Gives back what {@link #tryAcquire} took for a call that then did not go that way after all:
     * a write's as credit (its blocking way spends it again), a read's to the buckets.
     */
    void refund(final long length, final boolean write) {
        Limits in = limits;
        if (in == null) {
            return;
        }
        synchronized (this) {
            if (write) {
                in.prepaidOperations++;
                in.prepaidBytes += length;
            } else {
                in.operations = Math.min(in.operations + 1, in.iops);
                in.bytes = Math.min(in.bytes + length, in.bytesPerSecond);
            }
        }
    }

    /**
     * Admits a write of {@code length} bytes whose data has not come yet: takes its tokens now (they
     * become credit its execution spends) and answers true when it may go on at once; otherwise
     * false, and runs {@code whenAdmitted} on a new virtual thread once the limits have let it through.
     */
    public boolean admitWrite(final long length, final Runnable whenAdmitted) {
        long wait = admit(length);
        if (wait == 0) {
            return true;
        }
        clock.schedule(Duration.ofNanos(wait), () -> Thread.ofVirtual().name("qos-admitted").start(whenAdmitted));
        return false;
    }

    /** Pays for a write of {@code length} bytes ahead, as credit; returns how long it must wait first (ns). */
    long admit(final long length) {
        Limits in = limits;
        if (in == null) {
            return 0;
        }
        synchronized (this) {
            refill(in);
            take(in, 1, length);
            in.prepaidOperations++;
            in.prepaidBytes += length;
            return debt(in);
        }
    }

    /** Takes the tokens of one read or write ({@code write}) of {@code length} bytes, waiting as the limits say. */
    void acquire(final long length, final boolean write) throws InterruptedIOException {
        long wait = reserve(length, write);
        if (wait > 0) {
            try {
                clock.sleep(Duration.ofNanos(wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while the volume's QoS limit held a call back");
            }
        }
    }

    /**
     * Takes the tokens of one read or write ({@code write}) of {@code length} bytes; returns how long
     * the caller must wait first (ns).
     */
    long reserve(final long length, final boolean write) {
        Limits in = limits;
        if (in == null) {
            return 0;
        }
        synchronized (this) {
            refill(in);
            spend(in, length, write);
            return debt(in);
        }
    }

    /** How long until the buckets have refilled what they owe (ns). */
    private static long debt(final Limits in) {
        double seconds = Math.max(in.iops > 0 ? -in.operations / in.iops : 0,
                in.bytesPerSecond > 0 ? -in.bytes / in.bytesPerSecond : 0);
        return (long) Math.ceil(Math.max(0, seconds) * NANOS_PER_SECOND);
    }

    /** Pays for one call: a write from the credit first, the rest from the buckets. */
    private static void spend(final Limits in, final long length, final boolean write) {
        int operations = 1;
        long bytes = length;
        if (write) {
            if (in.prepaidOperations > 0) {
                in.prepaidOperations--;
                operations = 0;
            }
            long fromCredit = Math.min(in.prepaidBytes, length);
            in.prepaidBytes -= fromCredit;
            bytes -= fromCredit;
        }
        take(in, operations, bytes);
    }

    private void refill(final Limits in) {
        long now = clock.nanoTime();
        double seconds = (now - in.refilledAt) / (double) NANOS_PER_SECOND;
        in.refilledAt = now;
        in.operations = Math.min(in.operations + seconds * in.iops, in.iops);
        in.bytes = Math.min(in.bytes + seconds * in.bytesPerSecond, in.bytesPerSecond);
    }

    private static void take(final Limits in, final int operations, final long length) {
        if (in.iops > 0) {
            in.operations -= operations;
        }
        if (in.bytesPerSecond > 0) {
            in.bytes -= length;
        }
    }
}
