package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReadBudgetTest {

    private static final int MIB = 1 << 20;

    @Test
    void aReadThatDoesNotFitWaitsUntilBytesComeBack() throws Exception {
        ReadBudget budget = new ReadBudget(4 * MIB);
        ReadBudget.Held first = budget.acquire(3 * MIB);
        CompletableFuture<ReadBudget.Held> second = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> second.complete(budget.acquire(2 * MIB)));
        awaitWaiting(budget, 1);
        assertThat(second).isNotDone();

        first.close();
        ReadBudget.Held got = second.get(10, TimeUnit.SECONDS);
        assertThat(budget.held()).isEqualTo(2 * MIB);
        got.close();
        got.close(); // once only
        assertThat(budget.held()).isZero();
    }

    @Test
    void aReadLargerThanTheBudgetRunsAlone() throws Exception {
        ReadBudget budget = new ReadBudget(MIB);
        try (ReadBudget.Held whole = budget.acquire(32L * MIB)) {
            assertThat(budget.held()).isEqualTo(32L * MIB);
            CompletableFuture<ReadBudget.Held> small = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> small.complete(budget.acquire(4096)));
            awaitWaiting(budget, 1);
            assertThat(small).isNotDone();
            whole.close();
            small.get(10, TimeUnit.SECONDS).close();
        }
        assertThat(budget.held()).isZero();
    }

    @Test
    void aReadAnsweredFromTheHeapHoldsItsBytesUntilTheTransportReleasesIt() {
        ReadBudget budget = new ReadBudget(8 * MIB);
        BlockIo io = new BlockIo(new MemoryBackend("vol-budget", 16 * MIB, true), TargetOptions.defaults(), budget);
        // READ(16) of 2 MiB: more than a lent transfer buffer holds, so it is read onto the heap.
        ScsiResult r = io.read(ScsiFixture.cdb(0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0));
        assertThat(r.dataIn().remaining()).isEqualTo(2 * MIB);
        assertThat(budget.held()).isEqualTo(2 * MIB);
        r.release();
        assertThat(budget.held()).isZero();

        // VERIFY(16) BYTCHK 0 of 2 MiB reads the blocks and gives the bytes back when it answers.
        byte[] verify = ScsiFixture.cdb(0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0);
        ScsiResult verified = io.verify(new ScsiCommand(ScsiFixture.A, 0, verify, TaskAttribute.SIMPLE, 1, 0, null),
                verify);
        assertThat(verified.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(budget.held()).isZero();
    }

    private static void awaitWaiting(final ReadBudget budget, final int readers) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (budget.waiting() < readers && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(budget.waiting()).isEqualTo(readers);
    }
}
