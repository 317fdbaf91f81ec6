package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** COMPARE AND WRITE as VMware's ATS uses it: many hosts bump one lock block, no update may be lost. */
class CompareAndWriteConcurrencyTest extends ScsiFixture {

    private static final int LBA = 100;

    @Test
    void concurrentIncrementsNeverLoseAnUpdate() throws InterruptedException {
        settle(A, THIN);
        settle(B, THIN);
        int threads = 8;
        int increments = 150;
        AtomicInteger miscompares = new AtomicInteger();
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ItNexus nexus = t % 2 == 0 ? A : B;
            started.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < increments; i++) {
                    while (true) {
                        byte[] current = data(run(nexus, THIN, cdb(0x28, 0, 0, 0, 0, LBA, 0, 0, 1, 0), null));
                        byte[] next = current.clone();
                        ByteBuffer.wrap(next).putLong(0, ByteBuffer.wrap(current).getLong(0) + 1);
                        byte[] both = new byte[1024];
                        System.arraycopy(current, 0, both, 0, 512);
                        System.arraycopy(next, 0, both, 512, 512);
                        ScsiResult r = run(nexus, THIN, cdb(0x89, 0, 0, 0, 0, 0, 0, 0, 0, LBA, 0, 0, 0, 1, 0, 0),
                                both);
                        if (r.status() == ScsiStatus.GOOD) {
                            break;
                        }
                        assertThat(key(r.sense())).isEqualTo(new Key(Sense.MISCOMPARE, 0x1d, 0));
                        miscompares.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : started) {
            t.join();
        }
        long value = ByteBuffer.wrap(thin.snapshot(LBA * 512L, 8)).getLong();
        assertThat(value).isEqualTo((long) threads * increments);
    }
}
