package io.keel.runtime.context;

/**
 * A snapshot of a {@link ThreadContext}'s counters.
 *
 * @param name the context's name
 * @param threads number of platform threads
 * @param queueDepth tasks and continuations waiting to run
 * @param tasksRun tasks and continuations run since start
 * @param failedTasks tasks that threw
 * @param busyNanos time the threads spent running work (spinning and parking excluded)
 * @param uptimeNanos time since the context started
 */
public record ThreadContextStats(String name, int threads, long queueDepth, long tasksRun, long failedTasks,
        long busyNanos, long uptimeNanos) {

    /** Busy time as a fraction of the threads' lifetime, in [0, 1]. */
    public double busyRatio() {
        return uptimeNanos <= 0 ? 0 : Math.min(1.0, (double) busyNanos / ((double) uptimeNanos * threads));
    }
}
