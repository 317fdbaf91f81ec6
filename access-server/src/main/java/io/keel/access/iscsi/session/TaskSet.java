package io.keel.access.iscsi.session;

import io.keel.access.scsi.TaskAttribute;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A session's tasks in arrival (CmdSN) order and when each may start: SIMPLE tasks run
 * concurrently, an ORDERED task waits for every earlier task and holds back every later one,
 * HEAD OF QUEUE starts as soon as its data is in.
 */
final class TaskSet {

    private final Map<Integer, Task> tasks = new LinkedHashMap<>();
    /** ORDERED tasks in the set: while there are none, nothing waits for anything (no scan needed). */
    private int ordered;
    /** Set when the session ended: no task is added any more. */
    private boolean closed;
    private final Consumer<Task> starter;
    private final Consumer<Task> released;

    TaskSet(final Consumer<Task> starter, final Consumer<Task> released) {
        this.starter = starter;
        this.released = released;
    }

    /**
     * Adds {@code task} at the end. An ITT still held by a task that has executed (only its status is
     * still being sent) is free again: the initiator may reuse it as soon as it sees that status.
     */
    synchronized boolean add(final Task task) {
        if (closed) {
            return false;
        }
        Task existing = tasks.get(task.itt);
        if (existing != null) {
            if (!existing.executed) {
                return false;
            }
            forget(existing);
        }
        tasks.put(task.itt, task);
        if (task.attribute == TaskAttribute.ORDERED) {
            ordered++;
        }
        return true;
    }

    /** Whether {@code itt} names a task that has not executed yet. */
    synchronized boolean inUse(final int itt) {
        Task existing = tasks.get(itt);
        return existing != null && !existing.executed;
    }

    synchronized Task get(final int itt) {
        return tasks.get(itt);
    }

    /** Tasks that still hold a slot of the CmdSN window (executed ones are only sending their status). */
    synchronized int size() {
        int open = 0;
        for (Task task : tasks.values()) {
            if (!task.executed) {
                open++;
            }
        }
        return open;
    }

    /**
     * Of the tasks with all their data and no status yet, the one whose data has been in longest, as
     * {@code initiator} and {@code target}'s session sees it at {@code nowNanos}; null when there is
     * none. Left out, since the initiator may be what holds them: tasks still gathering data, tasks
     * waiting behind such a task, and tasks waiting for their session's read allowance.
     */
    synchronized OpenCommand oldestOpen(final String initiator, final String target, final long nowNanos) {
        OpenCommand oldest = null;
        boolean gatheringBefore = false;
        for (Task task : tasks.values()) {
            if (task.executed) {
                continue;
            }
            if (task.state == Task.State.DATA) {
                gatheringBefore = true;
                continue;
            }
            boolean waiting = task.state == Task.State.WAITING;
            if (waiting && gatheringBefore || task.awaitingAllowance) {
                continue;
            }
            oldest = OpenCommand.older(oldest, task.asOpen(initiator, target,
                    waiting ? "waiting for earlier tasks" : task.aborted ? "aborted, still running" : "running",
                    nowNanos));
        }
        return oldest;
    }

    /** Marks {@code task}'s data complete and starts whatever may start. */
    void ready(final Task task) {
        List<Task> start;
        synchronized (this) {
            if (task.state == Task.State.DATA) {
                task.state = Task.State.WAITING;
            }
            if (ordered == 0) {
                // Nothing orders the set: this task alone may start now, nobody else was waiting.
                if (task.state != Task.State.WAITING || task.aborted) {
                    return;
                }
                task.state = Task.State.RUNNING;
                start = List.of(task);
            } else {
                start = startable();
            }
        }
        start.forEach(starter);
    }

    /**
     * Marks {@code task}'s data complete and, when it is the only task of the set and {@code andIf}
     * holds (asked only then), starts it without handing it to the starter: the caller runs it.
     *
     * @return whether the caller is to run it; when false, nothing changed
     */
    synchronized boolean claimIfAlone(final Task task, final BooleanSupplier andIf) {
        if (tasks.size() != 1 || task.state != Task.State.DATA || task.aborted || !andIf.getAsBoolean()) {
            return false;
        }
        task.state = Task.State.RUNNING;
        return true;
    }

