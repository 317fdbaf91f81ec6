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
            assertThat(throttle.tryAcquire(1 << 20)).isTrue();
            assertThat(throttle.reserve(1 << 20)).isZero();
        }
    }

    @Test
    void anIopsLimitLetsOneSecondsBurstThroughThenOneCallPerInterval() {
        throttle.limit(100, 0);
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.tryAcquire(4096)).as("call %d of the burst", i).isTrue();
        }
        assertThat(throttle.tryAcquire(4096)).isFalse();
        assertThat(throttle.reserve(4096)).as("the 101st waits for one refill").isEqualTo(10 * MS);
        assertThat(throttle.reserve(4096)).as("the 102nd behind it").isEqualTo(20 * MS);
        clock.advance(Duration.ofMillis(30));
        assertThat(throttle.reserve(4096)).as("the debt is paid, the next is due now").isZero();
        clock.advance(Duration.ofSeconds(10));
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.tryAcquire(4096)).isTrue();
        }
        assertThat(throttle.tryAcquire(4096)).as("a quiet spell refills one second, no more").isFalse();
    }

    @Test
    void aBandwidthLimitSlowsLargeCallsWithoutRefusingThem() {
        throttle.limit(0, 1 << 20);
        assertThat(throttle.reserve(4 << 20)).as("4 MiB at 1 MiB/s, one second in the bucket").isEqualTo(3_000 * MS);
        assertThat(throttle.tryAcquire(4096)).isFalse();
        clock.advance(Duration.ofSeconds(3));
        assertThat(throttle.tryAcquire(4096)).isFalse();
        clock.advance(Duration.ofMillis(4));
        assertThat(throttle.tryAcquire(4096)).isTrue();
    }

    @Test
    void aRefundGivesBackWhatATryTookAndNewLimitsStartFull() {
        throttle.limit(2, 8192);
        assertThat(throttle.tryAcquire(4096)).isTrue();
        assertThat(throttle.tryAcquire(4096)).isTrue();
        assertThat(throttle.tryAcquire(1)).isFalse();
        throttle.refund(4096);
        assertThat(throttle.tryAcquire(4096)).isTrue();
        throttle.limit(2, 8192);
        assertThat(throttle.tryAcquire(1)).as("the same limits keep their buckets").isFalse();
        throttle.limit(4, 8192);
        assertThat(throttle.tryAcquire(4096)).as("new limits start full").isTrue();
        throttle.limit(0, 0);
        assertThat(throttle.limited()).isFalse();
        assertThatThrownBy(() -> throttle.limit(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
