package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class QueueDepthTest {

    @Test
    void commandsBeyondTheQueueDepthGetTaskSetFull() throws InterruptedException {
        MemoryBackend backend = new MemoryBackend("vol-q", 1 << 20, true);
        TargetOptions options = new TargetOptions("KEEL", "Keel Volume", "0001", 2, 8192, 1 << 20, 256, 1);
        BlockTarget target = new BlockTarget(List.of(new LunSpec(0, backend, FakeReservations::new)), options);
        ItNexus nexus = ScsiFixture.A;
        byte[] tur = ScsiFixture.cdb(0, 0, 0, 0, 0, 0);
        target.execute(new ScsiCommand(nexus, 0, tur, TaskAttribute.SIMPLE, 1, 0, null));
        CountDownLatch gate = new CountDownLatch(1);
        backend.readGate = gate;
        byte[] read = ScsiFixture.cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0);
        List<Thread> readers = new ArrayList<>();
        List<AtomicReference<ScsiResult>> results = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            AtomicReference<ScsiResult> result = new AtomicReference<>();
            results.add(result);
            readers.add(Thread.ofVirtual().start(() -> result.set(
                    target.execute(new ScsiCommand(nexus, 0, read, TaskAttribute.SIMPLE, 2, 512, null)))));
        }
        while (readers.stream().anyMatch(t -> t.getState() != Thread.State.WAITING)) {
            Thread.onSpinWait();
        }
        ScsiResult full = target.execute(new ScsiCommand(nexus, 0, tur, TaskAttribute.SIMPLE, 3, 0, null));
        assertThat(full.status()).isEqualTo(ScsiStatus.TASK_SET_FULL);
        gate.countDown();
        for (Thread t : readers) {
            t.join();
        }
        for (AtomicReference<ScsiResult> r : results) {
            assertThat(r.get().status()).isEqualTo(ScsiStatus.GOOD);
        }
        backend.readGate = null;
        ScsiResult after = target.execute(new ScsiCommand(nexus, 0, tur, TaskAttribute.SIMPLE, 4, 0, null));
        assertThat(after.status()).isEqualTo(ScsiStatus.GOOD);
    }
}
