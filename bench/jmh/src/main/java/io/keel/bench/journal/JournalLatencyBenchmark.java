package io.keel.bench.journal;

import io.keel.journal.Journal;
import io.keel.journal.JournalConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Queue-depth-1 latency of one journal append of a record that fills one 4 KiB block, until it is
 * durable, next to a raw 4 KiB write plus fdatasync on a file of the same kind. The chunk server's
 * target is {@code journal / raw <= 1.2}. Both files live in {@code -p directory=...} (default: the
 * temporary directory; point it at the disk under test, since tmpfs makes fdatasync free).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class JournalLatencyBenchmark {

    private static final long FILE_BYTES = 64L << 20;
    private static final int BLOCK = 4096;
    private static final short TYPE = 1;

    /** Where the benchmark files go; empty means java.io.tmpdir. */
    @Param({""})
    public String directory;

    /** Open both files with O_DIRECT (falls back to buffered I/O where unsupported). */
    @Param({"true"})
    public boolean direct;

    private Path journalFile;
    private Path rawFile;
    private FileDevice journalDevice;
    private FileDevice rawDevice;
    private Journal journal;
    private ByteBuffer body;
    private ByteBuffer rawBlock;
    private long rawPosition;

    /** Creates both files, formats and opens the journal. */
    @Setup(Level.Trial)
    public void start() throws IOException {
        Path dir = directory.isEmpty() ? Path.of(System.getProperty("java.io.tmpdir")) : Path.of(directory);
        journalFile = Files.createTempFile(dir, "keel-journal-bench", ".journal");
        rawFile = Files.createTempFile(dir, "keel-journal-bench", ".raw");
        journalDevice = new FileDevice(journalFile, FILE_BYTES, direct);
        rawDevice = new FileDevice(rawFile, FILE_BYTES, direct);
        UUID id = UUID.randomUUID();
        Journal.format(journalDevice, id);
        journal = Journal.open(journalDevice, JournalConfig.defaults("bench"), id, record -> { });
        body = ByteBuffer.allocateDirect(BLOCK - 40);
        rawBlock = ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK).limit(BLOCK);
        System.out.println("journal O_DIRECT: " + journalDevice.direct() + ", raw O_DIRECT: " + rawDevice.direct());
    }

    /** Closes the journal and deletes both files. */
    @TearDown(Level.Trial)
    public void stop() throws IOException {
        journal.close();
        journalDevice.close();
        rawDevice.close();
        Files.deleteIfExists(journalFile);
        Files.deleteIfExists(rawFile);
    }

    /** One 4 KiB write and one fdatasync, at the next block of a 64 MiB file (wrapping). */
    @Benchmark
    public void rawWriteAndFdatasync() throws IOException {
        rawBlock.clear();
        rawDevice.write(rawPosition, rawBlock);
        rawDevice.flush();
        rawPosition = (rawPosition + BLOCK) % FILE_BYTES;
    }

    /** One record of exactly one block (40-byte header and body), appended and awaited. */
    @Benchmark
    public long journalAppendUntilDurable() throws IOException {
        if (journal.freeBytes() < 4L << 20) {
            journal.trim(journal.durableSequence());
        }
        body.clear();
        var append = journal.append(TYPE, body);
        append.awaitDurable();
        return append.sequence();
    }
}
