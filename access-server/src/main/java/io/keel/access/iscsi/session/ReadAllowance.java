package io.keel.access.iscsi.session;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bytes of the medium one session's commands may hold in memory at once (a READ's data-in until it
 * is written to the socket, the blocks a VERIFY compares, an EXTENDED COPY's piece: see
 * {@code TransferLength.readIntoMemory}). Without it, READs of 32 MiB at a queue depth of 128 from
 * one initiator that takes its Data-In slowly could hold 4 GiB. How much is the session's part of
 * the portal's {@link ReadShare}, looked up whenever a command asks (so it shrinks as sessions log
 * in and grows as they leave). Per session, so a slow initiator, or a volume held back by its QoS
 * limit, only delays its own session's reads. Commands wait in arrival order on their own threads;
 * a waiting command whose task is aborted stops waiting (and does not run); one larger than the
 * whole allowance runs when nothing else holds any.
 */
final class ReadAllowance {

    /** How often a waiting command looks whether its task was aborted, or the session's share grew. */
    private static final long ABORT_CHECK_MILLIS = 50;

    private final ReadShare share;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Task> waiting = new ArrayDeque<>();
    private long held;

    ReadAllowance(final ReadShare share) {
        this.share = share;
    }

    /**
     * Waits until {@code task}'s {@code bytes} fit, after the tasks that came before it, and holds
     * them: true; false, holding nothing, when the task was aborted (or its thread interrupted)
     * meanwhile. {@code onWait} runs once if it has to wait.
     */
    boolean acquire(final Task task, final long bytes, final Runnable onWait) {
        lock.lock();
        try {
            waiting.addLast(task);
            try {
                boolean waited = false;
                while (waiting.peekFirst() != task || held > 0 && held + bytes > share.perSession()) {
                    if (task.aborted) {
                        return false;
                    }
                    if (!waited) {
                        waited = true;
                        onWait.run();
                    }
                    if (!awaitChange()) {
                        return false;
                    }
                }
                held += bytes;
                share.add(bytes);
                return true;
            } finally {
                waiting.remove(task);
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** False when the thread was interrupted. */
    private boolean awaitChange() {
        try {
            changed.await(ABORT_CHECK_MILLIS, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Gives back {@code bytes} acquired before. */
    void release(final long bytes) {
        lock.lock();
        try {
            held -= bytes;
            share.add(-bytes);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Bytes held now. */
    long held() {
        lock.lock();
        try {
            return held;
        } finally {
            lock.unlock();
        }
    }

    /** Commands waiting now. */
    int waiting() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }
}
