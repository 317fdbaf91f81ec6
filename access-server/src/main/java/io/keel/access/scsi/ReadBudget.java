package io.keel.access.scsi;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bytes of heap the logical units' reads may hold at once: data-in that no lent transfer buffer
 * took (a READ over 1 MiB, or one while they are all lent) and blocks read to be compared or
 * copied (VERIFY, WRITE AND VERIFY, COMPARE AND WRITE, EXTENDED COPY). Without it a READ of
 * MAXIMUM TRANSFER LENGTH (32 MiB) per command in flight, 128 per session, could take far more
 * than the heap. A read waits for its bytes on its own (virtual) thread; one larger than the whole
 * budget runs when nothing else holds any, so it cannot wait forever. Writes have their own budget
 * in the transport, taken before their data is asked for.
 */
public final class ReadBudget {

    private static final ReadBudget SHARED = new ReadBudget(Runtime.getRuntime().maxMemory() / 8);

    private final long capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition returned = lock.newCondition();
    private long held;
    private int waiting;

    ReadBudget(final long capacity) {
        this.capacity = capacity;
    }

    /** The process's budget: an eighth of the heap (the write budget takes a quarter). */
    public static ReadBudget shared() {
        return SHARED;
    }

    /** Waits until {@code bytes} fit, holds them, and returns what gives them back (once). */
    Held acquire(final long bytes) {
        lock.lock();
        try {
            waiting++;
            try {
                while (held > 0 && held + bytes > capacity) {
                    returned.awaitUninterruptibly();
                }
            } finally {
                waiting--;
            }
            held += bytes;
        } finally {
            lock.unlock();
        }
        return new Held(this, bytes);
    }

    private void giveBack(final long bytes) {
        lock.lock();
        try {
            held -= bytes;
            returned.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Bytes held now (a gauge). */
    public long held() {
        lock.lock();
        try {
            return held;
        } finally {
            lock.unlock();
        }
    }

    /** Reads waiting for bytes now (a gauge: often above 0 means the budget, not the disk, paces reads). */
    public int waiting() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes held for one read; {@link #close} gives them back, at most once. */
    static final class Held implements AutoCloseable {
        private final ReadBudget budget;
        private final long bytes;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Held(final ReadBudget budget, final long bytes) {
            this.budget = budget;
            this.bytes = bytes;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                budget.giveBack(bytes);
            }
        }
    }
}
