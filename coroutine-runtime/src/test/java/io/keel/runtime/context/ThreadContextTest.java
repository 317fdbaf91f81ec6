package io.keel.runtime.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.keel.runtime.time.Deadline;
import io.keel.runtime.time.ManualClock;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: contexts run tasks and virtual threads where they say, report honest counters, survive
 * failing tasks, and cost no CPU while idle. Tasks honour cancellation and deadlines.
 */
@Timeout(60)
class ThreadContextTest {

    @Test
    void tasksRunOnTheContextThreadAndFailuresDoNotStopIt() throws Exception {
        try (ThreadContext loop = ThreadContext.eventLoop("loop")) {
            CountDownLatch done = new CountDownLatch(1);
            String[] threadName = new String[1];
            loop.execute(() -> {
                throw new IllegalStateException("expected failure, logged by the context");
            });
            loop.execute(() -> {
                threadName[0] = Thread.currentThread().getName();
                done.countDown();
            });
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(threadName[0]).isEqualTo("keel-loop");
            ThreadContextStats stats = loop.stats();
            for (int i = 0; i < 1000 && stats.tasksRun() < 2; i++) {
                Thread.sleep(10); // counters are published when the worker finishes its batch
                stats = loop.stats();
            }
            assertThat(stats.failedTasks()).isEqualTo(1);
            assertThat(stats.tasksRun()).isGreaterThanOrEqualTo(2);
            assertThat(stats.threads()).isEqualTo(1);
        }
    }

