package io.keel.runtime.queue;

import io.keel.runtime.time.Deadline;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded FIFO of work between producers and consumers that pushes back instead of growing:
 * {@link #offer} answers {@link Offer#BACK_PRESSURED} when full, {@link #put} waits for room until
 * a deadline. After {@link #close()} producers are refused and consumers drain what is left.
 * Waiting parks virtual threads without pinning them (a {@link ReentrantLock}, not a monitor).
 *
 * @param <T> the work item type
 */
public final class BoundedWorkQueue<T> implements AutoCloseable {

    /** The outcome of a non-blocking {@link #offer}. */
    public enum Offer {
        /** The item is queued. */
        ACCEPTED,
        /** The queue is full; the caller should slow down, shed, or report busy. */
        BACK_PRESSURED,
        /** The queue is closed and takes nothing more. */
        CLOSED
    }

    private final String name;
    private final int capacity;
    private final ArrayDeque<T> items;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final LongAdder backPressured = new LongAdder();
    private boolean closed;

    /** A queue called {@code name} (for errors and metrics) holding at most {@code capacity} items. */
    public BoundedWorkQueue(final String name, final int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.name = name;
        this.capacity = capacity;
        this.items = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    /** Queues {@code item} if there is room, without waiting. */
    public Offer offer(final T item) {
        lock.lock();
        try {
            if (closed) {
                return Offer.CLOSED;
            }
            if (items.size() >= capacity) {
                backPressured.increment();
                return Offer.BACK_PRESSURED;
            }
            items.addLast(item);
            notEmpty.signal();
            return Offer.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues {@code item}, waiting for room until {@code deadline}.
     *
     * @throws TimeoutException the queue stayed full until the deadline
     * @throws QueueClosedException the queue is closed
     */
    public void put(final T item, final Deadline deadline) throws InterruptedException, TimeoutException {
        lock.lockInterruptibly();
        try {
            while (!closed && items.size() >= capacity) {
                long left = deadline.remainingNanos();
                if (left <= 0) {
                    backPressured.increment();
                    throw new TimeoutException("work queue " + name + " stayed full (" + capacity + " items)");
                }
                notFull.awaitNanos(left);
            }
            if (closed) {
                throw new QueueClosedException(name);
            }
            items.addLast(item);
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Takes the oldest item, waiting for one; null once the queue is closed and empty. */
    public T take() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (items.isEmpty()) {
                if (closed) {
                    return null;
                }
                notEmpty.await();
            }
            return removeFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Takes the oldest item, waiting until {@code deadline}; null on timeout or when closed and empty. */
    public T poll(final Deadline deadline) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (items.isEmpty()) {
                long left = deadline.remainingNanos();
                if (closed || left <= 0) {
                    return null;
                }
                notEmpty.awaitNanos(left);
            }
            return removeFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Moves up to {@code max} queued items into {@code sink} without waiting; returns how many. */
    public int drainTo(final Collection<? super T> sink, final int max) {
        lock.lock();
        try {
            int moved = 0;
            while (moved < max && !items.isEmpty()) {
                sink.add(items.removeFirst());
                moved++;
            }
            if (moved > 0) {
                notFull.signalAll();
            }
            return moved;
        } finally {
            lock.unlock();
        }
    }

    private T removeFirst() {
        T item = items.removeFirst();
        notFull.signal();
        return item;
    }

    /** Items waiting now. */
    public int depth() {
        lock.lock();
        try {
            return items.size();
        } finally {
            lock.unlock();
        }
    }

    /** The most items the queue holds. */
    public int capacity() {
        return capacity;
    }

    /** How often a producer was refused or timed out because the queue was full. */
    public long backPressuredCount() {
        return backPressured.sum();
    }

    /** The queue's name. */
    public String name() {
        return name;
    }

    /** Refuses new items and wakes every waiter; queued items can still be taken. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
