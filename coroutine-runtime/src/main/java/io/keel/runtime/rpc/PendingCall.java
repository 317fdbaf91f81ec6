package io.keel.runtime.rpc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * One call waiting for its answer: the caller parks on it, and exactly one of the connection's reader, the
 * timeout sweep or the connection's death completes it.
 *
 * <p>The outcome is one of: a {@link ByteBuffer} (the response payload), a {@link RemoteError}, a
 * {@link ClientConnection.Closure} (the connection died), {@link #RETRY} (the connection closed, but the server
 * said it never ran the call), {@link #TIMED_OUT} or {@link #INTERRUPTED}.
 */
final class PendingCall {

    /** The outcome of a call whose deadline expired. */
    static final Object TIMED_OUT = new Object();
    /** The outcome of a call the server announced it never ran (GO_AWAY): safe to send again. */
    static final Object RETRY = new Object();
    /** The outcome of a call whose caller was interrupted. */
    static final Object INTERRUPTED = new Object();

    private static final VarHandle OUTCOME;

    static {
        try {
            OUTCOME = MethodHandles.lookup().findVarHandle(PendingCall.class, "outcome", Object.class);
        } catch (ReflectiveOperationException impossible) {
            throw new ExceptionInInitializerError(impossible);
        }
    }

    final long requestId;
    final long deadlineNanos;
    /** The frame that carries the call to the server. */
    final OutboundFrame request;
    private final Thread caller;
    private volatile Object outcome;

    PendingCall(final long requestId, final long deadlineNanos, final OutboundFrame request, final Thread caller) {
        this.requestId = requestId;
        this.deadlineNanos = deadlineNanos;
        this.request = request;
        this.caller = caller;
    }

    /** Sets the outcome and wakes the caller; false when another outcome got there first. */
    boolean complete(final Object result) {
        if (OUTCOME.compareAndSet(this, null, result)) {
            LockSupport.unpark(caller);
            return true;
        }
        return false;
    }

    /**
     * Parks the caller until the call has an outcome. An interrupt completes the call with
     * {@link #INTERRUPTED} unless a real outcome arrived first (then the interrupt stays pending).
     */
    Object await() {
        Object result;
        while ((result = outcome) == null) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                complete(INTERRUPTED);
                result = outcome;
                if (result != INTERRUPTED) {
                    Thread.currentThread().interrupt();
                }
                return result;
            }
        }
        return result;
    }

    /**
     * An error response.
     *
     * @param status the {@link RpcStatus}
     * @param message the server's message
     */
    record RemoteError(int status, String message) {
    }
}
