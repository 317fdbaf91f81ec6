package io.keel.runtime.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Blocking calls leave a Keel context's thread when other work waits for it or its other threads are blocked. */
@Timeout(60)
class BlockingTest {

    @Test
    void runsInPlaceOnOtherThreadsAndOnAnIdleContext() throws Exception {
        Thread self = Thread.currentThread();
        assertThat(Blocking.call(Thread::currentThread)).isSameAs(self);
        try (ThreadContext loop = ThreadContext.eventLoop("blocking-idle")) {
            Thread[] seen = callerAndCall(loop, "idle");
            assertThat(seen[1]).isSameAs(seen[0]);
        }
    }

    @Test
    void movesOffTheContextWhenOtherWorkWaits() throws Exception {
        assumeTrue(VirtualThreadFactory.customSchedulerAvailable(), "needs Keel virtual threads");
        try (ThreadContext loop = ThreadContext.eventLoop("blocking-busy")) {
            Thread[] seen = new Thread[2];
            loop.spawn("busy", () -> {
                loop.execute(() -> { }); // waits: the context's one thread runs us
                seen[0] = Thread.currentThread();
                seen[1] = Blocking.call(Thread::currentThread);
                return null;
            }).join();
            assertThat(seen[1]).isNotSameAs(seen[0]);
            assertThat(seen[1].getName()).isEqualTo("keel-blocking");

            assertThatThrownBy(() -> loop.spawn("failing", () -> {
                loop.execute(() -> { });
                return Blocking.call(() -> {
                    throw new IOException("device gone");
                });
            }).join()).hasRootCauseInstanceOf(IOException.class).hasRootCauseMessage("device gone");
        }
    }

    @Test
    void nativeCallsNeverRunOnJdkVirtualThreads() throws Exception {
        Thread self = Thread.currentThread();
        assertThat(Blocking.callNative(Thread::currentThread)).isSameAs(self);
        Thread[] fromJdkVirtual = new Thread[2];
        Thread caller = Thread.ofVirtual().start(() -> {
            fromJdkVirtual[0] = Thread.currentThread();
            try {
                fromJdkVirtual[1] = Blocking.callNative(Thread::currentThread);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        caller.join();
        assertThat(fromJdkVirtual[1]).isNotSameAs(fromJdkVirtual[0]);
        assertThat(fromJdkVirtual[1].isVirtual()).isFalse();
        assertThat(fromJdkVirtual[1].getName()).isEqualTo("keel-blocking");
        // A plain blocking call from a JDK virtual thread stays where it is (the JDK compensates).
        Thread[] plain = new Thread[2];
        Thread.ofVirtual().start(() -> {
            plain[0] = Thread.currentThread();
            try {
                plain[1] = Blocking.call(Thread::currentThread);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).join();
        assertThat(plain[1]).isSameAs(plain[0]);
        if (VirtualThreadFactory.customSchedulerAvailable()) {
            try (ThreadContext loop = ThreadContext.eventLoop("blocking-native")) {
                Thread[] idle = new Thread[2];
                loop.spawn("idle", () -> {
                    idle[0] = Thread.currentThread();
                    idle[1] = Blocking.callNative(Thread::currentThread);
                    return null;
                }).join();
                assertThat(idle[1]).isSameAs(idle[0]); // in place on an idle context, as call does
                Thread moved = loop.spawn("busy", () -> {
                    loop.execute(() -> { }); // waits: the context's one thread runs us
                    return Blocking.callNative(Thread::currentThread);
                }).join();
                assertThat(moved.isVirtual()).isFalse();
                assertThat(moved.getName()).isEqualTo("keel-blocking");
            }
        }
    }

    @Test
    void aPoolKeepsOneThreadFreeOfBlockingCalls() throws Exception {
        assumeTrue(VirtualThreadFactory.customSchedulerAvailable(), "needs Keel virtual threads");
        try (ThreadContext pool = ThreadContext.pool("blocking-pool", 2)) {
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread[] first = new Thread[2];
            var holder = pool.spawn("holder", () -> {
                first[0] = Thread.currentThread();
                first[1] = Blocking.call(() -> {
                    entered.countDown();
                    awaitUninterruptibly(release);
                    return Thread.currentThread();
                });
                return null;
            });
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            // One of the pool's two threads blocks in place: the next call moves off the pool even
            // though nothing is queued, and plain work still runs while both calls are out.
            Thread[] second = callerAndCall(pool, "second");
            assertThat(second[1]).isNotSameAs(second[0]);
            assertThat(pool.spawn("plain", () -> "ran").join()).isEqualTo("ran");

            release.countDown();
            holder.join();
            assertThat(first[1]).isSameAs(first[0]);
            // The hold ended, also for a call that throws: calls run in place again.
            assertThatThrownBy(() -> pool.spawn("failing", () -> Blocking.call(() -> {
                throw new IOException("device gone");
            })).join()).hasRootCauseMessage("device gone");
            Thread[] third = callerAndCall(pool, "third");
            assertThat(third[1]).isSameAs(third[0]);
        }
    }

    @Test
    void callsBeyondTheJdkSchedulersCarriersRunOnPlatformThreads() throws Exception {
        assumeTrue(VirtualThreadFactory.customSchedulerAvailable(), "needs Keel virtual threads");
        int calls = Blocking.VIRTUAL_THREAD_CALLS + 3;
        try (ThreadContext pool = ThreadContext.pool("blocking-many", 2)) {
            CountDownLatch entered = new CountDownLatch(calls);
            CountDownLatch release = new CountDownLatch(1);
            List<Task<Thread[]>> tasks = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                tasks.add(pool.spawn("caller-" + i, () -> new Thread[] {Thread.currentThread(), Blocking.call(() -> {
                    entered.countDown();
                    awaitUninterruptibly(release);
                    return Thread.currentThread();
                })}));
            }
            // Every call is out at once: none waits for a thread to run on.
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            release.countDown();
            int inPlace = 0;
            int onVirtual = 0;
            int onPlatform = 0;
            for (Task<Thread[]> task : tasks) {
                Thread[] seen = task.join();
                if (seen[1] == seen[0]) {
                    inPlace++;
                } else if (seen[1].isVirtual()) {
                    onVirtual++;
                } else {
                    onPlatform++;
                }
            }
            // At most one ran in place (the pool keeps its other thread free); with all calls out at
            // once, the JDK's carriers took as many as they have and platform threads the rest.
            assertThat(inPlace).isLessThanOrEqualTo(1);
            assertThat(onVirtual).isEqualTo(Blocking.VIRTUAL_THREAD_CALLS);
            assertThat(onPlatform).isEqualTo(calls - inPlace - Blocking.VIRTUAL_THREAD_CALLS);
        }
    }

    /** The thread a task spawned on {@code context} runs on, and the one its blocking call runs on. */
    private static Thread[] callerAndCall(final ThreadContext context, final String name) throws Exception {
        Thread[] seen = new Thread[2];
        context.spawn(name, () -> {
            seen[0] = Thread.currentThread();
            seen[1] = Blocking.call(Thread::currentThread);
            return null;
        }).join();
        return seen;
    }

    private static void awaitUninterruptibly(final CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
