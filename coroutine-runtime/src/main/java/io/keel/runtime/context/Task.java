package io.keel.runtime.context;

import io.keel.runtime.time.Deadline;
import io.keel.runtime.time.Timer;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A named virtual thread started by {@link ThreadContext#spawn} and the outcome of its body:
 * join it (optionally with a timeout), cancel it (it is interrupted), or give it a deadline
 * after which it is cancelled.
 *
 * @param <T> the body's result type
 */
public final class Task<T> {

    private final String name;
    private final CompletableFuture<T> outcome = new CompletableFuture<>();
    private volatile Thread thread;
    private volatile Timer deadlineTimer;
    private volatile CancellationException cancellation;

    Task(final String name) {
        this.name = name;
    }

    void start(final Thread virtualThread, final Deadline deadline) {
        this.thread = virtualThread;
        if (deadline != null) {
            deadlineTimer = deadline.clock().schedule(deadline.remaining(),
                    () -> cancel(new TaskDeadlineExceededException(name)));
        }
        virtualThread.start();
    }

    @SuppressWarnings("checkstyle:IllegalCatch")
    void run(final Callable<T> body) {
        try {
            T result = body.call();
            finish(result, null);
        } catch (Throwable failure) {
            // Every outcome, errors included, belongs to whoever joins the task.
            finish(null, failure);
        }
    }

    private void finish(final T result, final Throwable failure) {
        Timer timer = deadlineTimer;
        if (timer != null) {
            timer.cancel();
        }
        CancellationException cancelled = cancellation;
        if (cancelled != null) {
            outcome.completeExceptionally(cancelled);
        } else if (failure != null) {
            outcome.completeExceptionally(failure);
        } else {
            outcome.complete(result);
        }
    }

    /** The task's name (also its thread's name). */
    public String name() {
        return name;
    }

    /** The virtual thread that runs the task. */
    public Thread thread() {
        return thread;
    }

    /** True once the body has returned or thrown. */
    public boolean isDone() {
        return outcome.isDone();
    }

    /**
     * Cancels the task: its thread is interrupted, and {@link #join()} fails with a
     * {@link CancellationException} whatever the body does afterwards.
     *
     * @return false when the task had already finished or been cancelled
     */
    public boolean cancel() {
        return cancel(new CancellationException("task " + name + " was cancelled"));
    }

    private boolean cancel(final CancellationException reason) {
        if (outcome.isDone()) {
            return false;
        }
        synchronized (this) {
            if (cancellation != null) {
                return false;
            }
            cancellation = reason;
        }
        Thread target = thread;
        if (target != null) {
            target.interrupt();
        }
        return true;
    }

    /**
     * Waits for the body's result.
     *
     * @throws ExecutionException the body threw (the cause is what it threw)
     * @throws CancellationException the task was cancelled or its deadline passed
     */
    public T join() throws InterruptedException, ExecutionException {
        try {
            return outcome.get();
        } catch (CancellationException wrapped) {
            throw reasonFor(wrapped);
        }
    }

    /** Like {@link #join()}, waiting at most {@code timeout}; the task keeps running if this times out. */
    public T join(final Duration timeout) throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return outcome.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (CancellationException wrapped) {
            throw reasonFor(wrapped);
        }
    }

    /** The future reports a fresh CancellationException; callers want the reason (e.g. a deadline). */
    private CancellationException reasonFor(final CancellationException wrapped) {
        CancellationException reason = cancellation;
        return reason != null ? reason : wrapped;
    }

    /** The outcome as a stage, for composing without blocking. */
    public CompletionStage<T> completion() {
        return outcome.minimalCompletionStage();
    }

    @Override
    public String toString() {
        return "Task[" + name + (isDone() ? ", done]" : "]");
    }
}
