package io.keel.access.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.TaskAttribute;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One session's bound on the medium its commands hold in memory, and the node's share of it between sessions. */
class ReadAllowanceTest {

    private static final long MIB = 1 << 20;

    /** A share for one session, of {@code bytes}. */
    private static ReadShare alone(final long bytes) {
        return new ReadShare(bytes, () -> 1);
    }

    private static Task read() {
        return new Task(1, 0, new byte[16], TaskAttribute.SIMPLE, 0, true, false, 0);
    }

    private static CompletableFuture<Boolean> acquireLater(final ReadAllowance allowance, final Task task,
            final long bytes, final AtomicInteger waits) {
        CompletableFuture<Boolean> got = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> got.complete(allowance.acquire(task, bytes, waits::incrementAndGet)));
        return got;
    }

    private static void awaitWaiting(final ReadAllowance allowance, final int count) throws InterruptedException {
        for (int i = 0; i < 200 && allowance.waiting() < count; i++) {
            Thread.sleep(10);
        }
        assertThat(allowance.waiting()).isEqualTo(count);
    }

    @Test
    void commandsThatDoNotFitWaitInArrivalOrderUntilBytesComeBack() throws Exception {
        ReadAllowance allowance = new ReadAllowance(alone(64 * MIB));
        AtomicInteger waits = new AtomicInteger();
        assertThat(allowance.acquire(read(), 48 * MIB, waits::incrementAndGet)).isTrue();
        CompletableFuture<Boolean> large = acquireLater(allowance, read(), 32 * MIB, waits);
        awaitWaiting(allowance, 1);
        // A small one that would fit queues behind the large one that came first.
        CompletableFuture<Boolean> small = acquireLater(allowance, read(), MIB, waits);
        awaitWaiting(allowance, 2);
        assertThat(large).isNotDone();
        assertThat(small).isNotDone();

        allowance.release(48 * MIB);
        assertThat(large.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(small.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(allowance.held()).isEqualTo(33 * MIB);
        assertThat(waits).hasValue(2);
    }

    @Test
    void anAbortedCommandStopsWaitingAndHoldsNothing() throws Exception {
        ReadAllowance allowance = new ReadAllowance(alone(64 * MIB));
        assertThat(allowance.acquire(read(), 64 * MIB, () -> { })).isTrue();
        Task aborted = read();
        CompletableFuture<Boolean> waiting = acquireLater(allowance, aborted, MIB, new AtomicInteger());
        awaitWaiting(allowance, 1);
        aborted.aborted = true;
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(allowance.held()).isEqualTo(64 * MIB);
        assertThat(allowance.waiting()).isZero();
    }

    @Test
    void aCommandLargerThanTheAllowanceRunsWhenNothingElseHoldsAny() throws Exception {
        ReadAllowance allowance = new ReadAllowance(alone(MIB));
        assertThat(allowance.acquire(read(), 4096, () -> { })).isTrue();
        CompletableFuture<Boolean> huge = acquireLater(allowance, read(), 32 * MIB, new AtomicInteger());
        awaitWaiting(allowance, 1);
        allowance.release(4096);
        assertThat(huge.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(allowance.held()).isEqualTo(32 * MIB);
    }

    @Test
    void theNodesCapacityIsSharedEquallyBetweenSessionsUpToAMostPerSession() {
        AtomicInteger sessions = new AtomicInteger(1);
        ReadShare share = new ReadShare(256 * MIB, sessions::get);
        assertThat(share.perSession()).isEqualTo(ReadShare.MOST_PER_SESSION);
        sessions.set(8);
        assertThat(share.perSession()).isEqualTo(32 * MIB);
        sessions.set(0);
        assertThat(share.perSession()).isEqualTo(ReadShare.MOST_PER_SESSION);
    }

    @Test
    void sessionsHoldTheirOwnPartsWithoutWaitingForEachOther() {
        ReadShare share = new ReadShare(64 * MIB, () -> 4);
        ReadAllowance first = new ReadAllowance(share);
        ReadAllowance second = new ReadAllowance(share);
        AtomicInteger waits = new AtomicInteger();
        assertThat(first.acquire(read(), 16 * MIB, waits::incrementAndGet)).isTrue();
        assertThat(second.acquire(read(), 16 * MIB, waits::incrementAndGet)).isTrue();
        assertThat(share.held()).isEqualTo(32 * MIB);
        first.release(16 * MIB);
        assertThat(share.held()).isEqualTo(16 * MIB);
        assertThat(waits).hasValue(0);
    }

    @Test
    void aCommandWaitingForItsSessionsPartGoesOnWhenOtherSessionsLeave() throws Exception {
        AtomicInteger sessions = new AtomicInteger(4);
        ReadAllowance allowance = new ReadAllowance(new ReadShare(64 * MIB, sessions::get));
        AtomicInteger waits = new AtomicInteger();
        assertThat(allowance.acquire(read(), 12 * MIB, waits::incrementAndGet)).isTrue();
        CompletableFuture<Boolean> next = acquireLater(allowance, read(), 8 * MIB, waits);
        awaitWaiting(allowance, 1);
        assertThat(next).isNotDone();

        sessions.set(2); // nothing of this session came back: its part grew to 32 MiB
        assertThat(next.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(allowance.held()).isEqualTo(20 * MIB);
        assertThat(waits).hasValue(1);
    }
}
