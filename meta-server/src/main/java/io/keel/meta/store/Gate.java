package io.keel.meta.store;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps the LevelDB handle alive while readers use it: any number of holders, released from any
 * thread (a view may be closed elsewhere than where it was opened), and an exclusive swap that
 * waits for holders to leave and keeps new ones out. A thread that holds the gate must not swap.
 */
final class Gate {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private int holders;
    private boolean swapping;

    void enter() {
        lock.lock();
        try {
            while (swapping) {
                changed.awaitUninterruptibly();
            }
            holders++;
        } finally {
            lock.unlock();
        }
    }

    void leave() {
        lock.lock();
        try {
            holders--;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code body} with no holders inside. */
    <E extends Exception> void exclusive(final Body<E> body) throws E {
        lock.lock();
        try {
            while (swapping) {
                changed.awaitUninterruptibly();
            }
            swapping = true;
            while (holders > 0) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        try {
            body.run();
        } finally {
            lock.lock();
            try {
                swapping = false;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** What {@link #exclusive} runs. */
    @FunctionalInterface
    interface Body<E extends Exception> {
        void run() throws E;
    }
}
