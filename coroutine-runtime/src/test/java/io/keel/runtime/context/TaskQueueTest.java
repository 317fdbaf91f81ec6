package io.keel.runtime.context;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: the run queue loses nothing, duplicates nothing, and keeps each producer's order, with
 * one consumer and with several taking turns.
 */
@Timeout(60)
class TaskQueueTest {

    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 50_000;

    /** A task that records which producer made it and its sequence number. */
    private record Stamp(int producer, int sequence) implements Runnable {
        @Override
        public void run() {
        }
    }

    @Test
    void emptyQueueAnswersNull() {
        TaskQueue queue = new TaskQueue(false);
        assertThat(queue.poll()).isNull();
        assertThat(queue.isEmpty()).isTrue();
        Runnable task = () -> { };
        queue.offer(task);
        assertThat(queue.isEmpty()).isFalse();
        assertThat(queue.poll()).isSameAs(task);
        assertThat(queue.poll()).isNull();
    }

    @Test
    void singleConsumerSeesEveryProducersTasksInOrder() throws Exception {
        TaskQueue queue = new TaskQueue(false);
        List<Thread> producers = startProducers(queue);
        int[] nextExpected = new int[PRODUCERS];
        int received = 0;
        while (received < PRODUCERS * PER_PRODUCER) {
            Runnable task = queue.poll();
            if (task == null) {
                Thread.onSpinWait();
                continue;
            }
            Stamp stamp = (Stamp) task;
            assertThat(stamp.sequence()).isEqualTo(nextExpected[stamp.producer()]);
            nextExpected[stamp.producer()]++;
            received++;
        }
        for (Thread producer : producers) {
            producer.join();
        }
        assertThat(queue.poll()).isNull();
    }

    @Test
    void sharedConsumersTakeEachTaskExactlyOnce() throws Exception {
        TaskQueue queue = new TaskQueue(true);
        List<Thread> producers = startProducers(queue);
        ConcurrentHashMap<Stamp, Boolean> seen = new ConcurrentHashMap<>();
        AtomicInteger duplicates = new AtomicInteger();
        AtomicInteger received = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(3);
        for (int c = 0; c < 3; c++) {
            Thread.ofPlatform().start(() -> {
                while (received.get() < PRODUCERS * PER_PRODUCER) {
                    Runnable task = queue.poll();
                    if (task == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    if (seen.put((Stamp) task, Boolean.TRUE) != null) {
                        duplicates.incrementAndGet();
                    }
                    received.incrementAndGet();
                }
                done.countDown();
            });
        }
        done.await();
        for (Thread producer : producers) {
            producer.join();
        }
        assertThat(duplicates.get()).isZero();
        assertThat(seen).hasSize(PRODUCERS * PER_PRODUCER);
    }

    private static List<Thread> startProducers(final TaskQueue queue) {
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            int producer = p;
            producers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < PER_PRODUCER; i++) {
                    queue.offer(new Stamp(producer, i));
                }
            }));
        }
        return producers;
    }
}
