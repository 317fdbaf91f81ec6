package io.keel.bench.context;

import io.keel.runtime.context.ThreadContext;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs JMH's benchmark threads as Keel virtual threads on an event-loop context called
 * "bench-home", so a benchmark method can enter guards the way server code does. JMH creates
 * it through {@code -Djmh.executor=CUSTOM -Djmh.executor.class=...} with (threads, prefix).
 */
public final class ContextExecutorService extends AbstractExecutorService {

    /** The context every benchmark thread starts on. */
    static final ThreadContext HOME = ThreadContext.eventLoop("bench-home");

    private final String prefix;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger sequence = new AtomicInteger();
    private volatile CountDownLatch drained = new CountDownLatch(0);
    private volatile boolean shutdown;

    /** The constructor JMH calls. */
    public ContextExecutorService(final int maxThreads, final String prefix) {
        this.prefix = prefix;
    }

    @Override
    public synchronized void execute(final Runnable command) {
        if (running.getAndIncrement() == 0) {
            drained = new CountDownLatch(1);
        }
        CountDownLatch latch = drained;
        HOME.spawn(prefix + "-" + sequence.incrementAndGet(), () -> {
            try {
                command.run();
            } finally {
                if (running.decrementAndGet() == 0) {
                    latch.countDown();
                }
            }
            return null;
        });
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
        shutdown = true;
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown && running.get() == 0;
    }

    @Override
    public boolean awaitTermination(final long timeout, final TimeUnit unit) throws InterruptedException {
        return drained.await(timeout, unit);
    }
}
