package io.keel.access.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.access.scsi.WriteAdmission;
import io.keel.runtime.time.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
        List<WriteAdmission> later = new CopyOnWriteArrayList<>();
        assertThat(throttle.admitWrite(4096, later::add)).as("the bucket is empty: it waits").isNull();
        assertThat(throttle.admitWrite(4096, later::add)).isNull();
        clock.advance(Duration.ofMillis(10));
        waitFor(() -> later.size() == 1);
        clock.advance(Duration.ofMillis(10));
        waitFor(() -> later.size() == 2);
        assertThat(throttle.tryAcquire(4096, null)).as("both refills went to the admitted writes").isFalse();
        assertThat(throttle.tryAcquire(4096, later.get(0))).as("its own admission lets a write through").isTrue();
        assertThat(throttle.tryAcquire(4096, later.get(0))).as("once").isFalse();
        throttle.acquire(4096, later.get(1));
        assertThat(throttle.reserve(4096)).as("a write not admitted waits as before").isEqualTo(10 * MS);
    }

    @Test
    void anAdmissionReleasedUnspentGivesItsTokensBackAndOneSpentDoesNot() {
        throttle.limit(2, 0);
        WriteAdmission first = throttle.admitWrite(4096, a -> { });
        WriteAdmission second = throttle.admitWrite(4096, a -> { });
        assertThat(first).isNotNull();
        assertThat(second).isNotNull();
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
    void aRefundAfterAnAdmissionWasSpentMakesItSpendableAgain() {
        throttle.limit(1, 0);
        WriteAdmission admitted = throttle.admitWrite(4096, a -> { });
        assertThat(throttle.tryAcquire(4096, admitted)).isTrue();
        throttle.refund(4096, admitted);
        assertThat(throttle.tryAcquire(4096, null)).as("the refund went to the admission, not the bucket").isFalse();
        assertThat(throttle.tryAcquire(4096, admitted)).isTrue();
        VolumeThrottle other = new VolumeThrottle(clock);
        other.limit(1, 0);
        VolumeThrottle third = new VolumeThrottle(clock);
        third.limit(5, 0);
        WriteAdmission foreign = third.admitWrite(4096, a -> { });
        assertThat(foreign).isNotNull();
        assertThat(other.tryAcquire(4096, null)).isTrue();
        assertThat(other.tryAcquire(4096, foreign)).as("another volume's admission pays for nothing here").isFalse();
    }

    @Test
    void aChangeOfLimitsLetsTheWritesWaitingForAdmissionThroughAtOnce() throws Exception {
        throttle.limit(1, 0);
        List<WriteAdmission> later = new CopyOnWriteArrayList<>();
        assertThat(throttle.admitWrite(4096, later::add)).isNotNull();
        assertThat(throttle.admitWrite(4096, later::add)).isNull();
        assertThat(throttle.admitWrite(4096, later::add)).as("two seconds away").isNull();
        throttle.limit(0, 0);
        waitFor(() -> later.size() == 2);
        assertThat(clock.pendingTimers()).as("their timers are cancelled").isZero();
        assertThat(throttle.tryAcquire(4096, later.get(0))).isTrue();
    }

    @Test
    void withoutLimitsAnAdmissionIsFreeAndImmediate() {
        assertThat(throttle.admitWrite(1 << 20, a -> { })).isSameAs(WriteAdmission.NONE);
    }

    private static void waitFor(final java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 10 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
