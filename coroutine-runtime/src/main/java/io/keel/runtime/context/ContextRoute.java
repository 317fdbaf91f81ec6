package io.keel.runtime.context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Executor;

/**
 * The scheduler of one Keel virtual thread: it sends each continuation of that thread to the
 * thread's current context. A guard changes {@link #current} and yields, so the rest of the
 * block resumes on the new context. One route per virtual thread, referenced only by that
 * thread, so it goes away with the thread.
 */
final class ContextRoute implements Executor {

    private static final ThreadLocal<ContextRoute> OF_CURRENT_THREAD = new ThreadLocal<>();

    private static final VarHandle CURRENT;

    static {
        try {
            CURRENT = MethodHandles.lookup().findVarHandle(ContextRoute.class, "current", ThreadContext.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ThreadContext current;

    ContextRoute(final ThreadContext initial) {
        CURRENT.set(this, initial);
    }

    /** The route of the calling virtual thread, or null when it was not started by a context. */
    static ContextRoute ofCurrentThread() {
        return OF_CURRENT_THREAD.get();
    }

    /** Called first thing on the new virtual thread, so that guards can find their route. */
    void bindToCurrentThread() {
        OF_CURRENT_THREAD.set(this);
    }

    ThreadContext current() {
        return (ThreadContext) CURRENT.getAcquire(this);
    }

    /**
     * A release store is enough: the thread itself reads the route when it yields, and any other
     * thread that resumes it does so through the JDK's own volatile state transitions, which
     * order this store before that read. It saves a full fence on every guard.
     */
    void setCurrent(final ThreadContext context) {
        CURRENT.setRelease(this, context);
    }

    @Override
    public void execute(final Runnable continuation) {
        current().executeContinuation(continuation);
    }
}
