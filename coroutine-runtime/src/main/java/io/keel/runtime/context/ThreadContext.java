package io.keel.runtime.context;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.Deadline;
import io.keel.runtime.time.SystemClock;
import io.keel.runtime.time.Timer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A named place where code runs: one event-loop thread, or a small pool of threads, sharing one
 * task queue. It runs plain tasks ({@link #execute}) and the continuations of the virtual threads
 * whose current context it is ({@link #spawn}, {@link ThreadContextGuard}). A single-thread
 * context gives its owner single-writer state without locks.
 *
 * <p>Idle policy: after its queue runs dry a worker spins for {@code spin} (so a hand-off to an
 * active context costs a cache-line transfer, not a thread wake-up), then parks. An idle context
 * burns no CPU.
 *
 * <p>Wake-up protocol (no lost wake-ups): a worker that is about to park sets its {@code parked}
 * flag, increments {@code sleepers}, and re-checks its queue and hand-off slot before parking; a
 * producer publishes its work and then, if {@code sleepers > 0}, clears one worker's flag by CAS
 * and unparks it. Both sides write then read volatile state, so at least one sees the other. The
 * same pattern with {@code workersGone} guarantees that work submitted while the context closes
 * is run (on a shared pool) rather than lost.
 */
public final class ThreadContext implements Executor, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ThreadContext.class);
    private static final int DRAIN_LIMIT = 64;
    private static final Duration DEFAULT_SPIN = Duration.ofNanos(50_000);
    private static final Duration CLOSE_JOIN_TIMEOUT = Duration.ofSeconds(10);
    /** The context whose {@link #callNonBlocking} body the current thread runs in place, if any. */
    private static final ThreadLocal<ThreadContext> IN_PLACE = new ThreadLocal<>();
    /** Continuations of virtual threads whose context was closed run here, so they can finish. */
    private static final Executor ORPHANS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "keel-orphaned-continuations");
        thread.setDaemon(true);
        return thread;
    });

    private final String name;
    private final Clock clock;
    private final long spinNanos;
    private final TaskQueue queue;
    private final AtomicReference<Runnable> handOff;
    /**
     * Single-thread contexts only: held by the context's thread while it runs work, and by a
     * caller of {@link #callNonBlocking} that runs its body in place while the context is idle.
     * Whoever holds it is the context's one writer.
     */
    private final ReentrantLock exclusive;
    private final AtomicInteger liveWorkers;
    private final ContextWorker[] workers;
    private final AtomicInteger sleepers = new AtomicInteger();
    /** Threads held by blocking calls made in place ({@link Blocking#call}). */
    private final AtomicInteger heldByBlockingCalls = new AtomicInteger();
    private final AtomicInteger virtualThreadSequence = new AtomicInteger();
    private final LongAdder submitted = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final LongAdder busyNanos = new LongAdder();
    private final LongAdder failedTasks = new LongAdder();
    private final long startedNanos;
    private volatile boolean closed;
    private volatile boolean workersGone;
    private volatile boolean orphanWarningLogged;

    private ThreadContext(final Builder builder) {
        this.name = builder.name;
        this.clock = builder.clock;
        this.spinNanos = builder.spin.toNanos();
        this.startedNanos = SystemClock.INSTANCE.nanoTime();
        this.queue = new TaskQueue(builder.threads > 1);
        this.handOff = builder.threads == 1 ? new AtomicReference<>() : null;
        this.exclusive = builder.threads == 1 ? new ReentrantLock() : null;
        this.liveWorkers = new AtomicInteger(builder.threads);
        this.workers = new ContextWorker[builder.threads];
        for (int i = 0; i < workers.length; i++) {
            String threadName = workers.length == 1 ? "keel-" + name : "keel-" + name + "-" + i;
            workers[i] = new ContextWorker(this, threadName);
        }
        for (ContextWorker worker : workers) {
            worker.start();
        }
    }

    /** A builder for a context called {@code name} (used in thread names, logs and metrics). */
    public static Builder builder(final String name) {
        return new Builder(name);
    }

    /** A single-thread event-loop context with default settings. */
    public static ThreadContext eventLoop(final String name) {
        return builder(name).threads(1).build();
    }

    /** A pool context of {@code threads} threads with default settings. */
    public static ThreadContext pool(final String name, final int threads) {
        return builder(name).threads(threads).build();
    }

    /**
     * The context the calling code runs in: for a Keel virtual thread, its current context; inside
     * a guard that holds a context (fallback), that context; on a context's own platform thread,
     * that context; otherwise null.
     */
    public static ThreadContext current() {
        ThreadContext inPlace = IN_PLACE.get();
        if (inPlace != null) {
            return inPlace;
        }
        ContextRoute route = ContextRoute.ofCurrentThread();
        if (route != null) {
            return route.current();
        }
        ThreadContext held = ThreadContextGuard.heldByCurrentThread();
        if (held != null) {
            return held;
        }
        return Thread.currentThread() instanceof ContextWorker worker ? worker.context : null;
    }

    /** This context's name. */
    public String name() {
        return name;
    }

    /** The clock this context's users are meant to read (injected, so tests can run on virtual time). */
    public Clock clock() {
        return clock;
    }

    /** True when the calling code runs in this context. */
    public boolean isCurrent() {
        return current() == this;
    }

    /** Number of platform threads this context runs on. */
    public int threadCount() {
        return workers.length;
    }

    /**
     * Runs a short task on one of this context's threads. Tasks must not block for long: blocking
     * work belongs on a virtual thread ({@link #spawn}), which gives the thread back while it waits.
     *
     * @throws RejectedExecutionException after {@link #close()}
     */
    @Override
    public void execute(final Runnable task) {
        Objects.requireNonNull(task, "task");
        if (closed) {
            throw new RejectedExecutionException("thread context " + name + " is closed");
        }
        enqueue(task);
    }

    /** Runs {@code action} on this context after {@code delay} of its clock's time. */
    public Timer schedule(final Duration delay, final Runnable action) {
        Objects.requireNonNull(action, "action");
        return clock.schedule(delay, () -> {
            if (!closed) {
                enqueue(action);
            }
        });
    }

    /**
     * Starts a virtual thread named {@code taskName} whose current context is this one and which
     * runs {@code body}. Without the custom-scheduler API (fallback) the virtual thread runs on the
     * JDK's scheduler and holds this context for the duration of {@code body}.
     */
    public <T> Task<T> spawn(final String taskName, final Callable<T> body) {
        return spawn(taskName, null, body);
    }

    /**
     * Like {@link #spawn(String, Callable)}, but the task is cancelled (interrupted, and its
     * {@link Task#join()} fails with {@link TaskDeadlineExceededException}) when {@code deadline}
     * passes before it finishes.
     */
    public <T> Task<T> spawn(final String taskName, final Deadline deadline, final Callable<T> body) {
        Objects.requireNonNull(body, "body");
        if (closed) {
            throw new RejectedExecutionException("thread context " + name + " is closed");
        }
        String threadName = name + "/" + taskName;
        Task<T> task = new Task<>(threadName);
        Thread thread;
        if (VirtualThreadFactory.customSchedulerAvailable()) {
            ContextRoute route = new ContextRoute(this);
            thread = VirtualThreadFactory.builder(route).name(threadName).unstarted(() -> {
                route.bindToCurrentThread();
                task.run(body);
            });
        } else {
            // Entering inside the body makes a failure to hold (say, a context closed meanwhile)
            // the task's outcome instead of a thread that dies and a join that never returns.
            thread = Thread.ofVirtual().name(threadName).unstarted(() -> task.run(() -> {
                try (ThreadContextGuard held = ThreadContextGuard.enter(this)) {
                    return body.call();
                }
            }));
        }
        task.start(thread, deadline);
        return task;
    }

    /**
     * An executor that starts each submitted runnable on its own virtual thread in this context
     * (names are {@code prefix} plus a sequence number). Handy for servers that run each request on
     * its own virtual thread.
     */
    public Executor virtualThreadExecutor(final String prefix) {
        return runnable -> spawn(prefix + virtualThreadSequence.incrementAndGet(), () -> {
            runnable.run();
            return null;
        });
    }

    /**
     * Runs {@code body} in this context and returns its result: the calling Keel virtual thread
     * moves here for the call (a guard); any other thread starts a virtual thread here and joins it.
     */
    public <T> T call(final Callable<T> body) throws Exception {
        if (isCurrent()) {
            return body.call();
        }
        if (ContextRoute.ofCurrentThread() != null) {
            try (ThreadContextGuard guard = ThreadContextGuard.enter(this)) {
                return body.call();
            }
        }
        try {
            return spawn("call", body).join();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /**
     * Runs a short body that does not block in this context and returns its result, without
     * starting a virtual thread. On a single-thread context that is idle (its thread runs nothing
     * and nothing is queued) the body runs right on the calling thread, holding the context
     * exclusively meanwhile: the context's thread waits for it, so state the context owns still
     * has one writer at a time and sees every earlier write. When the context is busy with nothing
     * queued the caller waits for it and then runs the body in place likewise; when work is
     * queued the body is queued behind it as a task (FIFO) and the caller parks until it has run. The body
     * must not block (it may hold up the context's thread) nor wait for other work of this context.
     */
    public <T> T callNonBlocking(final Callable<T> body) throws Exception {
        Objects.requireNonNull(body, "body");
        if (isCurrent()) {
            return body.call();
        }
        if (closed) {
            throw new RejectedExecutionException("thread context " + name + " is closed");
        }
        // Nothing queued: wait for the context's lock (held by its thread or by another caller
        // running in place) rather than queue; the body then runs here, unless work was queued meanwhile.
        if (exclusive != null && (exclusive.tryLock() || (nothingVisible() && lockInterruptibly()))) {
            try {
                if (nothingVisible() && !closed) {
                    IN_PLACE.set(this);
                    long start = SystemClock.INSTANCE.nanoTime();
                    try {
                        return body.call();
                    } finally {
                        IN_PLACE.remove();
                        completed.increment();
                        submitted.increment();
                        busyNanos.add(SystemClock.INSTANCE.nanoTime() - start);
                    }
                }
            } finally {
                // Work queued meanwhile woke the context's thread as usual; it takes the lock next.
                exclusive.unlock();
            }
        }
        // Queued behind that work; the body runs soon, so the caller waits for it even when interrupted.
        ParkedCall<T> call = new ParkedCall<>(body);
        enqueue(call);
        return call.await();
    }

    private boolean lockInterruptibly() throws InterruptedException {
        exclusive.lockInterruptibly();
        return true;
    }

    /** True when tasks or continuations wait for one of this context's threads. */
    boolean hasQueuedWork() {
        return !nothingVisible();
    }

    /**
     * Lets the calling thread block in a call in place if fewer of this context's threads than all
     * but one (at least one) are blocked so already; {@link #releaseFromBlockingCall} must follow.
     * A pool then keeps a thread for work that arrives during a long call (a disk read takes
     * hundreds of microseconds; on a two-thread pool, letting both block left every other request
     * waiting behind them).
     */
    boolean tryHoldForBlockingCall() {
        int limit = Math.max(1, workers.length - 1);
        while (true) {
            int held = heldByBlockingCalls.get();
            if (held >= limit) {
                return false;
            }
            if (heldByBlockingCalls.compareAndSet(held, held + 1)) {
                return true;
            }
        }
    }

    /** Ends a hold taken by {@link #tryHoldForBlockingCall}. */
    void releaseFromBlockingCall() {
        heldByBlockingCalls.decrementAndGet();
    }

    /** A snapshot of this context's counters. */
    public ThreadContextStats stats() {
        long submittedCount = submitted.sum();
        long completedCount = completed.sum();
        return new ThreadContextStats(name, workers.length, Math.max(0, submittedCount - completedCount),
                completedCount, failedTasks.sum(), busyNanos.sum(),
                SystemClock.INSTANCE.nanoTime() - startedNanos);
    }

    /**
     * Registers gauges for this context under {@code keel.context.<name>.*}: queue depth, tasks
     * run, failed tasks and busy nanoseconds (a counter; its rate over wall time is the busy ratio).
     */
    public void registerMetrics(final MetricRegistry registry) {
        String prefix = MetricRegistry.name("keel", "context", name);
        registry.register(MetricRegistry.name(prefix, "queue_depth"), (Gauge<Long>) () -> stats().queueDepth());
        registry.register(MetricRegistry.name(prefix, "tasks"), (Gauge<Long>) completed::sum);
        registry.register(MetricRegistry.name(prefix, "failed_tasks"), (Gauge<Long>) failedTasks::sum);
        registry.register(MetricRegistry.name(prefix, "busy_nanos"), (Gauge<Long>) busyNanos::sum);
        registry.register(MetricRegistry.name(prefix, "threads"), (Gauge<Integer>) () -> workers.length);
    }

    /**
     * Stops accepting tasks, runs what is already queued, and waits for the threads to finish.
     * Virtual threads still in this context continue on a shared fallback pool until they end.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ContextWorker worker : workers) {
            worker.parked.set(false);
            LockSupport.unpark(worker);
        }
        boolean onOwnThread = VirtualThreadFactory.currentCarrierThread() instanceof ContextWorker worker
                && worker.context == this;
        if (isCurrent() || onOwnThread) {
            return; // closing from inside: the workers exit once the current task returns
        }
        long deadline = SystemClock.INSTANCE.nanoTime() + CLOSE_JOIN_TIMEOUT.toNanos();
        for (ContextWorker worker : workers) {
            try {
                long left = deadline - SystemClock.INSTANCE.nanoTime();
                if (left <= 0 || !worker.join(Duration.ofNanos(left))) {
                    LOG.warn("thread context {}: worker {} did not stop within {}", name, worker.getName(),
                            CLOSE_JOIN_TIMEOUT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** True once {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "ThreadContext[" + name + "]";
    }

    /** Where a virtual thread's continuation goes when this is its current context. */
    void executeContinuation(final Runnable continuation) {
        if (closed) {
            runOrphaned(continuation);
            return;
        }
        // The hand-off slot: one continuation passes to a single-thread context through one
        // atomic reference instead of a queue node, which roughly halves a cross-core hand-off.
        // Continuations of different virtual threads need no mutual order, so skipping the
        // queue is safe; plain tasks always go through the queue and keep FIFO order.
        if (handOff != null && handOff.get() == null && handOff.compareAndSet(null, continuation)) {
            submitted.increment();
            afterSubmit();
            return;
        }
        enqueue(continuation);
    }

    private void enqueue(final Runnable task) {
        submitted.increment();
        queue.offer(task);
        afterSubmit();
    }

    private void afterSubmit() {
        if (sleepers.get() > 0) {
            wakeOne();
        }
        if (workersGone) {
            drainToOrphans(); // we raced with the last worker's exit: nothing may be left behind
        }
    }

    private void wakeOne() {
        for (ContextWorker worker : workers) {
            if (worker.parked.get() && worker.parked.compareAndSet(true, false)) {
                sleepers.decrementAndGet();
                LockSupport.unpark(worker);
                return;
            }
        }
    }

    /**
     * The next piece of work, or null. A single-thread context alternates between its hand-off
     * slot and its queue when both have work, so neither can starve the other.
     */
    private Runnable poll(final ContextWorker worker) {
        if (handOff == null) {
            return queue.poll();
        }
        worker.preferHandOff = !worker.preferHandOff;
        if (worker.preferHandOff) {
            Runnable continuation = handOff.get() != null ? handOff.getAndSet(null) : null;
            return continuation != null ? continuation : queue.poll();
        }
        Runnable task = queue.poll();
        return task != null || handOff.get() == null ? task : handOff.getAndSet(null);
    }

    private boolean nothingVisible() {
        return queue.isEmpty() && (handOff == null || handOff.get() == null);
    }

    void runWorker(final ContextWorker worker) {
        try {
            while (true) {
                // Taking work and running it happen under the exclusive lock, so a caller running a
                // body in place (callNonBlocking) never overtakes work that was already queued.
                if (exclusive != null) {
                    exclusive.lock();
                }
                long start = SystemClock.INSTANCE.nanoTime();
                int ran = 0;
                try {
                    Runnable task;
                    while (ran < DRAIN_LIMIT && (task = poll(worker)) != null) {
                        runSafely(task);
                        ran++;
                    }
                } finally {
                    if (exclusive != null) {
                        exclusive.unlock();
                    }
                }
                if (ran > 0) {
                    completed.add(ran);
                    busyNanos.add(SystemClock.INSTANCE.nanoTime() - start);
                } else if (!awaitWork(worker)) {
                    return;
                }
            }
        } finally {
            if (liveWorkers.decrementAndGet() == 0) {
                workersGone = true;
                drainToOrphans();
            }
        }
    }

    /** Spins, then parks, until work is visible; false once the context is closed and drained. */
    private boolean awaitWork(final ContextWorker worker) {
        long spinUntil = SystemClock.INSTANCE.nanoTime() + spinNanos;
        int spins = 0;
        while (true) {
            if (!nothingVisible()) {
                return true;
            }
            if (closed) {
                return false;
            }
            if (spinNanos > 0 && ((++spins & 63) != 0 || SystemClock.INSTANCE.nanoTime() - spinUntil < 0)) {
                Thread.onSpinWait();
                continue;
            }
            worker.parked.set(true);
            sleepers.incrementAndGet();
            if (nothingVisible() && !closed) {
                LockSupport.park(this);
            }
            if (worker.parked.getAndSet(false)) {
                sleepers.decrementAndGet(); // nobody woke us: work we saw, a close, or a spurious return
            }
            spinUntil = SystemClock.INSTANCE.nanoTime() + spinNanos;
        }
    }

    /**
     * Runs whatever is left once every worker has exited, on the shared orphan pool: plain tasks
     * and continuations submitted in the instant before {@link #close()} are not lost.
     */
    private synchronized void drainToOrphans() {
        Runnable task;
        while ((task = handOff != null ? handOff.getAndSet(null) : null) != null || (task = queue.poll()) != null) {
            completed.increment();
            runOrphaned(task);
        }
    }

    private void runOrphaned(final Runnable work) {
        if (!orphanWarningLogged) {
            orphanWarningLogged = true;
            LOG.warn("thread context {} is closed; its remaining work continues on a shared pool", name);
        }
        ORPHANS.execute(work);
    }

    @SuppressWarnings("checkstyle:IllegalCatch")
    private void runSafely(final Runnable task) {
        try {
            task.run();
        } catch (Throwable failure) {
            // A task's failure is its own; the context must keep serving everyone else.
            failedTasks.increment();
            LOG.error("thread context {}: task failed", name, failure);
        }
    }

    /** Settings of a {@link ThreadContext}. */
    public static final class Builder {
        private final String name;
        private int threads = 1;
        private Duration spin = DEFAULT_SPIN;
        private Clock clock = SystemClock.INSTANCE;

        private Builder(final String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a thread context needs a name");
            }
            this.name = name;
        }

        /** Number of platform threads (1 makes an event loop). */
        public Builder threads(final int count) {
            if (count < 1 || count > 256) {
                throw new IllegalArgumentException("threads must be in [1, 256], got " + count);
            }
            this.threads = count;
            return this;
        }

        /** How long an idle worker spins before it parks; zero parks at once. */
        public Builder spin(final Duration duration) {
            if (duration.isNegative() || duration.compareTo(Duration.ofMillis(10)) > 0) {
                throw new IllegalArgumentException("spin must be in [0, 10ms], got " + duration);
            }
            this.spin = duration;
            return this;
        }

        /** The clock for timers scheduled on this context. */
        public Builder clock(final Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** Starts the context's threads. */
        public ThreadContext build() {
            return new ThreadContext(this);
        }
    }
}
