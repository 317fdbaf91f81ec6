package io.keel.runtime.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.runtime.time.ManualClock;
import io.keel.runtime.time.RandomSource;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {

    private static final long MS = 1_000_000;

    private final ManualClock clock = new ManualClock();
    private final ReconnectBackoff backoff = new ReconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(2),
            clock, RandomSource.seeded(7));

    @Test
    void firstAttemptIsImmediate() {
        assertThat(backoff.nanosUntilNextAttempt()).isZero();
    }

    @Test
    void delaysDoubleWithJitterUpToTheMaximum() {
        long[] ceilings = {100, 200, 400, 800, 1600, 2000, 2000, 2000};
        for (long ceiling : ceilings) {
            long delay = backoff.recordFailure();
            assertThat(delay).isBetween(ceiling * MS / 2, ceiling * MS);
            assertThat(backoff.nanosUntilNextAttempt()).isEqualTo(delay);
        }
    }

    @Test
    void waitShrinksAsTimePassesAndResetClearsIt() {
        long delay = backoff.recordFailure();
        clock.advance(Duration.ofNanos(delay / 2));
        assertThat(backoff.nanosUntilNextAttempt()).isEqualTo(delay - delay / 2);
        clock.advance(Duration.ofNanos(delay));
        assertThat(backoff.nanosUntilNextAttempt()).isZero();

        backoff.recordFailure();
        backoff.reset();
        assertThat(backoff.nanosUntilNextAttempt()).isZero();
        assertThat(backoff.recordFailure()).isLessThanOrEqualTo(100 * MS);
    }

    @Test
    void jitterSpreadsClientsApart() {
        ReconnectBackoff other = new ReconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(2), clock,
                RandomSource.seeded(8));
        backoff.recordFailure();
        other.recordFailure();
        assertThat(backoff.recordFailure()).isNotEqualTo(other.recordFailure());
    }

    @Test
    void manyFailuresDoNotOverflow() {
        ReconnectBackoff patient = new ReconnectBackoff(Duration.ofMillis(1), Duration.ofDays(365 * 100), clock,
                RandomSource.seeded(1));
        long delay = 0;
        for (int i = 0; i < 200; i++) {
            delay = patient.recordFailure();
        }
        assertThat(delay).isPositive();
    }
}