    @Test
    void queueDepthCountsWaitingWork() throws Exception {
        try (ThreadContext loop = ThreadContext.eventLoop("deep")) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch blocked = new CountDownLatch(1);
            loop.execute(() -> {
                blocked.countDown();
                awaitQuietly(release);
            });
            blocked.await();
            for (int i = 0; i < 10; i++) {
                loop.execute(() -> { });
            }
            assertThat(loop.stats().queueDepth()).isEqualTo(11); // ten queued plus the one running
            MetricRegistry registry = new MetricRegistry();
            loop.registerMetrics(registry);
            assertThat(registry.getGauges().get("keel.context.deep.queue_depth").getValue()).isEqualTo(11L);
            release.countDown();
        }
    }

    @Test
    void poolRunsTasksInParallel() throws Exception {
        try (ThreadContext pool = ThreadContext.pool("pool", 3)) {
            CyclicBarrier allThree = new CyclicBarrier(3);
            Set<String> threads = ConcurrentHashMap.newKeySet();
            CountDownLatch done = new CountDownLatch(3);
            for (int i = 0; i < 3; i++) {
                pool.execute(() -> {
                    threads.add(Thread.currentThread().getName());
                    try {
                        allThree.await(10, TimeUnit.SECONDS); // only passes if all three run at once
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    done.countDown();
                });
            }
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(threads).containsExactlyInAnyOrder("keel-pool-0", "keel-pool-1", "keel-pool-2");
        }
    }

    @Test
    void idleContextBurnsNoCpu() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (ThreadContext loop = ThreadContext.builder("idle").spin(Duration.ofMillis(1)).build()) {
            long[] tid = new long[1];
            loop.call(() -> {
                tid[0] = Thread.currentThread().threadId();
                return null;
            });
            loop.execute(() -> tid[0] = Thread.currentThread().threadId());
            Thread.sleep(100); // past the spin window: the worker should be parked now
            long before = mx.getThreadCpuTime(tid[0]);
            Thread.sleep(500);
            long used = mx.getThreadCpuTime(tid[0]) - before;
            // A busy-polling loop would use about 500 ms here; a parked one uses nothing.
            assertThat(Duration.ofNanos(used)).isLessThan(Duration.ofMillis(50));
        }
    }

    @Test
    void executeAfterCloseIsRejected() {
        ThreadContext loop = ThreadContext.eventLoop("closing");
        loop.close();
        assertThat(loop.isClosed()).isTrue();
        assertThatThrownBy(() -> loop.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> loop.spawn("x", () -> 1)).isInstanceOf(RejectedExecutionException.class);
    }

    @Test
    void workAcceptedWhileClosingStillRuns() throws Exception {
        for (int round = 0; round < 20; round++) {
            ThreadContext loop = ThreadContext.eventLoop("closing-" + round);
            java.util.concurrent.atomic.AtomicLong accepted = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicLong ran = new java.util.concurrent.atomic.AtomicLong();
            java.util.List<Thread> producers = new java.util.ArrayList<>();
            for (int p = 0; p < 3; p++) {
                producers.add(Thread.ofPlatform().start(() -> {
                    while (true) {
                        try {
                            loop.execute(ran::incrementAndGet);
                            accepted.incrementAndGet();
                        } catch (RejectedExecutionException closed) {
                            return;
                        }
                    }
                }));
            }
            Thread.sleep(2);
            loop.close();
            for (Thread producer : producers) {
                producer.join();
            }
            for (int wait = 0; wait < 1000 && ran.get() < accepted.get(); wait++) {
                Thread.sleep(5);
            }
            assertThat(ran.get()).as("round %d", round).isEqualTo(accepted.get());
        }
    }

    @Test
    void callRunsHereFromAnyThread() throws Exception {
        try (ThreadContext a = ThreadContext.eventLoop("a"); ThreadContext b = ThreadContext.eventLoop("b")) {
            assertThat(a.call(ThreadContext::current)).isSameAs(a);
            ThreadContext nested = a.spawn("caller", () -> b.call(ThreadContext::current)).join();
            assertThat(nested).isSameAs(b);
            assertThatThrownBy(() -> a.call(() -> {
                throw new java.io.IOException("from the body");
            })).isInstanceOf(java.io.IOException.class).hasMessage("from the body");
        }
    }

    @Test
    void joinReportsTheBodysFailure() throws Exception {
        try (ThreadContext loop = ThreadContext.eventLoop("failing")) {
            Task<Integer> task = loop.spawn("fails", () -> {
                throw new java.io.IOException("disk on fire");
            });
            assertThatThrownBy(task::join).isInstanceOf(ExecutionException.class)
                    .hasRootCauseMessage("disk on fire");
            assertThat(task.isDone()).isTrue();
        }
    }

    @Test
    void cancelInterruptsABlockedTask() throws Exception {
        try (ThreadContext loop = ThreadContext.eventLoop("cancel")) {
            CountDownLatch started = new CountDownLatch(1);
            Task<String> task = loop.spawn("sleeper", () -> {
                started.countDown();
                Thread.sleep(60_000);
                return "woke up";
            });
            started.await();
            assertThat(task.cancel()).isTrue();
            assertThat(task.cancel()).isFalse();
            assertThatThrownBy(task::join).isInstanceOf(CancellationException.class);
        }
    }

    @Test
    void deadlineCancelsOnVirtualTime() throws Exception {
        ManualClock clock = new ManualClock();
        try (ThreadContext loop = ThreadContext.builder("deadline").clock(clock).build()) {
            CountDownLatch started = new CountDownLatch(1);
            Task<String> slow = loop.spawn("slow", Deadline.after(clock, Duration.ofSeconds(5)), () -> {
                started.countDown();
                new CountDownLatch(1).await();
                return "never";
            });
            Task<String> quick = loop.spawn("quick", Deadline.after(clock, Duration.ofSeconds(5)), () -> "fast");
            assertThat(quick.join()).isEqualTo("fast");
            started.await();
            clock.advance(Duration.ofSeconds(4));
            assertThatThrownBy(() -> slow.join(Duration.ofMillis(50))).isInstanceOf(TimeoutException.class);
            clock.advance(Duration.ofSeconds(1));
            assertThatThrownBy(slow::join).isInstanceOf(TaskDeadlineExceededException.class);
            assertThat(clock.pendingTimers()).isZero();
        }
    }

    @Test
    void scheduledActionRunsOnTheContext() throws Exception {
        ManualClock clock = new ManualClock();
        try (ThreadContext loop = ThreadContext.builder("timers").clock(clock).build()) {
            CountDownLatch fired = new CountDownLatch(1);
            ThreadContext[] where = new ThreadContext[1];
            loop.schedule(Duration.ofMillis(10), () -> {
                where[0] = ThreadContext.current();
                fired.countDown();
            });
            loop.schedule(Duration.ofMillis(10), () -> where[0] = null).cancel();
            clock.advance(Duration.ofMillis(9));
            assertThat(fired.getCount()).isEqualTo(1);
            clock.advance(Duration.ofMillis(1));
            assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(loop.call(() -> where[0])).isSameAs(loop);
        }
    }

    @Test
    void virtualThreadExecutorSpawnsNamedThreadsInTheContext() throws Exception {
        try (ThreadContext loop = ThreadContext.eventLoop("requests")) {
            CountDownLatch done = new CountDownLatch(1);
            String[] seen = new String[2];
            loop.virtualThreadExecutor("req-").execute(() -> {
                seen[0] = Thread.currentThread().getName();
                seen[1] = String.valueOf(ThreadContext.current() == loop);
                done.countDown();
            });
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(seen).containsExactly("requests/req-1", "true");
        }
    }

    @Test
    void builderRejectsNonsense() {
        assertThatThrownBy(() -> ThreadContext.builder(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ThreadContext.builder("x").threads(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ThreadContext.builder("x").spin(Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void awaitQuietly(final CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }


    @Test
    void callNonBlockingRunsInPlaceWhenIdleAndQueuesBehindEarlierWork() throws Exception {
        try (ThreadContext loop = ThreadContext.eventLoop("inline")) {
            // Idle: the body runs on the caller, as the context.
            Thread caller = Thread.currentThread();
            Thread ranOn = loop.callNonBlocking(() -> {
                assertThat(loop.isCurrent()).isTrue();
                assertThat(ThreadContext.current()).isSameAs(loop);
                return Thread.currentThread();
            });
            assertThat(ranOn).isSameAs(caller);
            assertThat(loop.isCurrent()).isFalse();

            // Busy: the body waits for the running task and for what was queued before it.
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch blocked = new CountDownLatch(1);
            java.util.List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
            loop.execute(() -> {
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                order.add("running");
            });
            assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
            loop.execute(() -> order.add("queued"));
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    order.add(loop.callNonBlocking(() -> Thread.currentThread().getName()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(50);
            assertThat(order).isEmpty();
            release.countDown();
            other.join(10_000);
            assertThat(order).containsExactly("running", "queued", "keel-inline");

            // Failures reach the caller.
            assertThatThrownBy(() -> loop.callNonBlocking(() -> {
                throw new java.io.IOException("boom");
            })).isInstanceOf(java.io.IOException.class).hasMessage("boom");
        }
    }
}
