package io.keel.runtime.rpc;

import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * The bytes of request payloads that all connections of one server may hold at once.
 *
 * <p>Waiters are served first come, first served: otherwise a stream of small requests could starve a large
 * one for good. The price is that a small request queued behind a large one waits too, even if it would fit;
 * with a budget many times the maximum payload that wait is short. Each waiter parks on a condition of its
 * own and is woken only when it is at the head of the queue and bytes were released, so waiting costs nothing.
 */
final class RequestBudget {

    private final long capacity;
    private final LongConsumer inUseChanged;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private long inUse;

    /**
     * @param capacity the bytes available in all
     * @param inUseChanged told every change of the bytes in use (+acquired, -released), e.g. a metric
     */
    RequestBudget(final long capacity, final LongConsumer inUseChanged) {
        this.capacity = capacity;
        this.inUseChanged = inUseChanged;
    }

    /**
     * Takes {@code bytes}, waiting while they are not available.
     *
     * @param abandoned checked whenever the waiter wakes; once it is true the wait ends without the bytes.
     *     Whoever makes it true must call {@link #wakeAll()}.
     * @return true when the bytes were taken; false when abandoned or interrupted (the interrupt is kept)
     * @throws IllegalArgumentException when {@code bytes} exceeds the whole budget, which would wait forever
     */
    boolean acquire(final long bytes, final BooleanSupplier abandoned) {
        checkFits(bytes);
        lock.lock();
        try {
            if (takeIfFirstAndFits(bytes)) {
                return true;
            }
            Waiter self = new Waiter(lock.newCondition());
            waiters.addLast(self);
            try {
                while (true) {
                    if (abandoned.getAsBoolean()) {
                        return false;
                    }
                    if (waiters.peekFirst() == self && inUse + bytes <= capacity) {
                        take(bytes);
                        return true;
                    }
                    try {
                        self.turn.await();
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
            } finally {
                waiters.remove(self);
                // The next in line may fit now (what is left after us, or what we did not take after all).
                signalHead();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes {@code bytes} if they are available at once and nobody is queued before us.
     *
     * @return true when the bytes were taken; false, with nothing taken, when {@link #acquire} would wait
     */
    boolean tryAcquire(final long bytes) {
        checkFits(bytes);
        lock.lock();
        try {
            return takeIfFirstAndFits(bytes);
        } finally {
            lock.unlock();
        }
    }

    private void checkFits(final long bytes) {
        if (bytes > capacity || bytes < 0) {
            throw new IllegalArgumentException("cannot take " + bytes + " bytes of a budget of " + capacity);
        }
    }

    /** With the lock held: takes the bytes when nobody waits before us and they fit. */
    private boolean takeIfFirstAndFits(final long bytes) {
        if (waiters.isEmpty() && inUse + bytes <= capacity) {
            take(bytes);
            return true;
        }
        return false;
    }

    /** Gives back {@code bytes} taken by {@link #acquire} or {@link #tryAcquire}. */
    void release(final long bytes) {
        if (bytes == 0) {
            return;
        }
        lock.lock();
        try {
            if (bytes < 0 || bytes > inUse) {
                throw new IllegalStateException("releasing " + bytes + " bytes, but only " + inUse + " are in use");
            }
            inUse -= bytes;
            inUseChanged.accept(-bytes);
            signalHead();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiter so that it checks whether it was abandoned (e.g. its connection closed). */
    void wakeAll() {
        lock.lock();
        try {
            for (Waiter waiter : waiters) {
                waiter.turn.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Bytes taken and not yet released. */
    long inUse() {
        lock.lock();
        try {
            return inUse;
        } finally {
            lock.unlock();
        }
    }

    /** The bytes available in all. */
    long capacity() {
        return capacity;
    }

    private void take(final long bytes) {
        inUse += bytes;
        inUseChanged.accept(bytes);
    }

    private void signalHead() {
        Waiter head = waiters.peekFirst();
        if (head != null) {
            head.turn.signal();
        }
    }

    /** One parked acquirer; a record would compare by value, and the queue needs identity. */
    private static final class Waiter {
        private final Condition turn;

        Waiter(final Condition turn) {
            this.turn = turn;
        }
    }
}
