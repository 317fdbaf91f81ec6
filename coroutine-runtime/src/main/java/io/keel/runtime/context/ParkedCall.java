package io.keel.runtime.context;

import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/**
 * A call that another thread runs while its caller parks until it is done. The caller waits
 * through interrupts (keeping the flag): the call may still use the caller's buffers or state.
 */
final class ParkedCall<T> implements Runnable {

    private final Callable<T> body;
    private final Thread caller;
    private volatile boolean done;
    private T result;
    private Throwable thrown;

    /** A call of {@code body} that the constructing thread will {@link #await}. */
    ParkedCall(final Callable<T> body) {
        this.body = body;
        this.caller = Thread.currentThread();
    }

    @Override
    @SuppressWarnings("checkstyle:IllegalCatch")
    public void run() {
        try {
            result = body.call();
        } catch (Throwable t) {
            thrown = t;
        } finally {
            done = true;
            LockSupport.unpark(caller);
        }
    }

    /** Parks until the call has run, then returns its result or throws what it threw. */
    T await() throws Exception {
        boolean interrupted = false;
        while (!done) {
            LockSupport.park(this);
            interrupted |= Thread.interrupted();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (thrown instanceof Error error) {
            throw error;
        }
        if (thrown instanceof Exception exception) {
            throw exception;
        }
        if (thrown != null) {
            throw new IllegalStateException("the call threw a non-standard throwable", thrown);
        }
        return result;
    }
}
