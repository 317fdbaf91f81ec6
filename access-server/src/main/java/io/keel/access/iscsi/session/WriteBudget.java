package io.keel.access.iscsi.session;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bytes of solicited write data the whole portal may hold at once. A write is asked for its data
 * (R2T) only once its bytes are reserved here; otherwise it waits, without blocking the
 * connection's reader, until a finished command gives bytes back. So no mix of initiators, queue
 * depths and transfer lengths can make the target buffer more than this, while immediate and
 * unsolicited data stay bounded by FirstBurstLength times the CmdSN window.
 */
public final class WriteBudget {

    private final long capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();
    private long reserved;

    /** A budget of {@code capacity} bytes. */
    WriteBudget(final long capacity) {
        this.capacity = capacity;
    }

    /** A quarter of the heap: the rest is for everything else the node does. */
    public static WriteBudget ofHeap() {
        return new WriteBudget(Runtime.getRuntime().maxMemory() / 4);
    }

    /**
     * Reserves {@code bytes} if they fit (a single request larger than the whole budget fits when
     * nothing else is reserved, so it cannot wait forever); else queues {@code retry} to run once
     * bytes come back and returns false.
     */
    boolean tryReserve(final long bytes, final Runnable retry) {
        lock.lock();
        try {
            if (reserved == 0 || reserved + bytes <= capacity) {
                reserved += bytes;
                return true;
            }
            waiting.add(retry);
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Gives {@code bytes} back and lets the waiting writes try again, in the order they came. */
    void release(final long bytes) {
        lock.lock();
        try {
            reserved -= bytes;
        } finally {
            lock.unlock();
        }
        int count = waiting.size();
        for (int i = 0; i < count; i++) {
            Runnable retry = waiting.poll();
            if (retry == null) {
                break;
            }
            retry.run();
        }
    }

    /** Bytes reserved now (for metrics and tests). */
    long reserved() {
        lock.lock();
        try {
            return reserved;
        } finally {
            lock.unlock();
        }
    }
}
