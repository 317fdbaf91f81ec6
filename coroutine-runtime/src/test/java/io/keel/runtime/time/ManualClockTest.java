package io.keel.runtime.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Goal: virtual time moves only on advance, fires timers in order, and deadlines follow it. */
@Timeout(30)
class ManualClockTest {

    @Test
    void timersFireInDeadlineOrderWithTheClockAtTheirDeadline() {
        ManualClock clock = new ManualClock();
        List<String> fired = new ArrayList<>();
        clock.schedule(Duration.ofMillis(30), () -> fired.add("c@" + clock.nanoTime()));
        clock.schedule(Duration.ofMillis(10), () -> fired.add("a@" + clock.nanoTime()));
        clock.schedule(Duration.ofMillis(10), () -> fired.add("b@" + clock.nanoTime()));
        Timer cancelled = clock.schedule(Duration.ofMillis(20), () -> fired.add("never"));
        assertThat(cancelled.cancel()).isTrue();
        assertThat(cancelled.cancel()).isFalse();
        clock.advance(Duration.ofMillis(25));
        assertThat(fired).containsExactly("a@10000000", "b@10000000");
        assertThat(clock.nanoTime()).isEqualTo(25_000_000);
        clock.advance(Duration.ofMillis(5));
        assertThat(fired).containsExactly("a@10000000", "b@10000000", "c@30000000");
    }

    @Test
    void timerScheduledByATimerFiresInTheSameAdvanceWhenDue() {
        ManualClock clock = new ManualClock();
        List<Long> fired = new ArrayList<>();
        Runnable second = () -> fired.add(clock.nanoTime());
        clock.schedule(Duration.ofMillis(1), () -> clock.schedule(Duration.ofMillis(1), second));
        clock.advance(Duration.ofMillis(5));
        assertThat(fired).containsExactly(2_000_000L);
    }

    @Test
    void sleepWakesWhenTimeIsAdvanced() throws Exception {
        ManualClock clock = new ManualClock();
        Thread sleeper = Thread.ofVirtual().start(() -> {
            try {
                clock.sleep(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        while (clock.pendingTimers() == 0) {
            Thread.onSpinWait();
        }
        assertThat(sleeper.isAlive()).isTrue();
        clock.advance(Duration.ofSeconds(10));
        sleeper.join();
    }

    @Test
    void deadlinesFollowTheClock() {
        ManualClock clock = new ManualClock(100);
        Deadline deadline = Deadline.after(clock, Duration.ofSeconds(1));
        assertThat(deadline.isExpired()).isFalse();
        assertThat(deadline.remaining()).isEqualTo(Duration.ofSeconds(1));
        clock.advance(Duration.ofMillis(999));
        assertThat(deadline.remainingNanos()).isEqualTo(1_000_000);
        clock.advance(Duration.ofMillis(2));
        assertThat(deadline.isExpired()).isTrue();
        assertThat(deadline.remainingNanos()).isZero();
        Deadline forever = Deadline.after(clock, Duration.ofSeconds(Long.MAX_VALUE));
        assertThat(forever.isExpired()).isFalse();
        assertThat(deadline.min(forever)).isSameAs(deadline);
        assertThatThrownBy(() -> deadline.min(Deadline.after(new ManualClock(), Duration.ZERO)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void seededRandomnessReplays() {
        RandomSource a = RandomSource.seeded(42);
        RandomSource b = RandomSource.seeded(42);
        for (int i = 0; i < 100; i++) {
            assertThat(a.nextLong()).isEqualTo(b.nextLong());
            assertThat(a.nextInt(1000)).isEqualTo(b.nextInt(1000));
        }
    }
}
