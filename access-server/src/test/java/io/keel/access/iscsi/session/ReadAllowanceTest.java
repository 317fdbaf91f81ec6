package io.keel.access.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.TaskAttribute;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One session's bound on the medium its commands hold in memory. */
class ReadAllowanceTest {

    private static final long MIB = 1 << 20;

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
        ReadAllowance allowance = new ReadAllowance(64 * MIB);
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
        ReadAllowance allowance = new ReadAllowance(64 * MIB);
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
        ReadAllowance allowance = new ReadAllowance(MIB);
        assertThat(allowance.acquire(read(), 4096, () -> { })).isTrue();
        CompletableFuture<Boolean> huge = acquireLater(allowance, read(), 32 * MIB, new AtomicInteger());
        awaitWaiting(allowance, 1);
        allowance.release(4096);
        assertThat(huge.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(allowance.held()).isEqualTo(32 * MIB);
    }
}
