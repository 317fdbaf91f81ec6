package io.keel.journal;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.journal.TestJournals.Replayed;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Random appends from several threads, random trims and random power cuts on a device with a
 * volatile cache, then reopen. After every cut: each record acknowledged durable before the cut
 * (and not trimmed) replays exactly, in order, without gaps; nothing that was never appended
 * appears; unacknowledged records appear intact or not at all, and nothing follows a missing one.
 *
 * <p>Each case runs from its own seed ({@code -Dkeel.test.seed=N} runs seed N first); thread
 * timing still varies between runs, so a seed reproduces the workload, not every interleaving.
 */
class JournalCrashPropertyTest {

    private static final int CASES = Integer.getInteger("keel.journal.crashCases", 200);
    private static final int CYCLES = 4;

    /** State shared by one case's cycles: what was appended under each sequence. */
    private static final class Model {
        final Map<Long, Replayed> appended = new ConcurrentHashMap<>();
        final AtomicLong appends = new AtomicLong();
        long planned;
        List<String> lastEvents = List.of();
        long durable;
        final AtomicLong trimCompleted = new AtomicLong();
        final AtomicLong trimAttempted = new AtomicLong();
        long trimmedAtOpen;
    }

    @Test
    void acknowledgedRecordsSurviveEveryCrash() {
        TestJournals.forEachSeed(CASES, random -> TestJournals.unchecked(() -> runCase(random)));
    }

    private static void runCase(final Random random) throws IOException {
        int alignment = random.nextBoolean() ? 512 : 4096;
        int size = alignment * (24 + random.nextInt(100));
        int maxBatch = random.nextInt(3) == 0 ? 1 << 20 : alignment * (1 + random.nextInt(6));
        JournalConfig config = TestJournals.config(maxBatch);
        CrashingDevice device = new CrashingDevice(size, alignment);
        Journal.format(device, TestJournals.ID);
        Model model = new Model();
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            List<Replayed> replayed = new ArrayList<>();
            Journal journal = TestJournals.open(device, config, replayed);
            checkReplay(model, replayed, journal, "cycle " + cycle + " after " + model.lastEvents);
            boolean crash = random.nextInt(5) != 0;
            List<Thread> workers = startWorkload(journal, model, random);
            if (crash) {
                long stopAt = random.nextInt((int) model.planned + 1);
                while (model.appends.get() < stopAt && workers.stream().anyMatch(Thread::isAlive)) {
                    Thread.onSpinWait();
                }
                // Read before the cut: whatever it covers had its flush return, so it is in the image.
                long durableBefore = journal.durableSequence();
                byte[] image = device.crash(random);
                model.lastEvents = device.events();
                joinAll(workers);
                journal.close();
                device = new CrashingDevice(image, alignment);
                model.durable = durableBefore;
            } else {
                joinAll(workers);
                journal.close();
                model.durable = journal.lastSequence();
            }
            model.trimmedAtOpen = model.trimCompleted.get();
        }
    }

    private static List<Thread> startWorkload(final Journal journal, final Model model, final Random random) {
        int threads = 1 + random.nextInt(4);
        int appendsPerThread = 5 + random.nextInt(60);
        model.appends.set(0);
        model.planned = (long) threads * appendsPerThread;
        long maxBody = journal.capacity() / 4 - RecordFormat.HEADER_SIZE;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Random local = new Random(random.nextLong());
            workers.add(Thread.ofPlatform().start(() -> appendLoop(journal, model, local, appendsPerThread,
                    maxBody)));
        }
        return workers;
    }

    private static void appendLoop(final Journal journal, final Model model, final Random random, final int count,
            final long maxBody) {
        try {
            for (int i = 0; i < count; i++) {
                int length = switch (random.nextInt(8)) {
                    case 0 -> 0;
                    case 1 -> (int) Math.min(maxBody, random.nextInt((int) maxBody + 1));
                    default -> random.nextInt(300);
                };
                byte[] body = TestJournals.bytes(random, length);
                short type = (short) (1 + random.nextInt(0x7FFF));
                JournalAppend append;
                try {
                    append = random.nextInt(10) == 0
                            ? journal.append(type, TestJournals.parts(body, random))
                            : journal.append(type, ByteBuffer.wrap(body));
                } catch (JournalFullException full) {
                    trim(journal, model, journal.durableSequence());
                    continue;
                }
                model.appended.put(append.sequence(), new Replayed(append.sequence(), type, body));
                model.appends.incrementAndGet();
                if (random.nextInt(3) == 0) {
                    append.awaitDurable();
                }
                if (random.nextInt(15) == 0) {
                    trim(journal, model, Math.max(0, journal.durableSequence() - random.nextInt(5)));
                }
            }
        } catch (JournalFailedException | IllegalStateException stopped) {
            // The power was cut (or the journal closed): this appender is done.
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void trim(final Journal journal, final Model model, final long upTo) throws IOException {
        model.trimAttempted.accumulateAndGet(upTo, Math::max);
        journal.trim(upTo);
        model.trimCompleted.accumulateAndGet(upTo, Math::max);
    }

    private static void joinAll(final List<Thread> workers) {
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void checkReplay(final Model model, final List<Replayed> replayed, final Journal journal,
            final String when) {
        long durableBefore = model.durable;
        for (int i = 0; i < replayed.size(); i++) {
            Replayed record = replayed.get(i);
            assertThat(record).as("%s: record %s was appended with this content", when, record.sequence())
                    .isEqualTo(model.appended.get(record.sequence()));
            if (i > 0) {
                assertThat(record.sequence()).as("%s: no gaps", when).isEqualTo(replayed.get(i - 1).sequence() + 1);
            }
        }
        if (!replayed.isEmpty()) {
            long trimmedPoint = replayed.get(0).sequence() - 1;
            assertThat(trimmedPoint).as("%s: replay starts after a trim that was at least started", when)
                    .isBetween(model.trimmedAtOpen, Math.max(model.trimmedAtOpen, model.trimAttempted.get()));
            assertThat(replayed.get(replayed.size() - 1).sequence()).as("%s: every durable record replays", when)
                    .isGreaterThanOrEqualTo(Math.max(durableBefore, trimmedPoint));
            assertThat(journal.lastSequence()).isEqualTo(replayed.get(replayed.size() - 1).sequence());
        } else {
            assertThat(journal.lastSequence()).as("%s: nothing replayed, so everything durable was trimmed", when)
                    .isGreaterThanOrEqualTo(durableBefore);
            assertThat(journal.lastSequence()).isLessThanOrEqualTo(
                    Math.max(model.trimmedAtOpen, model.trimAttempted.get()));
        }
        long last = journal.lastSequence();
        model.appended.keySet().removeIf(sequence -> sequence > last);
    }
}
