package io.keel.journal;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.journal.TestJournals.Replayed;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal on a real file: concurrent appends with real fdatasync, close, reopen, replay. */
class FileJournalTest {

    @TempDir
    Path directory;

    @Test
    void recordsWrittenThroughARealFileReplayAfterReopen() throws Exception {
        Path file = directory.resolve("journal");
        Map<Long, Replayed> appended = new ConcurrentHashMap<>();
        try (FileJournalDevice device = new FileJournalDevice(file, 4 << 20, 4096)) {
            Journal.format(device, TestJournals.ID);
            try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    Random random = new Random(t);
                    threads.add(Thread.ofPlatform().start(() -> TestJournals.unchecked(() -> {
                        for (int i = 0; i < 200; i++) {
                            byte[] body = TestJournals.bytes(random, random.nextInt(5000));
                            JournalAppend append = journal.append((short) 4, ByteBuffer.wrap(body));
                            appended.put(append.sequence(), new Replayed(append.sequence(), (short) 4, body));
                            append.awaitDurable();
                        }
                    })));
                }
                for (Thread thread : threads) {
                    thread.join();
                }
                assertThat(journal.durableSequence()).isEqualTo(800);
                journal.trim(100);
            }
        }
        try (FileJournalDevice device = new FileJournalDevice(file, 4 << 20, 4096)) {
            List<Replayed> replayed = TestJournals.replay(device);
            assertThat(replayed.get(0).sequence()).isEqualTo(101);
            assertThat(replayed).hasSize(700).allSatisfy(record ->
                    assertThat(record).isEqualTo(appended.get(record.sequence())));
        }
    }
}
