package io.keel.access.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.access.scsi.WriteAdmission;
import io.keel.runtime.time.ManualClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class VolumeThrottleTest {

    private static final long MS = 1_000_000L;

    private final ManualClock clock = new ManualClock();
    private final VolumeThrottle throttle = new VolumeThrottle(clock);

    @Test
    void withoutLimitsNothingWaits() {
        assertThat(throttle.limited()).isFalse();
        for (int i = 0; i < 10_000; i++) {
            assertThat(throttle.tryAcquire(1 << 20, null)).isTrue();
            assertThat(throttle.reserve(1 << 20)).isZero();
        }
    }

    @Test
    void anIopsLimitLetsOneSecondsBurstThroughThenOneCallPerInterval() {
        throttle.limit(100, 0);
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.tryAcquire(4096, null)).as("call %d of the burst", i).isTrue();
        }
        assertThat(throttle.tryAcquire(4096, null)).isFalse();
        assertThat(throttle.reserve(4096)).as("the 101st waits for one refill").isEqualTo(10 * MS);
        assertThat(throttle.reserve(4096)).as("the 102nd behind it").isEqualTo(20 * MS);
        clock.advance(Duration.ofMillis(30));
        assertThat(throttle.reserve(4096)).as("the debt is paid, the next is due now").isZero();
        clock.advance(Duration.ofSeconds(10));
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.tryAcquire(4096, null)).isTrue();
        }
        assertThat(throttle.tryAcquire(4096, null)).as("a quiet spell refills one second, no more").isFalse();
    }

    @Test
    void aBandwidthLimitSlowsLargeCallsWithoutRefusingThem() {
        throttle.limit(0, 1 << 20);
        assertThat(throttle.reserve(4 << 20)).as("4 MiB at 1 MiB/s, one second in the bucket")
                .isEqualTo(3_000 * MS);
        assertThat(throttle.tryAcquire(4096, null)).isFalse();
        clock.advance(Duration.ofSeconds(3));
        assertThat(throttle.tryAcquire(4096, null)).isFalse();
        clock.advance(Duration.ofMillis(4));
        assertThat(throttle.tryAcquire(4096, null)).isTrue();
    }

    @Test
    void aRefundGivesBackWhatATryTookAndNewLimitsStartFull() {
        throttle.limit(2, 8192);
        assertThat(throttle.tryAcquire(4096, null)).isTrue();
        assertThat(throttle.tryAcquire(4096, null)).isTrue();
        assertThat(throttle.tryAcquire(1, null)).isFalse();
        throttle.refund(4096, null);
        assertThat(throttle.tryAcquire(4096, null)).isTrue();
        throttle.limit(2, 8192);
        assertThat(throttle.tryAcquire(1, null)).as("the same limits keep their buckets").isFalse();
        throttle.limit(4, 8192);
        assertThat(throttle.tryAcquire(4096, null)).as("new limits start full").isTrue();
        throttle.limit(0, 0);
        assertThat(throttle.limited()).isFalse();
        assertThatThrownBy(() -> throttle.limit(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAdmittedWritePaysAheadAndItsCallGoesThroughWithoutPayingAgain() throws Exception {
        throttle.limit(100, 0);
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.tryAcquire(4096, null)).isTrue();
        }
        AtomicInteger admitted = new AtomicInteger();
        WriteAdmission first = throttle.admitWrite(4096, admitted::incrementAndGet);
        WriteAdmission second = throttle.admitWrite(4096, admitted::incrementAndGet);
        assertThat(first.waits()).as("the bucket is empty: it waits").isTrue();
        assertThat(second.waits()).isTrue();
        clock.advance(Duration.ofMillis(10));
        waitFor(() -> admitted.get() == 1);
        clock.advance(Duration.ofMillis(10));
        waitFor(() -> admitted.get() == 2);
        assertThat(throttle.tryAcquire(4096, null)).as("both refills went to the admitted writes").isFalse();
        assertThat(throttle.tryAcquire(4096, first)).as("its own admission lets a write through").isTrue();
        assertThat(throttle.tryAcquire(4096, first)).as("once").isFalse();
        throttle.acquire(4096, second);
        assertThat(throttle.reserve(4096)).as("a write not admitted waits as before").isEqualTo(10 * MS);
    }

    @Test
    void anAdmissionReleasedUnspentGivesItsTokensBackAndOneSpentDoesNot() {
        throttle.limit(2, 0);
        WriteAdmission first = throttle.admitWrite(4096, () -> { });
        WriteAdmission second = throttle.admitWrite(4096, () -> { });
        assertThat(first.waits()).isFalse();
        assertThat(second.waits()).isFalse();
        assertThat(throttle.tryAcquire(4096, null)).isFalse();
        assertThat(throttle.tryAcquire(4096, first)).isTrue();
        first.release();
        assertThat(throttle.tryAcquire(4096, null)).as("spent: nothing comes back").isFalse();
        second.release();
        second.release();
        assertThat(throttle.tryAcquire(4096, null)).as("released unspent: its token is back, once").isTrue();
        assertThat(throttle.tryAcquire(4096, null)).isFalse();
        assertThat(throttle.tryAcquire(4096, second)).as("a released admission pays for nothing").isFalse();
    }

    @Test
    void aWaitingAdmissionReleasedStopsWaitingAndItsCallbackNeverRuns() throws Exception {
        throttle.limit(1, 0);
        assertThat(throttle.admitWrite(4096, () -> { }).waits()).isFalse();
        AtomicInteger admitted = new AtomicInteger();
        WriteAdmission waiting = throttle.admitWrite(4096, admitted::incrementAndGet);
        assertThat(waiting.waits()).isTrue();
        assertThat(clock.pendingTimers()).isEqualTo(1);
        waiting.release();
        assertThat(clock.pendingTimers()).as("its timer is cancelled").isZero();
        clock.advance(Duration.ofSeconds(5));
        Thread.sleep(50);
        assertThat(admitted.get()).isZero();
        assertThat(throttle.tryAcquire(4096, null)).as("its token came back, and the bucket refilled").isTrue();
    }

    @Test
    void aRefundAfterAnAdmissionWasSpentMakesItSpendableAgain() {
        throttle.limit(1, 0);
        WriteAdmission admitted = throttle.admitWrite(4096, () -> { });
        assertThat(throttle.tryAcquire(4096, admitted)).isTrue();
        throttle.refund(4096, admitted);
        assertThat(throttle.tryAcquire(4096, null)).as("the refund went to the admission, not the bucket").isFalse();
        assertThat(throttle.tryAcquire(4096, admitted)).isTrue();
        VolumeThrottle other = new VolumeThrottle(clock);
        other.limit(1, 0);
        VolumeThrottle third = new VolumeThrottle(clock);
        third.limit(5, 0);
        WriteAdmission foreign = third.admitWrite(4096, () -> { });
        assertThat(foreign.waits()).isFalse();
        assertThat(other.tryAcquire(4096, null)).isTrue();
        assertThat(other.tryAcquire(4096, foreign)).as("another volume's admission pays for nothing here").isFalse();
    }

    @Test
    void aChangeOfLimitsLetsTheWritesWaitingForAdmissionThroughAtOnce() throws Exception {
        throttle.limit(1, 0);
        AtomicInteger admitted = new AtomicInteger();
        assertThat(throttle.admitWrite(4096, admitted::incrementAndGet).waits()).isFalse();
        WriteAdmission waiting = throttle.admitWrite(4096, admitted::incrementAndGet);
        assertThat(waiting.waits()).isTrue();
        assertThat(throttle.admitWrite(4096, admitted::incrementAndGet).waits()).as("two seconds away").isTrue();
        throttle.limit(0, 0);
        waitFor(() -> admitted.get() == 2);
        assertThat(clock.pendingTimers()).as("their timers are cancelled").isZero();
        assertThat(throttle.tryAcquire(4096, waiting)).isTrue();
    }

    @Test
    void withoutLimitsAnAdmissionIsFreeAndImmediate() {
        assertThat(throttle.admitWrite(1 << 20, () -> { })).isSameAs(WriteAdmission.NONE);
    }

    private static void waitFor(final java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 10 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
