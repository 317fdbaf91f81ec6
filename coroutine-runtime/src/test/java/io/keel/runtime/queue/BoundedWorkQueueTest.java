package io.keel.runtime.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.runtime.time.Deadline;
import io.keel.runtime.time.SystemClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Goal: the queue never holds more than its capacity, pushes back, and closes cleanly. */
@Timeout(60)
class BoundedWorkQueueTest {

    private static Deadline in(final Duration duration) {
        return Deadline.after(SystemClock.INSTANCE, duration);
    }

    @Test
    void offerPushesBackWhenFull() {
        BoundedWorkQueue<Integer> queue = new BoundedWorkQueue<>("q", 2);
        assertThat(queue.offer(1)).isEqualTo(BoundedWorkQueue.Offer.ACCEPTED);
        assertThat(queue.offer(2)).isEqualTo(BoundedWorkQueue.Offer.ACCEPTED);
        assertThat(queue.offer(3)).isEqualTo(BoundedWorkQueue.Offer.BACK_PRESSURED);
        assertThat(queue.depth()).isEqualTo(2);
        assertThat(queue.backPressuredCount()).isEqualTo(1);
        queue.close();
        assertThat(queue.offer(4)).isEqualTo(BoundedWorkQueue.Offer.CLOSED);
    }

    @Test
    void putTimesOutWhileFull() throws Exception {
        BoundedWorkQueue<Integer> queue = new BoundedWorkQueue<>("full", 1);
        queue.put(1, in(Duration.ofSeconds(1)));
        assertThatThrownBy(() -> queue.put(2, in(Duration.ofMillis(20)))).isInstanceOf(TimeoutException.class)
                .hasMessageContaining("full");
    }

    @Test
    void closeWakesProducersAndLetsConsumersDrain() throws Exception {
        BoundedWorkQueue<Integer> queue = new BoundedWorkQueue<>("closing", 1);
        queue.put(1, in(Duration.ofSeconds(1)));
        Thread producer = Thread.ofVirtual().start(() -> {
            assertThatThrownBy(() -> queue.put(2, in(Duration.ofMinutes(1)))).isInstanceOf(QueueClosedException.class);
        });
        Thread.sleep(20);
        queue.close();
        producer.join();
        assertThat(queue.take()).isEqualTo(1);
        assertThat(queue.take()).isNull();
        assertThat(queue.poll(in(Duration.ofSeconds(1)))).isNull();
    }

    @Test
    void manyProducersAndConsumersLoseNothingAndStayBounded() throws Exception {
        BoundedWorkQueue<Long> queue = new BoundedWorkQueue<>("busy", 8);
        int producers = 8;
        int perProducer = 2_000;
        AtomicLong sum = new AtomicLong();
        AtomicLong maxDepth = new AtomicLong();
        List<Thread> consumers = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            consumers.add(Thread.ofVirtual().start(() -> {
                try {
                    Long item;
                    while ((item = queue.take()) != null) {
                        sum.addAndGet(item);
                        maxDepth.accumulateAndGet(queue.depth(), Math::max);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        List<Thread> producerThreads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            producerThreads.add(Thread.ofVirtual().start(() -> {
                for (long i = 1; i <= perProducer; i++) {
                    try {
                        queue.put(i, in(Duration.ofSeconds(30)));
                    } catch (InterruptedException | TimeoutException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }));
        }
        for (Thread producer : producerThreads) {
            producer.join();
        }
        queue.close();
        for (Thread consumer : consumers) {
            consumer.join();
        }
        assertThat(sum.get()).isEqualTo((long) producers * perProducer * (perProducer + 1) / 2);
        assertThat(maxDepth.get()).isLessThanOrEqualTo(8);
    }

    @Test
    void drainToMovesAtMostMax() {
        BoundedWorkQueue<Integer> queue = new BoundedWorkQueue<>("drain", 10);
        for (int i = 0; i < 5; i++) {
            queue.offer(i);
        }
        List<Integer> sink = new ArrayList<>();
        assertThat(queue.drainTo(sink, 3)).isEqualTo(3);
        assertThat(sink).containsExactly(0, 1, 2);
        assertThat(queue.depth()).isEqualTo(2);
        assertThatThrownBy(() -> new BoundedWorkQueue<>("bad", 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
