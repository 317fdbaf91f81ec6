package io.keel.runtime.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.runtime.time.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class CallTimeoutsTest {

    private final ManualClock clock = new ManualClock();
    private final Map<Long, PendingCall> pending = new ConcurrentHashMap<>();
    private final List<PendingCall> expired = new CopyOnWriteArrayList<>();
    private final CallTimeouts timeouts = new CallTimeouts(clock, pending, expired::add);

    @Test
    void expiresEachCallAtItsDeadlineAndNotBefore() {
        PendingCall early = track(1, 100);
        PendingCall late = track(2, 300);

        clock.advance(Duration.ofMillis(99));
        assertThat(pending).containsOnlyKeys(1L, 2L);

        clock.advance(Duration.ofMillis(1));
        assertThat(pending).containsOnlyKeys(2L);
        assertThat(early.await()).isSameAs(PendingCall.TIMED_OUT);
        assertThat(expired).containsExactly(early);

        clock.advance(Duration.ofMillis(200));
        assertThat(pending).isEmpty();
        assertThat(late.await()).isSameAs(PendingCall.TIMED_OUT);
        assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void callsWithLaterDeadlinesShareOneTimer() {
        for (int i = 0; i < 100; i++) {
            track(i, 1000 + i);
        }
        assertThat(clock.pendingTimers()).isEqualTo(1);
    }

    @Test
    void anEarlierDeadlineReplacesTheTimer() {
        track(1, 1000);
        PendingCall urgent = track(2, 10);

        assertThat(clock.pendingTimers()).isEqualTo(1);
        clock.advance(Duration.ofMillis(10));
        assertThat(urgent.await()).isSameAs(PendingCall.TIMED_OUT);
        assertThat(pending).containsOnlyKeys(1L);
        assertThat(clock.pendingTimers()).isEqualTo(1);
    }

    @Test
    void answeredCallsAreNotExpired() {
        PendingCall answered = track(1, 50);
        pending.remove(1L);
        answered.complete("answer");

        clock.advance(Duration.ofMillis(100));

        assertThat(answered.await()).isEqualTo("answer");
        assertThat(expired).isEmpty();
        assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void aCallTrackedAfterStopSetsNoTimer() {
        track(1, 100);
        timeouts.stop();
        // A call racing the connection's close: close() has already failed it, and a timer would only keep the
        // dead connection reachable until the deadline.
        track(2, 50);

        assertThat(clock.pendingTimers()).isZero();
    }

    private PendingCall track(final long id, final long deadlineMillis) {
        PendingCall call = new PendingCall(id, clock.nanoTime() + Duration.ofMillis(deadlineMillis).toNanos(),
                OutboundFrame.of(FrameKind.PING, 0, id), Thread.currentThread());
        pending.put(id, call);
        timeouts.track(call);
        return call;
    }
}
