package io.keel.chunk.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.journal.Journal;
import io.keel.journal.JournalAppend;
import io.keel.journal.JournalConfig;
import io.keel.journal.JournalDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Reproducer for a journal bug the chunk store has to work around (StoreWorker waits for a
 * checkpoint's covering record with {@code whenDurable}, not {@code awaitDurable}): {@code
 * AppendHandle} remembers one parked waiter, so when two threads wait on the same handle only one
 * is woken and the other parks for ever. Runs only with {@code -Dkeel.test.knownBugs=true}
 * because it fails until the journal is fixed.
 */
@EnabledIfSystemProperty(named = "keel.test.knownBugs", matches = "true")
class JournalWaiterTest {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void everyThreadWaitingOnOneAppendIsWoken() throws Exception {
        PowerLossDevice device = PowerLossDevice.create(8L << 20);
        JournalDevice region = device.region(0, 4L << 20);
        UUID id = UUID.randomUUID();
        Journal.format(region, id);
        Journal journal = Journal.open(region, JournalConfig.defaults("waiters"), id, record -> { });
        device.hold(0, 4L << 20);
        JournalAppend append = journal.append((short) 1, ByteBuffer.allocate(64));
        Thread[] waiters = new Thread[2];
        for (int i = 0; i < waiters.length; i++) {
            waiters[i] = new Thread(() -> {
                try {
                    append.awaitDurable();
                } catch (IOException expected) {
                    // The journal fails when power is cut.
                }
            }, "waiter-" + i);
            waiters[i].start();
        }
        for (Thread waiter : waiters) {
            while (waiter.getState() != Thread.State.WAITING) {
                Thread.sleep(5);
            }
        }
        device.cut();
        for (Thread waiter : waiters) {
            waiter.join(5_000);
        }
        boolean stuck = waiters[0].isAlive() || waiters[1].isAlive();
        String states = waiters[0].getState() + " and " + waiters[1].getState();
        device.powerLoss(new java.util.Random(0), null);
        for (Thread waiter : waiters) {
            waiter.interrupt();
        }
        journal.close();
        assertThat(stuck).as("threads waiting on one append after the journal failed: " + states).isFalse();
    }
}
