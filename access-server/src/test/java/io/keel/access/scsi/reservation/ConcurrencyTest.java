package io.keel.access.scsi.reservation;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.ItNexus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConcurrencyTest {

    @Test
    void concurrentRegistrationsAreAllKeptAndOnlyOneReserveWins() throws Exception {
        MemoryReservationStore store = new MemoryReservationStore();
        PersistentReservations pr = new PersistentReservations("c", store, new Pr.Attentions());
        int n = 64;
        AtomicInteger winners = new AtomicInteger();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                futures.add(pool.submit(() -> {
                    ItNexus nexus = new ItNexus("iqn.c:" + id, "000000000001", Pr.TARGET, 1);
                    assertThat(Pr.register(pr, nexus, id + 1).status()).isZero();
                    pr.conflicts(nexus, Pr.write10());
                    if (Pr.reserve(pr, nexus, id + 1, Pr.EA).status() == 0) {
                        winners.incrementAndGet();
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        assertThat(Pr.keys(pr)).hasSize(n);
        assertThat(winners.get()).isEqualTo(1);
        assertThat(Pr.generation(pr)).isEqualTo(n);
        PersistentReservations reloaded = new PersistentReservations("c", store, new Pr.Attentions());
        assertThat(Pr.keys(reloaded)).hasSize(n);
        assertThat(Pr.reservation(reloaded)).isEqualTo(Pr.reservation(pr));
    }
}
