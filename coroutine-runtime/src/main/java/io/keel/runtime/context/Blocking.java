package io.keel.runtime.context;

import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Blocking calls (file I/O) made from Keel virtual threads. A Keel virtual thread runs on its
 * context's own threads, and a system call that blocks holds that thread: unlike the JDK's
 * scheduler, a context adds no thread meanwhile. When other work already waits for the context's
 * threads, or when as many of them as may block at once already do (all but one of a pool's, so
 * work arriving during a long call still finds a thread), {@link #call} therefore makes the call
 * elsewhere and parks the caller, which gives its thread back: on a JDK virtual thread while fewer
 * such calls are out than the JDK scheduler has carriers, else on a shared pool of platform
 * threads. Otherwise, and on any other thread, the call runs right there. Native calls that block
 * ({@link #callNative}) never run on a JDK virtual thread.
 */
public final class Blocking {

    /** A call that blocks its thread and may fail with an {@link IOException}. */
    @FunctionalInterface
    public interface IoCall<T> {
        /** Makes the call. */
        T call() throws IOException;
    }

    /**
     * Offloaded calls in flight on JDK virtual threads at most: one per carrier of the JDK's
     * scheduler. A JDK virtual thread blocked in {@code pread} was measured to hold its carrier:
     * with 32 reads offloaded that way, 2 were in the kernel and 14 waited for a carrier
     * (docs/benchmarks.md). A virtual thread is the cheaper hand-off while few calls are out (a
     * journal's commits), so only the calls beyond these go to platform threads.
     */
    private static final String THREAD_NAME = "keel-blocking";
    static final int VIRTUAL_THREAD_CALLS = Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
            Runtime.getRuntime().availableProcessors());
    private static final AtomicInteger ON_VIRTUAL_THREADS = new AtomicInteger();
    /** Most platform threads making offloaded calls at once; further calls go to JDK virtual threads. */
    private static final int MAX_PLATFORM_THREADS = 256;
    /** Where offloaded calls beyond {@link #VIRTUAL_THREAD_CALLS} run. */
    private static final ThreadPoolExecutor PLATFORM = new ThreadPoolExecutor(0, MAX_PLATFORM_THREADS, 60,
            TimeUnit.SECONDS, new SynchronousQueue<>(), runnable -> {
                Thread thread = new Thread(runnable, THREAD_NAME);
                thread.setDaemon(true);
                return thread;
            });

    private Blocking() {
    }

    /**
     * Starts {@code call} on a JDK virtual thread while carriers are left for it (and it may run on
     * one), else on the platform pool.
     */
    private static void offload(final Runnable call, final boolean platformOnly) {
        if (!platformOnly && ON_VIRTUAL_THREADS.incrementAndGet() <= VIRTUAL_THREAD_CALLS) {
            Thread.ofVirtual().name(THREAD_NAME).start(() -> {
                try {
                    call.run();
                } finally {
                    ON_VIRTUAL_THREADS.decrementAndGet();
                }
            });
            return;
        }
        if (!platformOnly) {
            ON_VIRTUAL_THREADS.decrementAndGet();
        }
        try {
            PLATFORM.execute(call);
        } catch (RejectedExecutionException e) {
            Thread.ofVirtual().name(THREAD_NAME).start(call);
        }
    }

    /** Makes {@code io}, off the context's thread when other work waits for it (see the class comment). */
    public static <T> T call(final IoCall<T> io) throws IOException {
        return call(io, false);
    }

    /**
     * As {@link #call}, for a call into native code through the foreign function API that blocks
     * (an {@code io_getevents}): such a call holds a virtual thread's carrier, and the JDK's scheduler
     * adds no carrier meanwhile as it does around a blocking {@code FileChannel} call. So it never
     * runs on a JDK virtual thread: when the caller is one, or when {@link #call} would move the call
     * to one, it runs on the platform pool.
     */
    public static <T> T callNative(final IoCall<T> io) throws IOException {
        return call(io, true);
    }

    private static <T> T call(final IoCall<T> io, final boolean nativeCall) throws IOException {
        ContextRoute route = ContextRoute.ofCurrentThread();
        if (route == null) {
            if (!nativeCall || !Thread.currentThread().isVirtual()) {
                return io.call();
            }
        } else {
            ThreadContext context = route.current();
            if (!context.hasQueuedWork() && context.tryHoldForBlockingCall()) {
                try {
                    return io.call();
                } finally {
                    context.releaseFromBlockingCall();
                }
            }
        }
        // The call uses the caller's buffers: the caller waits for it whatever happens.
        ParkedCall<T> offloaded = new ParkedCall<>(io::call);
        offload(offloaded, nativeCall);
        try {
            return offloaded.await();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("unexpected checked exception from a blocking call", e);
        }
    }
}
