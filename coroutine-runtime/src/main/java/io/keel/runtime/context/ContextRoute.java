package io.keel.runtime.context;

import java.util.concurrent.Executor;

/**
 * The scheduler of one Keel virtual thread: it sends each continuation of that thread to the
 * thread's current context. A guard changes {@link #current} and yields, so the rest of the
 * block resumes on the new context. One route per virtual thread, referenced only by that
 * thread, so it goes away with the thread.
 */
final class ContextRoute implements Executor {

    private static final ThreadLocal<ContextRoute> OF_CURRENT_THREAD = new ThreadLocal<>();

    private volatile ThreadContext current;

    ContextRoute(final ThreadContext initial) {
        this.current = initial;
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
        return current;
    }

    void setCurrent(final ThreadContext context) {
        current = context;
    }

    @Override
    public void execute(final Runnable continuation) {
        current.executeContinuation(continuation);
    }
}
