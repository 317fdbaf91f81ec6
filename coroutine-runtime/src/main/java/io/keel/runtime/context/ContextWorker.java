package io.keel.runtime.context;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A platform thread that runs one {@link ThreadContext}'s tasks and the continuations of the
 * virtual threads currently in that context. The {@code parked} flag is the worker's half of the
 * wake-up handshake with {@link ThreadContext#execute}: see {@link ThreadContext} for the protocol.
 */
final class ContextWorker extends Thread {

    final ThreadContext context;
    final AtomicBoolean parked = new AtomicBoolean();
    /** Worker-local turn flag: which of hand-off slot and queue to look at first. */
    boolean preferHandOff;

    ContextWorker(final ThreadContext context, final String name) {
        super(name);
        this.context = context;
        setDaemon(true);
    }

    @Override
    public void run() {
        context.runWorker(this);
    }
}
