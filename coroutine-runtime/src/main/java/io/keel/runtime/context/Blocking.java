package io.keel.runtime.context;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;

/**
 * Blocking calls (file I/O) made from Keel virtual threads. A Keel virtual thread runs on its
 * context's own threads, and a system call that blocks holds that thread: unlike the JDK's
 * scheduler, a context adds no thread meanwhile. When other work already waits for the context's
 * threads, {@link #call} therefore makes the call on a JDK virtual thread (whose scheduler
 * compensates for blocking calls) and parks the caller, which gives its thread back. Otherwise,
 * and on any other thread, the call runs right there.
 */
public final class Blocking {

    /** A call that blocks its thread and may fail with an {@link IOException}. */
    @FunctionalInterface
    public interface IoCall<T> {
        /** Makes the call. */
        T call() throws IOException;
    }

    private Blocking() {
    }

    /** Makes {@code io}, off the context's thread when other work waits for it (see the class comment). */
    public static <T> T call(final IoCall<T> io) throws IOException {
        ContextRoute route = ContextRoute.ofCurrentThread();
        if (route == null || !route.current().hasQueuedWork()) {
            return io.call();
        }
        Offloaded<T> offloaded = new Offloaded<>(io, Thread.currentThread());
        Thread.ofVirtual().name("keel-blocking").start(offloaded);
        return offloaded.await();
    }

    /** The call on its JDK virtual thread; the caller parks until it is done. */
    private static final class Offloaded<T> implements Runnable {
        private final IoCall<T> io;
        private final Thread caller;
        private volatile boolean done;
        private T result;
        private IOException failure;
        private RuntimeException unchecked;
        private Error error;

        Offloaded(final IoCall<T> io, final Thread caller) {
            this.io = io;
            this.caller = caller;
        }

        @Override
        public void run() {
            try {
                result = io.call();
            } catch (IOException e) {
                failure = e;
            } catch (RuntimeException e) {
                unchecked = e;
            } catch (Error e) {
                error = e;
            } finally {
                done = true;
                LockSupport.unpark(caller);
            }
        }

        T await() throws IOException {
            boolean interrupted = false;
            while (!done) {
                LockSupport.park(this);
                // The call still uses the caller's buffers: wait for it whatever happens.
                interrupted |= Thread.interrupted();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (error != null) {
                throw error;
            }
            if (unchecked != null) {
                throw unchecked;
            }
            if (failure != null) {
                throw failure;
            }
            return result;
        }
    }
}
