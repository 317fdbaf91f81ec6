package io.keel.runtime.context;

import java.io.IOException;

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
        // The call uses the caller's buffers: the caller waits for it whatever happens.
        ParkedCall<T> offloaded = new ParkedCall<>(io::call);
        Thread.ofVirtual().name("keel-blocking").start(offloaded);
        try {
            return offloaded.await();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("unexpected checked exception from a blocking call", e);
        }
    }
}
