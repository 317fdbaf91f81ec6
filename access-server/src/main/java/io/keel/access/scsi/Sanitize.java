package io.keel.access.scsi;

import io.keel.runtime.time.Clock;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SANITIZE (48h) of one logical unit: OVERWRITE writes the initialization pattern over every
 * block; on a thin volume BLOCK ERASE and CRYPTOGRAPHIC ERASE deallocate every block (they then
 * read as zeros: WABEREQ = WACEREQ = 01b). While one runs, the unit answers NOT READY / SANITIZE
 * IN PROGRESS to everything but INQUIRY, REPORT LUNS and REQUEST SENSE, whichever nexus asks and
 * across resets and logouts (the operation cannot be aborted, SBC-4 4.11). OVERWRITE is paced:
 * like the stores' scrubber it is bulk background work, and at full speed a whole-volume
 * overwrite would take the stores' bandwidth from every other volume on them.
 */
final class Sanitize {

    static final int OPCODE = 0x48;
    static final int OVERWRITE = 0x01;
    static final int BLOCK_ERASE = 0x02;
    static final int CRYPTOGRAPHIC_ERASE = 0x03;
    static final int EXIT_FAILURE_MODE = 0x1f;

    /** OVERWRITE writes at most this many bytes a second (1 GiB in 8 s). */
    static final long OVERWRITE_BYTES_PER_SECOND = 128L << 20;

    /** OVERWRITE writes this many blocks (1 MiB) at a time. */
    private static final int OVERWRITE_CHUNK_BLOCKS = 2048;

    private static final Logger LOG = LoggerFactory.getLogger(Sanitize.class);

    private final BlockIo io;
    private final String volumeId;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean();
    /** The command waiting for the operation (no IMMED), and how its wait ends: true when the work is done. */
    private volatile Waiter waiter;

    private record Waiter(ItNexus nexus, long taskTag, CompletableFuture<Boolean> done) {
    }

    Sanitize(final BlockIo io, final String volumeId, final Clock clock) {
        this.io = io;
        this.volumeId = volumeId;
        this.clock = clock;
    }

    /** Whether a sanitize operation is in progress. */
    boolean inProgress() {
        return running.get();
    }

    /** NOT READY / LOGICAL UNIT NOT READY, SANITIZE IN PROGRESS. */
    static Sense inProgressSense() {
        return Sense.of(Sense.NOT_READY, 0x04, 0x1b);
    }