    /**
     * Claims the right to send {@code task}'s status once it has executed: false when task
     * management aborted it first (its result is then discarded). Deciding under the set's lock
     * means a task is either aborted or answered, never both: an initiator told that its ABORT
     * TASK completed must not also get the task's status.
     */
    synchronized boolean claimResponse(final Task task) {
        if (task.aborted) {
            return false;
        }
        task.responding = true;
        return true;
    }

    /** Removes {@code task} (finished or aborted) and starts what it was holding back. */
    void done(final Task task) {
        List<Task> start;
        synchronized (this) {
            task.state = Task.State.DONE;
            forget(task);
            // Only an ORDERED task, or one ahead of an ORDERED task, can have held others back (an ORDERED task
            // may already be out of the set: a new task that reused its ITT replaced it).
            start = ordered == 0 && task.attribute != TaskAttribute.ORDERED ? List.of() : startable();
        }
        released.accept(task);
        task.finished.complete(null);
        start.forEach(starter);
    }

    /**
     * Refuses every task from now on and aborts those in the set: the session ended, and a command
     * its reader was still dispatching must not be left running, or holding its buffers, unseen.
     */
    List<Task> closeAndAbortAll() {
        synchronized (this) {
            closed = true;
        }
        return abort(t -> true);
    }

    /**
     * Marks every task matching {@code which} aborted; the ones not running are removed now.
     *
     * @return the aborted tasks (running ones finish on their own, their results discarded),
     *     matching tasks aborted before and still running, and matching tasks already sending their
     *     status, which finish normally (not marked aborted): everything the caller must wait for
     */
    List<Task> abort(final Predicate<Task> which) {
        return abort(which, new ArrayList<>());
    }

    /**
     * As {@link #abort(Predicate)}, and adds to {@code abortedNow} the tasks this call aborted (not
     * those aborted before, nor those already sending their status).
     */
    List<Task> abort(final Predicate<Task> which, final List<Task> abortedNow) {
        List<Task> aborted = new ArrayList<>();
        List<Task> removed = new ArrayList<>();
        synchronized (this) {
            for (Task task : tasks.values()) {
                if (!which.test(task)) {
                    continue;
                }
                if (task.responding) {
                    // Too late to abort: its status is going out; the caller waits for it all the same.
                    aborted.add(task);
                } else if (!task.aborted) {
                    task.aborted = true;
                    aborted.add(task);
                    abortedNow.add(task);
                    if (task.state != Task.State.RUNNING) {
                        removed.add(task);
                    }
                } else {
                    // Aborted before (ABORT TASK, its session ending) and still running: it can still write.
                    aborted.add(task);
                }
            }
        }
        removed.forEach(this::done);
        return aborted;
    }

    /** Removes {@code task} if it is still the set's task of its ITT; whether it was. Lock held. */
    private boolean forget(final Task task) {
        if (!tasks.remove(task.itt, task)) {
            return false;
        }
        if (task.attribute == TaskAttribute.ORDERED) {
            ordered--;
        }
        return true;
    }

    private List<Task> startable() {
        List<Task> start = new ArrayList<>();
        boolean earlier = false;
        boolean orderedAhead = false;
        for (Task task : tasks.values()) {
            if (task.state == Task.State.WAITING && !task.aborted) {
                boolean may = switch (task.attribute) {
                    case HEAD_OF_QUEUE -> true;
                    case ORDERED -> !earlier;
                    default -> !orderedAhead;
                };
                if (may) {
                    task.state = Task.State.RUNNING;
                    start.add(task);
                }
            }
            if (task.attribute == TaskAttribute.ORDERED) {
                orderedAhead = true;
            }
            earlier = true;
        }
        return start;
    }
}
