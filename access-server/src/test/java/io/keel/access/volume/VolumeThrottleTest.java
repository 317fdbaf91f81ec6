package io.keel.access.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.runtime.time.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class VolumeThrottleTest {

    private static final long MS = 1_000_000L;

    private final ManualClock clock = new ManualClock();
    private final VolumeThrottle throttle = new VolumeThrottle(clock);

    @Test
    void withoutLimitsNothingWaits() {
        assertThat(throttle.limited()).isFalse();
        for (int i = 0; i < 10_000; i++) {
            assertThat(throttle.tryAcquire(1 << 20, false)).isTrue();
            assertThat(throttle.reserve(1 << 20, false)).isZero();
        }
    }

    @Test
    void anIopsLimitLetsOneSecondsBurstThroughThenOneCallPerInterval() {
        throttle.limit(100, 0);
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.tryAcquire(4096, false)).as("call %d of the burst", i).isTrue();
        }
        assertThat(throttle.tryAcquire(4096, false)).isFalse();
        assertThat(throttle.reserve(4096, false)).as("the 101st waits for one refill").isEqualTo(10 * MS);
        assertThat(throttle.reserve(4096, false)).as("the 102nd behind it").isEqualTo(20 * MS);
        clock.advance(Duration.ofMillis(30));
        assertThat(throttle.reserve(4096, false)).as("the debt is paid, the next is due now").isZero();
        clock.advance(Duration.ofSeconds(10));
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.tryAcquire(4096, false)).isTrue();
        }
        assertThat(throttle.tryAcquire(4096, false)).as("a quiet spell refills one second, no more").isFalse();
    }

    @Test
    void aBandwidthLimitSlowsLargeCallsWithoutRefusingThem() {
        throttle.limit(0, 1 << 20);
        assertThat(throttle.reserve(4 << 20, false)).as("4 MiB at 1 MiB/s, one second in the bucket")
                .isEqualTo(3_000 * MS);
        assertThat(throttle.tryAcquire(4096, false)).isFalse();
        clock.advance(Duration.ofSeconds(3));
        assertThat(throttle.tryAcquire(4096, false)).isFalse();
        clock.advance(Duration.ofMillis(4));
        assertThat(throttle.tryAcquire(4096, false)).isTrue();
    }

    @Test
    void aRefundGivesBackWhatATryTookAndNewLimitsStartFull() {
        throttle.limit(2, 8192);
        assertThat(throttle.tryAcquire(4096, false)).isTrue();
        assertThat(throttle.tryAcquire(4096, false)).isTrue();
        assertThat(throttle.tryAcquire(1, false)).isFalse();
        throttle.refund(4096, false);
        assertThat(throttle.tryAcquire(4096, false)).isTrue();
        throttle.limit(2, 8192);
        assertThat(throttle.tryAcquire(1, false)).as("the same limits keep their buckets").isFalse();
        throttle.limit(4, 8192);
        assertThat(throttle.tryAcquire(4096, false)).as("new limits start full").isTrue();
        throttle.limit(0, 0);
        assertThat(throttle.limited()).isFalse();
        assertThatThrownBy(() -> throttle.limit(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAdmittedWritePaysAheadAndItsExecutionSpendsTheCreditWithoutWaiting() {
        throttle.limit(100, 0);
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.tryAcquire(4096, false)).isTrue();
        }
        assertThat(throttle.admit(4096)).as("the first admitted waits for one refill").isEqualTo(10 * MS);
        assertThat(throttle.admit(4096)).as("the second behind it").isEqualTo(20 * MS);
        assertThat(throttle.tryAcquire(4096, false)).as("reads do not spend the writes' credit").isFalse();
        clock.advance(Duration.ofMillis(20));
        assertThat(throttle.tryAcquire(4096, true)).as("the admitted writes' data came: paid already").isTrue();
        assertThat(throttle.reserve(4096, true)).isZero();
        assertThat(throttle.tryAcquire(4096, true)).as("the credit is spent; the bucket is empty").isFalse();
        assertThat(throttle.reserve(4096, true)).as("a write not admitted waits as before").isEqualTo(10 * MS);
    }

    @Test
    void creditCoversTheBytesPaidAndTheRestComesFromTheBucket() {
        throttle.limit(0, 1 << 20);
        assertThat(throttle.admit(1 << 20)).isZero();
        assertThat(throttle.admit(1 << 20)).as("a second MiB at 1 MiB/s").isEqualTo(1_000 * MS);
        clock.advance(Duration.ofSeconds(1));
        assertThat(throttle.tryAcquire(2 << 20, true)).as("two admitted MiB, written as one").isTrue();
        assertThat(throttle.reserve(512 << 10, true)).as("half a MiB more, from the empty bucket").isEqualTo(500 * MS);
        throttle.refund(4096, true);
        assertThat(throttle.tryAcquire(4096, true)).as("a write's refund is credit again").isTrue();
    }

    @Test
    void admissionRunsTheWaitingWriteOnceTheLimitLetsIt() throws Exception {
        assertThat(throttle.admitWrite(4096, () -> { })).as("unlimited: at once").isTrue();
        throttle.limit(1, 0);
        assertThat(throttle.admitWrite(4096, () -> { })).as("the burst").isTrue();
        java.util.concurrent.CountDownLatch admitted = new java.util.concurrent.CountDownLatch(1);
        assertThat(throttle.admitWrite(4096, admitted::countDown)).isFalse();
        clock.advance(Duration.ofMillis(999));
        assertThat(admitted.getCount()).isEqualTo(1);
        clock.advance(Duration.ofMillis(1));
        assertThat(admitted.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }
}