    /**
     * Validates the CDB and parameter list, then sanitizes: before returning, or with IMMED in
     * the background after GOOD. The parameter list errors libiscsi checks are INVALID FIELD IN
     * CDB for a PARAMETER LIST LENGTH that cannot be right, INVALID FIELD IN PARAMETER LIST for
     * its contents.
     */
    ScsiResult execute(final ScsiCommand c, final byte[] cdb) {
        boolean immediate = (cdb[1] & 0x80) != 0;
        int action = cdb[1] & 0x1f;
        int length = Bytes.u16(cdb, 7);
        Runnable work;
        switch (action) {
            case OVERWRITE -> {
                if (length < 5 || length > BlockIo.BLOCK + 4) {
                    throw SenseException.invalidCdb(7, -1);
                }
                ByteBuffer block = overwriteBlock(BlockIo.bytes(BlockIo.dataOut(c, length)));
                long blocks = io.capacity();
                work = () -> overwrite(blocks, block);
            }
            case BLOCK_ERASE, CRYPTOGRAPHIC_ERASE -> {
                if (length != 0) {
                    throw SenseException.invalidCdb(7, -1);
                }
                long blocks = io.capacity();
                work = () -> io.unmapBlocks(0, blocks);
            }
            case EXIT_FAILURE_MODE -> {
                if (length != 0) {
                    throw SenseException.invalidCdb(7, -1);
                }
                return ScsiResult.good(); // a failed sanitize leaves no failure mode to exit
            }
            default -> throw SenseException.invalidCdb(1, 4);
        }
        if (!running.compareAndSet(false, true)) {
            throw new SenseException(inProgressSense());
        }
        // The operation runs on a thread of its own so that aborting the command (or losing its
        // connection) does not interrupt it: a sanitize cannot be aborted once started.
        AtomicReference<SenseException> failure = new AtomicReference<>();
        Waiter wait = new Waiter(c.nexus(), c.taskTag(), new CompletableFuture<>());
        waiter = immediate ? null : wait;
        Thread.ofVirtual().name("sanitize-" + volumeId).start(() -> {
            try {
                work.run();
            } catch (SenseException e) {
                LOG.warn("volume {}: sanitize failed: {}", volumeId, e.sense());
                failure.set(e);
            } catch (RuntimeException e) {
                LOG.error("volume {}: sanitize failed", volumeId, e);
                failure.set(new SenseException(Sense.INTERNAL_TARGET_FAILURE));
            } finally {
                running.set(false);
                wait.done().complete(true);
            }
        });
        if (immediate) {
            return ScsiResult.good();
        }
        try {
            if (!wait.done().get()) {
                return ScsiResult.status(ScsiStatus.TASK_ABORTED);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ScsiResult.status(ScsiStatus.TASK_ABORTED);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the sanitize wait never fails", e);
        } finally {
            waiter = null;
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return ScsiResult.good();
    }

    /** ABORT TASK of the command waiting for the operation: it ends (TASK ABORTED), the operation goes on. */
    void abandon(final ItNexus nexus, final long taskTag) {
        Waiter w = waiter;
        if (w != null && w.nexus().equals(nexus) && w.taskTag() == taskTag) {
            w.done().complete(false);
        }
    }

    /** Writes {@code block} over the first {@code blocks} blocks, no faster than the OVERWRITE rate. */
    private void overwrite(final long blocks, final ByteBuffer block) {
        long start = clock.nanoTime();
        for (long done = 0; done < blocks; done += OVERWRITE_CHUNK_BLOCKS) {
            long n = Math.min(OVERWRITE_CHUNK_BLOCKS, blocks - done);
            io.fill(done, n, block);
            long due = start + (done + n) * BlockIo.BLOCK * 1_000_000_000L / OVERWRITE_BYTES_PER_SECOND;
            long wait = due - clock.nanoTime();
            if (wait > 0) {
                try {
                    clock.sleep(Duration.ofNanos(wait));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw SenseException.of(Sense.ABORTED_COMMAND, 0x00, 0x00);
                }
            }
        }
    }

    /** One block of the OVERWRITE initialization pattern (repeated to fill it, inverted with INVERT). */
    private static ByteBuffer overwriteBlock(final byte[] p) {
        int count = p[0] & 0x1f;
        boolean invert = (p[0] & 0x80) != 0;
        int test = (p[0] >>> 5) & 0x03;
        int patternLength = Bytes.u16(p, 2);
        if (test != 0) {
            throw SenseException.invalidParameter(0, 6);
        }
        if (count == 0) {
            throw SenseException.invalidParameter(0, 4);
        }
        if (p[1] != 0) {
            throw SenseException.invalidParameter(1, -1);
        }
        if (patternLength == 0 || patternLength > BlockIo.BLOCK) {
            throw SenseException.invalidParameter(2, -1);
        }
        if (4 + patternLength > p.length) {
            throw SenseException.parameterListLength();
        }
        // Passes alternate the pattern with its inverse when INVERT is set; only the last pass stays
        // readable, and with an odd count (or no INVERT) that is the pattern itself.
        boolean lastInverted = invert && count % 2 == 0;
        ByteBuffer block = ByteBuffer.allocate(BlockIo.BLOCK);
        for (int i = 0; i < BlockIo.BLOCK; i++) {
            byte b = p[4 + i % patternLength];
            block.put(i, lastInverted ? (byte) ~b : b);
        }
        return block;
    }
}
