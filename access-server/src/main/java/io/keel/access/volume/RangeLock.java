package io.keel.access.volume;

import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Shared and exclusive locks on byte ranges of one volume. Whole-sector writes share their
 * ranges; a read-modify-write of a partial sector and a COMPARE AND WRITE hold theirs
 * exclusively, so neither can lose or interleave with a concurrent write to the same sectors.
 * Few ranges are held at once (one per command in flight), so a list under one lock is enough.
 */
final class RangeLock {

    private final ReentrantLock mutex = new ReentrantLock();
    private final Condition released = mutex.newCondition();
    private final List<Held> held = new ArrayList<>();

    /** A held range; closing releases it. */
    final class Held implements AutoCloseable {
        private final long start;
        private final long end;
        private final boolean exclusive;

        private Held(final long start, final long end, final boolean exclusive) {
            this.start = start;
            this.end = end;
            this.exclusive = exclusive;
        }

        private boolean conflictsWith(final long otherStart, final long otherEnd, final boolean otherExclusive) {
            return (exclusive || otherExclusive) && start < otherEnd && otherStart < end;
        }

        @Override
        public void close() {
            mutex.lock();
            try {
                held.remove(this);
                released.signalAll();
            } finally {
                mutex.unlock();
            }
        }
    }

    /** Waits until {@code [start, end)} can be held in the given mode, then holds it. */
    Held acquire(final long start, final long end, final boolean exclusive) throws InterruptedIOException {
        mutex.lock();
        try {
            while (conflicts(start, end, exclusive)) {
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    InterruptedIOException interrupted = new InterruptedIOException(
                            "interrupted while waiting for a byte range lock");
                    interrupted.initCause(e);
                    throw interrupted;
                }
            }
            return hold(start, end, exclusive);
        } finally {
            mutex.unlock();
        }
    }

    /** Holds {@code [start, end)} shared if no exclusive holder is in the way; null (holding nothing) otherwise. */
    Held tryAcquireShared(final long start, final long end) {
        mutex.lock();
        try {
            return conflicts(start, end, false) ? null : hold(start, end, false);
        } finally {
            mutex.unlock();
        }
    }

    /** Mutex held, no conflict. */
    private Held hold(final long start, final long end, final boolean exclusive) {
        Held range = new Held(start, end, exclusive);
        held.add(range);
        return range;
    }

    private boolean conflicts(final long start, final long end, final boolean exclusive) {
        for (Held range : held) {
            if (range.conflictsWith(start, end, exclusive)) {
                return true;
            }
        }
        return false;
    }
}
