package io.keel.runtime.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The shared byte budget on its own: waiting, order, abandonment. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RequestBudgetTest {

    private final AtomicLong gauge = new AtomicLong();
    private final RequestBudget budget = new RequestBudget(100, gauge::addAndGet);

    @Test
    void aWaiterProceedsOnceEnoughIsReleased() throws Exception {
        assertThat(budget.acquire(80, () -> false)).isTrue();
        AtomicBoolean got = new AtomicBoolean();
        Thread waiter = Thread.ofVirtual().start(() -> got.set(budget.acquire(50, () -> false)));
        awaitParked(waiter);
        assertThat(got).isFalse();
        // 60 in use: 50 more still do not fit.
        budget.release(20);
        awaitParked(waiter);
        assertThat(got).isFalse();
        budget.release(40);
        waiter.join();
        assertThat(got).isTrue();
        assertThat(budget.inUse()).isEqualTo(70).isEqualTo(gauge.get());
    }

    @Test
    void waitersAreServedInOrderSoALargeOneIsNotStarved() throws Exception {
        assertThat(budget.acquire(60, () -> false)).isTrue();
        Thread large = Thread.ofVirtual().start(() -> budget.acquire(100, () -> false));
        awaitParked(large);
        // Would fit, but must queue behind the large one.
        AtomicBoolean small = new AtomicBoolean();
        Thread smallWaiter = Thread.ofVirtual().start(() -> small.set(budget.acquire(10, () -> false)));
        awaitParked(smallWaiter);
        assertThat(small).isFalse();
        budget.release(60);
        large.join();
        assertThat(budget.inUse()).isEqualTo(100);
        budget.release(100);
        smallWaiter.join();
        assertThat(small).isTrue();
        assertThat(gauge.get()).isEqualTo(10);
    }

    @Test
    void anAbandonedWaiterLeavesWithoutBytesAndUnblocksTheNextOne() throws Exception {
        assertThat(budget.acquire(90, () -> false)).isTrue();
        AtomicBoolean closed = new AtomicBoolean();
        AtomicBoolean first = new AtomicBoolean(true);
        Thread abandoned = Thread.ofVirtual().start(() -> first.set(budget.acquire(50, closed::get)));
        awaitParked(abandoned);
        AtomicBoolean second = new AtomicBoolean();
        Thread next = Thread.ofVirtual().start(() -> second.set(budget.acquire(10, () -> false)));
        awaitParked(next);
        closed.set(true);
        budget.wakeAll();
        abandoned.join();
        next.join();
        assertThat(first).isFalse();
        assertThat(second).isTrue();
        assertThat(budget.inUse()).isEqualTo(100);
        assertThatThrownBy(() -> budget.acquire(101, () -> false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> budget.release(101)).isInstanceOf(IllegalStateException.class);
    }

    private static void awaitParked(final Thread thread) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (thread.getState() != Thread.State.WAITING) {
            assertThat(System.nanoTime()).as("thread parked in time").isLessThan(deadline);
            Thread.sleep(Duration.ofMillis(1));
        }
    }
}
