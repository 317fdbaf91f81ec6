package io.keel.runtime.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: a guard moves a Keel virtual thread onto the target context for exactly the guarded
 * block, whatever the block does (blocks, throws, nests), and leaves nothing behind.
 * Method: observe the carrier thread (the JDK's hidden currentCarrierThread) at each step.
 */
@Timeout(60)
class ThreadContextGuardTest {

    private ThreadContext home;
    private ThreadContext worker;
    private ThreadContext third;

    @BeforeAll
    static void requiresCustomScheduler() {
        assertThat(VirtualThreadFactory.customSchedulerAvailable())
                .as("the default test run opens java.lang; the fallback has its own test run")
                .isTrue();
    }

    @BeforeEach
    void startContexts() {
        home = ThreadContext.eventLoop("home");
        worker = ThreadContext.eventLoop("worker");
        third = ThreadContext.pool("third", 2);
    }

    @AfterEach
    void closeContexts() {
        home.close();
        worker.close();
        third.close();
    }

    private static ThreadContext carrierContext() {
        return VirtualThreadFactory.currentCarrierThread() instanceof ContextWorker w ? w.context : null;
    }

    @Test
    void spawnedThreadRunsOnItsContext() throws Exception {
        List<Object> seen = home.spawn("probe", () -> List.<Object>of(carrierContext(), ThreadContext.current(),
                Thread.currentThread().isVirtual(), Thread.currentThread().getName())).join();
        assertThat(seen).containsExactly(home, home, true, "home/probe");
    }

    @Test
    void guardMovesThereAndBack() throws Exception {
        List<ThreadContext> path = home.spawn("mover", () -> {
            List<ThreadContext> steps = new ArrayList<>();
            steps.add(carrierContext());
            try (var guard = ThreadContextGuard.enter(worker)) {
                steps.add(carrierContext());
                steps.add(ThreadContext.current());
            }
            steps.add(carrierContext());
            steps.add(ThreadContext.current());
            return steps;
        }).join();
        assertThat(path).containsExactly(home, worker, worker, home, home);
    }

    @Test
    void guardsNestAndUnwindInOrder() throws Exception {
        List<ThreadContext> path = home.spawn("nester", () -> {
            List<ThreadContext> steps = new ArrayList<>();
            try (var a = ThreadContextGuard.enter(worker)) {
                steps.add(carrierContext());
                try (var b = ThreadContextGuard.enter(third)) {
                    steps.add(carrierContext());
                    try (var c = ThreadContextGuard.enter(third)) {
                        steps.add(carrierContext()); // entering the current context is a no-op
                    }
                    steps.add(carrierContext());
                }
                steps.add(carrierContext());
            }
            steps.add(carrierContext());
            return steps;
        }).join();
        assertThat(path).containsExactly(worker, third, third, third, worker, home);
    }

    @Test
    void exceptionLeavesTheGuardedContext() throws Exception {
        ThreadContext after = home.spawn("thrower", () -> {
            try (var guard = ThreadContextGuard.enter(worker)) {
                throw new IOException("boom");
            } catch (IOException expected) {
                return carrierContext();
            }
        }).join();
        assertThat(after).isSameAs(home);
    }

    @Test
    void blockingInsideTheGuardResumesOnTheTarget() throws Exception {
        ReentrantLock lock = new ReentrantLock();
        BlockingQueue<String> mailbox = new ArrayBlockingQueue<>(1);
        lock.lock(); // held by the test thread so the guarded block must park on it
        Task<List<ThreadContext>> task = home.spawn("blocker", () -> {
            List<ThreadContext> steps = new ArrayList<>();
            try (var guard = ThreadContextGuard.enter(worker)) {
                Thread.sleep(5);
                steps.add(carrierContext());
                lock.lock();
                lock.unlock();
                steps.add(carrierContext());
                mailbox.take();
                steps.add(carrierContext());
                steps.add(echoOverLoopback());
            }
            steps.add(carrierContext());
            return steps;
        });
        Thread.sleep(50);
        lock.unlock();
        mailbox.put("go");
        assertThat(task.join()).containsExactly(worker, worker, worker, worker, home);
    }

    /** Blocking socket I/O on a virtual thread parks it on the JDK's poller; it must come back here. */
    private static ThreadContext echoOverLoopback() throws IOException, InterruptedException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread peer = Thread.ofVirtual().start(() -> {
                try (SocketChannel accepted = server.accept()) {
                    Thread.sleep(20);
                    accepted.write(ByteBuffer.wrap(new byte[] {42}));
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SocketChannel client = SocketChannel.open(server.getLocalAddress())) {
                ByteBuffer one = ByteBuffer.allocate(1);
                while (one.hasRemaining() && client.read(one) >= 0) {
                    // read until the peer's byte arrives
                }
                assertThat(one.get(0)).isEqualTo((byte) 42);
            }
            peer.join();
            return carrierContext();
        }
    }

    @Test
    void singleThreadContextSerialisesGuardedBlocks() throws Exception {
        int[] unsynchronisedCounter = {0};
        List<Task<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < 50; t++) {
            tasks.add(third.spawn("incrementer-" + t, () -> {
                for (int i = 0; i < 200; i++) {
                    try (var guard = ThreadContextGuard.enter(worker)) {
                        int read = unsynchronisedCounter[0];
                        Thread.onSpinWait();
                        unsynchronisedCounter[0] = read + 1;
                    }
                }
                return null;
            }));
        }
        for (Task<Void> task : tasks) {
            task.join();
        }
        assertThat(worker.call(() -> unsynchronisedCounter[0])).isEqualTo(50 * 200);
    }

    @Test
    void perThreadBookkeepingGoesAwayWithTheThread() throws Exception {
        List<WeakReference<ContextRoute>> routes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            routes.add(home.spawn("short-lived", () -> {
                try (var guard = ThreadContextGuard.enter(worker)) {
                    return new WeakReference<>(ContextRoute.ofCurrentThread());
                }
            }).join());
        }
        for (int attempt = 0; attempt < 50 && routes.stream().anyMatch(r -> r.get() != null); attempt++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(routes).allMatch(r -> r.get() == null, "route collected");
    }

    @Test
    void closedTargetIsRejected() throws Exception {
        worker.close();
        Task<Void> task = home.spawn("late", () -> {
            ThreadContextGuard.enter(worker).close();
            return null;
        });
        assertThatThrownBy(task::join).hasCauseInstanceOf(java.util.concurrent.RejectedExecutionException.class);
    }

    @Test
    void threadsOfAClosedContextFinishElsewhere() throws Exception {
        CountDownLatch parked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Task<Boolean> task = home.spawn("survivor", () -> {
            parked.countDown();
            release.await();
            return carrierContext() == null;
        });
        parked.await();
        home.close();
        release.countDown();
        assertThat(task.join()).isTrue();
    }

    @Test
    void platformThreadHoldsTheTargetWhileGuarded() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        try (var guard = ThreadContextGuard.enter(worker)) {
            assertThat(ThreadContext.current()).isSameAs(worker);
            worker.execute(ran::countDown);
            assertThat(ran.await(100, java.util.concurrent.TimeUnit.MILLISECONDS))
                    .as("the single worker thread is held by the guard")
                    .isFalse();
        }
        assertThat(ran.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(ThreadContext.current()).isNull();
    }

    /** Target for {@link PinnedByClassInitialisation}, set before that class is initialised. */
    private static volatile ThreadContext pinnedTarget;

    /** A virtual thread running a class initialiser is pinned to its carrier and cannot yield. */
    private static final class PinnedByClassInitialisation {
        static final RuntimeException OUTCOME = tryToEnter();

        private static RuntimeException tryToEnter() {
            try (var guard = ThreadContextGuard.enter(pinnedTarget)) {
                return null;
            } catch (RuntimeException refused) {
                return refused;
            }
        }
    }

    @Test
    void pinnedThreadIsRefusedInsteadOfRunningInTheWrongPlace() throws Exception {
        pinnedTarget = worker;
        List<Object> seen = home.spawn("pinned", () -> List.<Object>of(
                String.valueOf(PinnedByClassInitialisation.OUTCOME), carrierContext())).join();
        assertThat((String) seen.get(0)).contains("pinned");
        assertThat(seen.get(1)).isSameAs(home);
    }

    @Test
    void guardMustBeClosedByItsOwner() throws Exception {
        ThreadContextGuard guard = ThreadContextGuard.enter(worker);
        Task<Void> other = home.spawn("intruder", () -> {
            guard.close();
            return null;
        });
        assertThatThrownBy(other::join).hasCauseInstanceOf(IllegalStateException.class);
        guard.close();
    }
}
