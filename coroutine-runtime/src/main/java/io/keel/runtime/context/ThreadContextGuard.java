package io.keel.runtime.context;

import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the rest of a block on another {@link ThreadContext}:
 *
 * <pre>{@code
 * try (var guard = ThreadContextGuard.enter(worker)) {
 *     // runs on worker's thread; sleeps, locks and I/O resume there too
 * }
 * // back on the context we came from, also after an exception
 * }</pre>
 *
 * <p>On a Keel virtual thread (started by {@link ThreadContext#spawn}) entering changes the
 * thread's current context and yields, so its scheduler resumes it on the target; closing moves it
 * back. Guards nest. On any other thread, and in the fallback when the JDK's custom-scheduler API
 * is missing, the guard <em>holds</em> the target instead: one of the target's threads waits
 * until the guard closes while the block runs on the caller, which keeps the target's
 * single-writer guarantee (but, unlike a move, holds outer contexts too, so nested holds must not
 * form cycles). A guard must be closed by the thread that entered it, innermost first.
 */
public final class ThreadContextGuard implements AutoCloseable {

    /** Contexts held by the current thread, innermost first; absent when none. */
    private static final ThreadLocal<ArrayDeque<ThreadContext>> HELD = new ThreadLocal<>();

    private final Thread owner;
    private final ContextRoute route;
    private final ThreadContext previous;
    private final Hold hold;
    private boolean closed;

    private ThreadContextGuard(final ContextRoute route, final ThreadContext previous, final Hold hold) {
        this.owner = Thread.currentThread();
        this.route = route;
        this.previous = previous;
        this.hold = hold;
    }

    /**
     * Moves the calling code onto {@code target} until the returned guard is closed.
     *
     * @throws RejectedExecutionException when {@code target} is closed
     * @throws IllegalStateException when the virtual thread is pinned to its carrier (inside a
     *     native frame) and so cannot move
     */
    public static ThreadContextGuard enter(final ThreadContext target) {
        if (target.isClosed()) {
            throw new RejectedExecutionException("thread context " + target.name() + " is closed");
        }
        ContextRoute route = ContextRoute.ofCurrentThread();
        if (route != null) {
            ThreadContext previous = route.current();
            if (previous == target) {
                return new ThreadContextGuard(null, null, null);
            }
            if (!moveTo(route, target)) {
                moveTo(route, previous);
                throw new IllegalStateException("cannot enter thread context " + target.name()
                        + ": the virtual thread is pinned to its carrier and did not move");
            }
            return new ThreadContextGuard(route, previous, null);
        }
        if (ThreadContext.current() == target) {
            return new ThreadContextGuard(null, null, null);
        }
        Hold hold = Hold.acquire(target);
        ArrayDeque<ThreadContext> held = HELD.get();
        if (held == null) {
            held = new ArrayDeque<>();
            HELD.set(held);
        }
        held.push(target);
        return new ThreadContextGuard(null, null, hold);
    }

    /** The context the calling thread holds through its innermost holding guard, or null. */
    static ThreadContext heldByCurrentThread() {
        ArrayDeque<ThreadContext> held = HELD.get();
        return held == null ? null : held.peek();
    }

    /** Returns to the context the guard was entered from. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a thread-context guard must be closed by the thread that entered it");
        }
        closed = true;
        if (route != null) {
            moveTo(route, previous);
        } else if (hold != null) {
            ArrayDeque<ThreadContext> held = HELD.get();
            held.pop();
            if (held.isEmpty()) {
                HELD.remove(); // no per-thread state left behind once nothing is held
            }
            hold.release();
        }
    }

    /** Changes the route and yields; true when the thread now runs on a thread of {@code target}. */
    private static boolean moveTo(final ContextRoute route, final ThreadContext target) {
        route.setCurrent(target);
        Thread.yield();
        // A closed target sends continuations to a shared pool, which is where we are then.
        return target.isClosed() || VirtualThreadFactory.currentCarrierThread() instanceof ContextWorker worker
                && worker.context == target;
    }

    /** A task that occupies one thread of a context until released. */
    private static final class Hold implements Runnable {
        private final Thread holder;
        private volatile Thread worker;
        private volatile boolean entered;
        private volatile boolean released;

        private Hold(final Thread holder) {
            this.holder = holder;
        }

        static Hold acquire(final ThreadContext target) {
            Hold hold = new Hold(Thread.currentThread());
            target.execute(hold);
            boolean interrupted = false;
            // The hold task is already queued and cannot be withdrawn, so wait for it even when
            // interrupted, and leave the interrupt for the block to see.
            while (!hold.entered) {
                LockSupport.park(hold);
                interrupted |= Thread.interrupted();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return hold;
        }

        @Override
        public void run() {
            worker = Thread.currentThread();
            entered = true;
            LockSupport.unpark(holder);
            while (!released) {
                LockSupport.park(this);
            }
        }

        void release() {
            released = true;
            LockSupport.unpark(worker);
        }
    }
}
