package io.keel.journal;

import io.keel.runtime.context.Batching;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.RandomSource;
import java.io.Flushable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A write-ahead log on one {@link JournalDevice}: owns the device's header copies and circular
 * record region, assigns sequence numbers, writes appended records in batches and acknowledges
 * them only after the device flush covering them returned. The byte format and the rules behind
 * it are in docs/journal-format.md.
 *
 * <p>Group commit is leader based: a thread that waits for a record ({@link #awaitDurable},
 * {@link JournalAppend#awaitDurable}) and finds no commit in flight takes every pending batch and
 * writes and flushes it itself; records appended meanwhile wait for the next commit, whose leader
 * is one of their waiters (the finishing leader wakes one). A lone writer thus pays one write and
 * one flush and no thread hand-off. At most one commit runs at a time, so batches become durable
 * in order. A committer thread commits what {@link #requestCommit} asks for (records whose
 * appenders go on in {@link JournalAppend#whenDurable} instead of waiting) as soon as no other
 * commit is in flight; as a backstop it also commits records that nobody waits for once they were
 * left pending for a whole tick, and drains everything at close.
 */
public final class Journal implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);

    /**
     * The backstop committer's tick: records that nobody waits for are committed after one to two
     * ticks. Waiting appenders commit their own records at once and never wait for it.
     */
    private static final long BACKSTOP_TICK_NANOS = 2_000_000;
    /** Ticks with nothing appended after which the committer sleeps until the next append. */
    private static final int QUIET_TICKS = 10;
    /**
     * Commits one leader makes in a row: after its own, it commits what was appended meanwhile
     * once more (it is on a CPU already; a woken waiter would first have to be scheduled, leaving
     * the device idle), then hands leading on to a waiter.
     */
    private static final int LEADER_ROUNDS = 2;
    private static final int MIN_CAPACITY_BLOCKS = 8;
    /** Records are also capped here so record sizes fit an int buffer with room for alignment. */
    private static final long RECORD_SIZE_LIMIT = 1L << 30;
    private static final int POOLED_BATCHES = 4;
    private static final int SEGMENTS_PER_LAP = 1024;
    private static final long MAX_DELAY_SLICE_NANOS = 1_000_000;

    /** Where the record with {@code sequence} starts: the candidates for the tail. */
    record Segment(long position, long sequence) {
    }

    private final JournalDevice device;
    private final String name;
    private final Clock clock;
    private final Flushable dataBarrier;
    private final int maxBatchBytes;
    private final long maxBatchDelayNanos;
    private final int block;
    private final int tag;
    private final long generation;
    private final long regionStart;
    private final long regionEnd;
    private final long capacity;
    private final long maxRecordBytes;
    private final long segmentSpacing;
    private final JournalMetrics metrics;
    private final CopyOnWriteArrayList<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    private final Thread committer;

    /** Guards the appending and committing state below; held briefly by appenders, leaders and the committer. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workAvailable = lock.newCondition();
    /** Serialises device flushes so that none returns success after another one failed. */
    private final ReentrantLock flushLock = new ReentrantLock();
    /** Serialises header writes (trim). */
    private final ReentrantLock trimLock = new ReentrantLock();
    /** Threads parked in {@link #awaitDurableSequence}. Lock held. */
    private final ArrayList<Waiter> waiters = new ArrayList<>();

    private final CRC32C appendCrc = new CRC32C();
    private final ArrayDeque<Batch> sealed = new ArrayDeque<>();
    private final ArrayDeque<Batch> pool = new ArrayDeque<>();
    /** Batch starts that trim may make the tail: one per wrap and at most one per segmentSpacing bytes. */
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    private Batch filling;
    /** The block boundary where the next batch starts (before any wrap). */
    private long fillEnd;
    private long used;
    private long tailPosition;
    private long tailSequence;
    private boolean closing;
    /** A commit (leader or committer) is writing and flushing batches; at most one at a time. */
    private boolean committing;
    /** The committer sleeps until an append signals it (nothing was appended for a while). */
    private boolean committerAsleep;
    /** {@link #requestCommit} asked for the pending records to be committed without waiting for a tick. */
    private boolean commitRequested;
    private boolean delayingBatch;
    private long appends;
    private long appendedBytes;
    private long batches;
    private long flushes;
    private long barrierFlushes;
    private long lastBatchRecords;
    private long lastBatchBytes;
    private long totalBatchRecords;
    private long totalBatchBytes;

    // Owned by whichever thread commits (one at a time: see committing).
    private final CRC32C committerCrc = new CRC32C();
    private final ByteBuffer paddingBlock;
    /** The last sequence taken by a commit. Lock held. */
    private long takenThrough;

    // Guarded by trimLock.
    private final ByteBuffer headerBlock;
    private JournalHeader header;

    private volatile long lastSequence;
    private volatile long durableSequence;
    private volatile JournalFailedException failure;

    private Journal(final JournalDevice device, final JournalConfig config, final JournalHeader opened,
            final long head, final long lastSeq, final List<Segment> initialSegments) {
        this.device = device;
        this.name = config.name();
        this.clock = config.clock();
        this.dataBarrier = config.dataBarrier();
        this.maxBatchBytes = config.maxBatchBytes();
        this.maxBatchDelayNanos = config.maxBatchDelay().toNanos();
        this.block = opened.blockSize();
        this.tag = opened.recordTag();
        this.generation = opened.generation();
        this.regionStart = opened.regionStart();
        this.regionEnd = opened.regionEnd();
        this.capacity = regionEnd - regionStart;
        this.maxRecordBytes = maxRecordBytes(capacity);
        this.segmentSpacing = segmentSpacing(capacity, block);
        this.header = opened;
        this.headerBlock = Aligned.allocate(block, block);
        this.paddingBlock = Aligned.allocate(block, block);
        this.tailPosition = opened.tailPosition();
        this.tailSequence = opened.tailSequence();
        this.fillEnd = head;
        this.lastSequence = lastSeq;
        this.durableSequence = lastSeq;
        this.takenThrough = lastSeq;
        this.segments.addAll(initialSegments);
        this.used = usedFromTail();
        this.metrics = new JournalMetrics(config.metrics(), name, this::usedBytes);
        this.committer = new Thread(this::runCommitter, "keel-journal-" + name);
        this.committer.setDaemon(true);
    }

    // ---------------------------------------------------------------- format and open

    /**
     * Writes a fresh, empty journal on {@code device}: both header copies, and a zero block where
     * the first record would go. Whatever the device held before is no longer a journal record.
     */
    public static void format(final JournalDevice device, final UUID journalId) throws IOException {
        Objects.requireNonNull(journalId, "journalId");
        int block = checkAlignment(device.alignment());
        long start = 2L * block;
        long end = Aligned.down(device.size(), block);
        if (end - start < (long) MIN_CAPACITY_BLOCKS * block) {
            throw new IllegalArgumentException("a device of " + device.size() + " bytes is too small for a journal "
                    + "with " + block + "-byte blocks: it needs at least " + (start + MIN_CAPACITY_BLOCKS * block));
        }
        int recordTag;
        do {
            recordTag = (int) RandomSource.system().nextLong();
        } while (recordTag == 0);
        JournalHeader first = new JournalHeader(journalId, recordTag, block, 0, 0, start, 1, 0, start, end);
        ByteBuffer buffer = Aligned.allocate(block, block);
        writeHeader(device, buffer, first);
        writeHeader(device, buffer, first.next(0, start, 1, 0));
        for (int i = 0; i < block; i++) {
            buffer.put(i, (byte) 0);
        }
        device.write(start, buffer.clear());
        device.flush();
    }

    /**
     * Opens the journal on {@code device}: checks its header, replays every record after the
     * trimmed point to {@code replay} in sequence order, makes a new generation durable and starts
     * the committer. {@code expectedId} may be null to accept any journal id. Throws
     * {@link JournalFormatException} when the device holds no journal this code opens, and its
     * subclass {@link JournalCorruptException} when a damaged record is followed by records
     * showing it had been durable; then records before the damage have already been replayed,
     * nothing was written, and the caller should discard what it built from them.
     */
    public static Journal open(final JournalDevice device, final JournalConfig config, final UUID expectedId,
            final RecordHandler replay) throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(replay, "replay");
        int block = checkAlignment(device.alignment());
        // Reads below must see only what is durable: records a crashed process left in the
        // device cache become durable here instead of being replayed and then lost.
        device.flush();
        JournalHeader found = readHeader(device, block, config.name());
        if (expectedId != null && !expectedId.equals(found.journalId())) {
            throw new JournalFormatException("journal " + config.name() + ": the device holds journal "
                    + found.journalId() + ", not the expected " + expectedId);
        }
        if (found.blockSize() != block) {
            throw new JournalFormatException("journal " + config.name() + " was formatted with " + found.blockSize()
                    + "-byte blocks but the device now has alignment " + block);
        }
        if (found.regionEnd() > device.size()) {
            throw new JournalFormatException("journal " + config.name() + " ends at byte " + found.regionEnd()
                    + " but the device has only " + device.size() + " bytes");
        }
        long capacity = found.regionEnd() - found.regionStart();
        Replay replayed = new Replay(device, config.name(), found, maxRecordBytes(capacity),
                segmentSpacing(capacity, block));
        replayed.run(replay);

        long head = Aligned.up(replayed.endPosition, block);
        if (head == found.regionEnd()) {
            head = found.regionStart();
        }
        List<Segment> segments = new ArrayList<>(replayed.segments());
        long tailPos = found.tailPosition();
        long tailSeq = found.tailSequence();
        long lastSeq = replayed.lastSequence;
        if (lastSeq < found.trimmedThrough()) {
            // Records that were trimmed away are damaged; restart the chain at the head so the
            // next replay does not stop where this one did and lose everything written after.
            LOG.warn("journal {}: the chain ends at sequence {} before the trimmed point {}; restarting it at {}",
                    config.name(), lastSeq, found.trimmedThrough(), head);
            lastSeq = found.trimmedThrough();
            tailPos = head;
            tailSeq = lastSeq + 1;
            segments.clear();
        }
        segments.add(new Segment(head, lastSeq + 1));
        logReplay(config.name(), found, replayed);

        JournalHeader opened = found.next(found.generation() + 1, tailPos, tailSeq, found.trimmedThrough());
        ByteBuffer headerBuffer = Aligned.allocate(block, block);
        writeHeader(device, headerBuffer, opened);
        device.flush();
        opened = opened.next(opened.generation(), tailPos, tailSeq, found.trimmedThrough());
        writeHeader(device, headerBuffer, opened);
        device.flush();
        Journal journal = new Journal(device, config, opened, head, lastSeq, segments);
        journal.committer.start();
        return journal;
    }

    private static void logReplay(final String name, final JournalHeader found, final Replay replayed) {
        if (replayed.applied > 0) {
            LOG.info("journal {}: replayed {} records (sequences {}..{}), skipped {} already trimmed; "
                    + "replay stopped at position {}: {}; no later record was durable before it ({} bytes "
                    + "checked); opening generation {}", name, replayed.applied, replayed.firstApplied,
                    replayed.lastSequence, replayed.skipped, replayed.endPosition, replayed.stopReason,
                    replayed.checkedBytes, found.generation() + 1);
        } else {
            LOG.info("journal {}: nothing to replay after sequence {} ({} already trimmed); replay stopped at "
                    + "position {}: {}; no later record was durable before it ({} bytes checked); opening "
                    + "generation {}", name, found.trimmedThrough(), replayed.skipped, replayed.endPosition,
                    replayed.stopReason, replayed.checkedBytes, found.generation() + 1);
        }
    }

    private static JournalHeader readHeader(final JournalDevice device, final int block, final String name)
            throws IOException {
        JournalHeader.Decoded[] copies = new JournalHeader.Decoded[2];
        ByteBuffer buffer = Aligned.allocate(block, block);
        for (int copy = 0; copy < 2; copy++) {
            buffer.clear();
            device.read((long) copy * block, buffer);
            copies[copy] = JournalHeader.decode(buffer);
        }
        JournalHeader best = null;
        for (JournalHeader.Decoded copy : copies) {
            if (copy.status() == JournalHeader.Status.NEWER_VERSION) {
                throw new JournalFormatException("journal " + name + " was written by a newer format version "
                        + copy.version() + "; this Keel reads up to " + JournalHeader.MAX_READ_VERSION);
            }
            if (copy.status() == JournalHeader.Status.VALID
                    && (best == null || copy.header().counter() > best.counter())) {
                best = copy.header();
            }
        }
        if (best != null) {
            return best;
        }
        for (JournalHeader.Decoded copy : copies) {
            if (copy.status() == JournalHeader.Status.OLDER_VERSION) {
                throw new JournalFormatException("journal " + name + " was written by the older format version "
                        + copy.version() + ", which this Keel no longer opens (it reads versions "
                        + JournalHeader.MIN_READ_VERSION + " to " + JournalHeader.MAX_READ_VERSION
                        + "); format the journal again");
            }
        }
        if (copies[0].status() == JournalHeader.Status.NOT_A_JOURNAL
                && copies[1].status() == JournalHeader.Status.NOT_A_JOURNAL) {
            throw new JournalFormatException("journal " + name + ": the device is not a journal (no journal header "
                    + "at byte 0 or " + block + ")");
        }
        throw new JournalFormatException("journal " + name + ": corrupt journal header, both copies are damaged "
                + "(copy 0: " + copies[0].problem() + "; copy 1: " + copies[1].problem() + ")");
    }

    private static void writeHeader(final JournalDevice device, final ByteBuffer buffer, final JournalHeader h)
            throws IOException {
        h.encode(buffer);
        device.write(h.slotPosition(), buffer.clear());
    }

    private static int checkAlignment(final int alignment) {
        if (alignment < JournalHeader.LENGTH || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("device alignment must be a power of two >= "
                    + JournalHeader.LENGTH + ": " + alignment);
        }
        return alignment;
    }

    private static long maxRecordBytes(final long capacity) {
        return Math.min(capacity / 4, RECORD_SIZE_LIMIT);
    }

    private static long segmentSpacing(final long capacity, final int block) {
        return Math.max(block, capacity / SEGMENTS_PER_LAP);
    }

    // ---------------------------------------------------------------- appending

    /**
     * Appends a record of {@code type} (1..0x7FFF) whose body is the remaining bytes of
     * {@code bodyParts}, copied before this returns. Does no I/O. Throws
     * {@link JournalFullException} when the record does not fit in the free space and
     * {@link JournalFailedException} once the journal has failed.
     */
    public JournalAppend append(final short type, final ByteBuffer... bodyParts) throws IOException {
        return append(type, false, bodyParts);
    }

    /**
     * Like {@link #append}, and the batch holding this record is written only after the
     * configured data barrier's {@code flush()} returned, so the record can never be durable
     * before the data it refers to.
     */
    public JournalAppend appendWithBarrier(final short type, final ByteBuffer... bodyParts) throws IOException {
        if (dataBarrier == null) {
            throw new IllegalStateException("journal " + name + " has no data barrier configured");
        }
        return append(type, true, bodyParts);
    }

    private JournalAppend append(final short type, final boolean barrier, final ByteBuffer[] parts)
            throws IOException {
        if (type < 1) {
            throw new IllegalArgumentException("record type must be in 1..0x7FFF (higher values are the journal's "
                    + "own): 0x" + Integer.toHexString(type & 0xFFFF));
        }
        long bodyLength = 0;
        for (ByteBuffer part : parts) {
            bodyLength += part.remaining();
        }
        long recordBytes = RecordFormat.HEADER_SIZE + bodyLength;
        if (recordBytes > maxRecordBytes) {
            throw new IllegalArgumentException("a record of " + recordBytes + " bytes (header included) is larger "
                    + "than journal " + name + " takes: at most " + maxRecordBytes + " bytes (a quarter of its "
                    + "capacity, at most 1 GiB)");
        }
        AppendHandle handle;
        lock.lock();
        try {
            throwIfFailed();
            if (closing) {
                throw new IllegalStateException("journal " + name + " is closed");
            }
            Batch batch = place((int) recordBytes);
            long sequence = lastSequence + 1;
            ByteBuffer buffer = batch.buffer;
            int offset = batch.length;
            int at = offset + RecordFormat.HEADER_SIZE;
            for (ByteBuffer part : parts) {
                int n = part.remaining();
                buffer.put(at, part, part.position(), n);
                at += n;
            }
            // What is durable now; the committer raises it for the batch's first record (see commit).
            RecordFormat.writeHeader(buffer, offset, type, tag, (int) bodyLength, sequence, generation,
                    durableSequence);
            RecordFormat.writeChecksums(buffer, offset, appendCrc);
            batch.length += (int) recordBytes;
            batch.lastSequence = sequence;
            batch.barrier |= barrier;
            handle = new AppendHandle(this, sequence);
            batch.handles.add(handle);
            appends++;
            appendedBytes += recordBytes;
            lastSequence = sequence;
            if (committerAsleep) {
                committerAsleep = false;
                workAvailable.signalAll();
            }
        } finally {
            lock.unlock();
        }
        metrics.appended(recordBytes);
        return handle;
    }

    /** The batch the next record goes into, with its space reserved. Caller holds the lock. */
    private Batch place(final int recordBytes) throws JournalFullException {
        Batch current = filling;
        if (current != null) {
            int newLength = current.length + recordBytes;
            long newEnd = current.position + Aligned.up(newLength, block);
            if (current.pooled && newLength <= maxBatchBytes && newEnd <= regionEnd) {
                requireFree(newEnd - fillEnd, recordBytes);
                used += newEnd - fillEnd;
                fillEnd = newEnd;
                return current;
            }
            seal();
        }
        long start = fillEnd;
        long padding = -1;
        long needed = Aligned.up(recordBytes, block);
        if (start + needed > regionEnd) {
            // A batch never straddles the region end: pad up to it and start over.
            if (start < regionEnd) {
                padding = start;
            }
            needed += regionEnd - start;
            start = regionStart;
        }
        requireFree(needed, recordBytes);
        Batch batch;
        if (recordBytes > maxBatchBytes) {
            batch = new Batch(Aligned.allocate(recordBytes, block), false);
        } else {
            batch = pool.isEmpty() ? new Batch(Aligned.allocate(maxBatchBytes, block), true) : pool.poll();
        }
        batch.reset(start, padding, lastSequence + 1, clock.nanoTime());
        used += needed;
        fillEnd = start + Aligned.up(recordBytes, block);
        filling = batch;
        Segment previous = segments.peekLast();
        if (start == regionStart || previous == null
                || Math.floorMod(start - previous.position(), capacity) >= segmentSpacing) {
            segments.add(new Segment(start, lastSequence + 1));
        }
        return batch;
    }

    private void requireFree(final long needed, final int recordBytes) throws JournalFullException {
        if (needed > capacity - used) {
            throw new JournalFullException("journal " + name + " is full: a record of " + recordBytes
                    + " bytes needs " + needed + " bytes, " + (capacity - used) + " of " + capacity
                    + " are free; checkpoint and trim, then retry");
        }
    }

    /** Closes the filling batch to more records. Caller holds the lock. */
    private void seal() {
        sealed.add(filling);
        filling = null;
        if (delayingBatch) {
            workAvailable.signalAll();
        }
    }

    // ---------------------------------------------------------------- committing

    /** A thread parked until {@code sequence} is durable, or until it is asked to lead a commit. */
    private record Waiter(long sequence, Thread thread) {
    }

    /** True when appended records wait for a commit. Lock held. */
    private boolean pending() {
        return filling != null || !sealed.isEmpty();
    }

    /**
     * Takes every pending batch into {@code work} and marks a commit in flight; false (nothing
     * taken) when nothing is pending, another commit is in flight or the journal failed. With a
     * batch delay configured, first lets more appends join. Lock held.
     */
    private boolean takePending(final List<Batch> work) {
        if (committing || !pending() || failure != null) {
            return false;
        }
        committing = true;
        if (maxBatchDelayNanos > 0) {
            waitForFullerBatch();
        }
        if (filling != null) {
            seal();
        }
        work.addAll(sealed);
        sealed.clear();
        if (work.isEmpty()) {
            committing = false; // the journal failed while the batch was held open
            return false;
        }
        takenThrough = lastSequence;
        return true;
    }

    @SuppressWarnings("checkstyle:IllegalCatch")
    private void runCommitter() {
        List<Batch> work = new ArrayList<>();
        try {
            while (takeStaleWork(work)) {
                commitRounds(work, 1);
                work.clear();
            }
        } catch (Throwable unexpected) {
            fail("the committer thread failed unexpectedly", unexpected);
            settle(work);
            throw unexpected;
        }
    }

    /**
     * The backstop committer's wait: takes work that was left pending for a whole tick with no
     * leader taking anything (or everything at close); false once closed (or failed) with nothing
     * pending and no commit in flight.
     */
    private boolean takeStaleWork(final List<Batch> work) {
        lock.lock();
        try {
            long seenAppended = lastSequence;
            int quiet = 0;
            while (true) {
                if (commitRequested && failure == null) {
                    if (takePending(work)) {
                        commitRequested = false;
                        return true;
                    }
                    if (!pending()) {
                        commitRequested = false;
                    } else if (committing) {
                        // Whoever commits now signals when done while commitRequested stands; the tick is
                        // the backstop for a leader that left without committing (interrupted).
                        awaitTick();
                        continue;
                    }
                }
                if (closing || failure != null) {
                    if (takePending(work)) {
                        return true;
                    }
                    if (!committing && (!pending() || failure != null)) {
                        return false;
                    }
                    workAvailable.awaitUninterruptibly(); // a leader still commits: it signals when done
                    continue;
                }
                if (quiet >= QUIET_TICKS) {
                    committerAsleep = true;
                    while (committerAsleep && !closing && failure == null && !commitRequested) {
                        workAvailable.awaitUninterruptibly();
                    }
                    committerAsleep = false;
                    quiet = 0;
                    seenAppended = lastSequence;
                    continue;
                }
                awaitTick();
                if (closing || failure != null) {
                    continue;
                }
                // Records appended a tick ago that no leader took yet: nobody waits for them.
                if (seenAppended > takenThrough && takePending(work)) {
                    return true;
                }
                quiet = lastSequence == seenAppended && !pending() ? quiet + 1 : 0;
                seenAppended = lastSequence;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The committer waits for a signal or one backstop tick. Lock held. */
    private void awaitTick() {
        try {
            workAvailable.awaitNanos(BACKSTOP_TICK_NANOS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // nobody interrupts the committer
        }
    }

    /** Lets more appends join the batch, up to the configured delay or a full batch. Lock held. */
    private void waitForFullerBatch() {
        long deadline = clock.nanoTime() + maxBatchDelayNanos;
        delayingBatch = true;
        try {
            while (sealed.isEmpty() && !closing && failure == null) {
                long remaining = deadline - clock.nanoTime();
                if (remaining <= 0) {
                    return;
                }
                workAvailable.awaitNanos(Math.min(remaining, MAX_DELAY_SLICE_NANOS));
            }
        } catch (InterruptedException e) {
            // Write what is there now; the waiting thread keeps its interrupt.
            Thread.currentThread().interrupt();
        } finally {
            delayingBatch = false;
        }
    }

    /**
     * Commits {@code work} (taken by {@link #takePending}), then, while rounds are left and records
     * are pending, what was appended meanwhile.
     */
    private void commitRounds(final List<Batch> work, final int rounds) {
        for (int round = 1; commit(work, round < rounds); round++) {
            work.clear();
            lock.lock();
            try {
                // Still committing: nobody else took the pending batches.
                if (filling != null) {
                    seal();
                }
                work.addAll(sealed);
                sealed.clear();
                takenThrough = lastSequence;
                if (work.isEmpty()) {
                    committing = false; // the journal failed meanwhile; fail() woke every waiter
                    workAvailable.signalAll();
                    return;
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Writes and flushes {@code work}; true when the caller is to commit again (committing is still set). */
    private boolean commit(final List<Batch> work, final boolean mayContinue) {
        boolean barrier = false;
        for (Batch batch : work) {
            barrier |= batch.barrier;
        }
        try {
            if (barrier) {
                dataBarrier.flush();
            }
            // Every record up to durableSequence had its flush return before these writes start:
            // saying so in each batch's first record lets replay tell damage before it from a torn
            // tail (docs/journal-format.md, "Damage or torn tail").
            long durableNow = durableSequence;
            metrics.waited(clock.nanoTime() - work.get(0).openedNanos);
            // The usual commit is one write: it goes out as one durable write (O_DSYNC on a real device),
            // which costs the disk less than a write and a flush. Anything more is written, then flushed.
            boolean oneWrite = work.size() == 1 && work.get(0).paddingPosition < 0;
            long started = 0;
            for (Batch batch : work) {
                RecordFormat.raiseDurableThrough(batch.buffer, 0, durableNow, committerCrc);
                if (batch.paddingPosition >= 0) {
                    writePadding(batch, durableNow);
                }
                batch.zeroTail(block);
                ByteBuffer buffer = batch.buffer;
                buffer.clear().limit((int) Aligned.up(batch.length, block));
                if (oneWrite) {
                    started = clock.nanoTime();
                    durably(() -> device.writeDurably(batch.position, buffer), "a durable batch write failed");
                } else {
                    device.write(batch.position, buffer);
                }
            }
            if (!oneWrite) {
                started = clock.nanoTime();
                flushDevice();
            }
            metrics.flushed(clock.nanoTime() - started);
        } catch (IOException | RuntimeException e) {
            fail("writing or flushing a batch failed", e);
            finishCommit(work, 0, false);
            settle(work);
            return false;
        }
        long durable = work.get(work.size() - 1).lastSequence;
        boolean again = finishCommit(work, durable, mayContinue);
        settle(work);
        for (LongConsumer listener : listeners) {
            try {
                listener.accept(durable);
            } catch (RuntimeException e) {
                LOG.warn("journal {}: a durability listener failed", name, e);
            }
        }
        recycle(work);
        return again;
    }

    /**
     * Publishes {@code durable} (0 after a failure) and wakes the waiters it covers. Then either
     * keeps the commit going for the caller (when {@code mayContinue} and records are pending:
     * returns true) or ends it and wakes one waiter of the pending records to lead the next.
     */
    private boolean finishCommit(final List<Batch> work, final long durable, final boolean mayContinue) {
        boolean again;
        List<Thread> wake = new ArrayList<>();
        lock.lock();
        try {
            if (durable > 0) {
                // Counted before anyone learns of the durability, so stats never lag what callers saw.
                countBatches(work);
                durableSequence = durable;
            }
            boolean failed = failure != null;
            again = mayContinue && !failed && !closing && pending();
            committing = again;
            Thread leader = null;
            for (Waiter waiter : waiters) {
                if (failed || waiter.sequence() <= durableSequence) {
                    wake.add(waiter.thread());
                } else if (leader == null) {
                    leader = waiter.thread();
                }
            }
            if (leader != null && pending() && !again) {
                wake.add(leader);
            } else if (commitRequested && !again) {
                workAvailable.signalAll(); // the committer takes what was asked for
            }
            if (closing || failed) {
                workAvailable.signalAll();
            }
        } finally {
            lock.unlock();
        }
        for (Thread thread : wake) {
            LockSupport.unpark(thread);
        }
        return again;
    }

    private void writePadding(final Batch batch, final long durableThrough) throws IOException {
        int bodyLength = (int) (regionEnd - batch.paddingPosition - RecordFormat.HEADER_SIZE);
        RecordFormat.writeHeader(paddingBlock, 0, RecordFormat.PADDING_TYPE, tag, bodyLength, batch.firstSequence,
                generation, durableThrough);
        RecordFormat.writeChecksums(paddingBlock, 0, committerCrc);
        device.write(batch.paddingPosition, paddingBlock.clear());
    }

    /** Lock held. */
    private void countBatches(final List<Batch> work) {
        flushes++;
        boolean barrier = false;
        for (Batch batch : work) {
            long bytes = Aligned.up(batch.length, block);
            barrier |= batch.barrier;
            batches++;
            lastBatchRecords = batch.records();
            lastBatchBytes = bytes;
            totalBatchRecords += lastBatchRecords;
            totalBatchBytes += bytes;
            metrics.batch(batch.records(), bytes);
        }
        if (barrier) {
            barrierFlushes++;
        }
    }

    private void recycle(final List<Batch> work) {
        lock.lock();
        try {
            for (Batch batch : work) {
                batch.handles.clear();
                if (batch.pooled && pool.size() < POOLED_BATCHES) {
                    pool.add(batch);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs the {@link JournalAppend#whenDurable} actions of every record of {@code work} in a
     * non-blocking group ({@link Batching}): what they would block on (answering a client whose
     * socket is full) goes to another thread and never holds up the next commit.
     */
    private static void settle(final List<Batch> work) {
        try (Batching.Group group = Batching.openNonBlocking()) {
            for (Batch batch : work) {
                for (AppendHandle handle : batch.handles) {
                    handle.settle();
                }
            }
        }
    }

    /** Flushes the device; once one flush failed, no later one may report success. */
    private void flushDevice() throws IOException {
        durably(device::flush, "a device flush failed");
    }

    /**
     * Runs {@code action}, which makes something durable, under the rule that once one such action
     * failed no later one may report success (a failed flush may have dropped cached writes).
     */
    private void durably(final DurableAction action, final String failure) throws IOException {
        flushLock.lock();
        try {
            throwIfFailed();
            try {
                action.run();
            } catch (IOException | RuntimeException e) {
                fail(failure, e);
                throwIfFailed();
            }
        } finally {
            flushLock.unlock();
        }
    }

    /** A device call that makes writes durable. */
    @FunctionalInterface
    private interface DurableAction {
        void run() throws IOException;
    }

    /** Fails the journal: pending appends fail now, later ones at once. Idempotent. */
    private void fail(final String what, final Throwable cause) {
        List<Batch> pending = new ArrayList<>();
        lock.lock();
        try {
            if (failure != null) {
                return;
            }
            failure = new JournalFailedException("journal " + name + " failed: " + what
                    + "; it accepts no more appends, reopen it to recover", cause);
            pending.addAll(sealed);
            if (filling != null) {
                pending.add(filling);
            }
            sealed.clear();
            filling = null;
            workAvailable.signalAll();
            for (Waiter waiter : waiters) {
                LockSupport.unpark(waiter.thread());
            }
        } finally {
            lock.unlock();
        }
        LOG.error("journal {} failed: {}; durable through sequence {}", name, what, durableSequence, cause);
        settle(pending);
    }

    void throwIfFailed() throws JournalFailedException {
        JournalFailedException failed = failure;
        if (failed != null) {
            throw new JournalFailedException(failed.getMessage(), failed.getCause());
        }
    }

    void runAction(final Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warn("journal {}: a durability callback failed", name, e);
        }
    }

    // ---------------------------------------------------------------- trim, state, close

    /**
     * Declares records up to {@code upToSequenceInclusive} no longer needed (their effects are
     * checkpointed elsewhere): waits until they are durable, then makes the new tail durable in
     * both header copies, one after the other, each followed by a flush, and frees their space.
     * Writing both keeps the older copy as current as the newer one, so losing either copy to
     * media damage later never sends replay to a tail whose space was already reused. Replay
     * after a crash starts after the trimmed records. Throws {@link IllegalArgumentException}
     * beyond {@link #lastSequence()}, {@link IllegalStateException} after {@link #close()}.
     */
    public void trim(final long upToSequenceInclusive) throws IOException {
        if (upToSequenceInclusive > lastSequence) {
            throw new IllegalArgumentException("journal " + name + ": cannot trim through sequence "
                    + upToSequenceInclusive + ", the last appended one is " + lastSequence);
        }
        awaitDurableSequence(upToSequenceInclusive);
        trimLock.lock();
        try {
            throwIfFailed();
            if (committerStopped()) {
                throw new IllegalStateException("journal " + name + " is closed");
            }
            JournalHeader current = header;
            if (upToSequenceInclusive <= current.trimmedThrough()) {
                return;
            }
            Segment tail = null;
            lock.lock();
            try {
                if (upToSequenceInclusive == lastSequence && filling == null && sealed.isEmpty()) {
                    // Everything is trimmed: the tail is where the next batch (or its padding) goes.
                    tail = new Segment(fillEnd == regionEnd ? regionStart : fillEnd, upToSequenceInclusive + 1);
                } else {
                    for (Segment segment : segments) {
                        if (segment.sequence() > upToSequenceInclusive + 1) {
                            break;
                        }
                        tail = segment;
                    }
                }
            } finally {
                lock.unlock();
            }
            JournalHeader next = current;
            for (int copy = 0; copy < 2; copy++) {
                next = next.next(generation, tail.position(), tail.sequence(), upToSequenceInclusive);
                try {
                    writeHeader(device, headerBlock, next);
                } catch (IOException | RuntimeException e) {
                    fail("writing the journal header failed", e);
                    throwIfFailed();
                }
                flushDevice();
            }
            header = next;
            lock.lock();
            try {
                while (!segments.isEmpty() && segments.peekFirst().sequence() < tail.sequence()) {
                    segments.pollFirst();
                }
                if (!tail.equals(segments.peekFirst())) {
                    segments.addFirst(tail);
                }
                tailPosition = tail.position();
                tailSequence = tail.sequence();
                used = usedFromTail();
            } finally {
                lock.unlock();
            }
        } finally {
            trimLock.unlock();
        }
    }

    private boolean committerStopped() {
        lock.lock();
        try {
            return closing;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns once every record up to {@code sequence} is durable; throws if the journal fails
     * first. Any number of threads may wait.
     */
    public void awaitDurable(final long sequence) throws IOException {
        awaitDurableSequence(sequence);
    }

    /**
     * Asks for the records appended so far to be committed without a thread waiting for them: for
     * appenders that go on in {@link JournalAppend#whenDurable}. The committer thread writes and
     * flushes them at once, or as soon as the commit in flight ends (whose records it then follows
     * up); records appended meanwhile join that batch. Does no I/O and never blocks for long.
     */
    public void requestCommit() {
        lock.lock();
        try {
            if (failure != null || closing || !pending()) {
                return;
            }
            commitRequested = true;
            // A commit in flight signals the committer when it ends; an asleep committer is woken now, so
            // that it waits with its backstop tick from here on.
            if (!committing || committerAsleep) {
                committerAsleep = false;
                workAvailable.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns once {@code sequence} is durable: commits the pending batches itself when no commit
     * is in flight (leader), otherwise parks until a commit covers it or asks it to lead the next.
     */
    void awaitDurableSequence(final long sequence) throws IOException {
        if (durableSequence >= sequence) {
            return;
        }
        Waiter waiter = null;
        List<Batch> work = new ArrayList<>(2);
        lock.lock();
        try {
            while (durableSequence < sequence) {
                throwIfFailed();
                if (takePending(work)) {
                    lock.unlock();
                    try {
                        commitRounds(work, LEADER_ROUNDS);
                    } finally {
                        work.clear();
                        lock.lock();
                    }
                    continue;
                }
                if (waiter == null) {
                    waiter = new Waiter(sequence, Thread.currentThread());
                    waiters.add(waiter);
                }
                lock.unlock();
                try {
                    LockSupport.park(this);
                } finally {
                    lock.lock();
                }
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for journal sequence " + sequence);
                }
            }
        } finally {
            if (waiter != null) {
                waiters.remove(waiter);
                if (!committing && pending() && failure == null && !waiters.isEmpty()) {
                    // We may have been the one asked to lead: pass that on rather than leave it to the backstop.
                    LockSupport.unpark(waiters.get(0).thread());
                }
            }
            lock.unlock();
        }
    }

    /** Bytes from the tail's block to the end of the last reserved batch. Lock held (or constructing). */
    private long usedFromTail() {
        long distance = Math.floorMod(fillEnd - Aligned.down(tailPosition, block), capacity);
        return distance == 0 && tailSequence <= lastSequence ? capacity : distance;
    }

    /** The last sequence number assigned (0 when no record was ever appended). */
    public long lastSequence() {
        return lastSequence;
    }

    /** The highest sequence number known durable; every lower one is durable too. */
    public long durableSequence() {
        return durableSequence;
    }

    /**
     * Calls {@code listener} with the new durable sequence after each flush, on the thread that
     * committed (a waiting appender or the committer); calls after commits that follow each other
     * closely may overlap. It must be short and must not block.
     */
    public void addDurabilityListener(final LongConsumer listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Bytes of the record region (the device minus the two header blocks). */
    public long capacity() {
        return capacity;
    }

    /** Bytes between the tail and the end of the last appended record's batch, pending ones included. */
    public long usedBytes() {
        lock.lock();
        try {
            return used;
        } finally {
            lock.unlock();
        }
    }

    /** {@link #capacity()} minus {@link #usedBytes()}. */
    public long freeBytes() {
        return capacity - usedBytes();
    }

    /** A snapshot of the counters. */
    public JournalStats stats() {
        lock.lock();
        try {
            return new JournalStats(appends, appendedBytes, batches, flushes, barrierFlushes, lastBatchRecords,
                    lastBatchBytes, batches == 0 ? 0 : (double) totalBatchRecords / batches,
                    batches == 0 ? 0 : (double) totalBatchBytes / batches);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes and flushes every pending append (they complete normally), then stops the committer.
     * Later appends throw {@link IllegalStateException}. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            workAvailable.signalAll();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (committer.isAlive()) {
            try {
                committer.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
        LOG.info("journal {} closed, durable through sequence {}", name, durableSequence);
    }

    @Override
    public String toString() {
        return "Journal[" + name + ", last " + lastSequence + ", durable " + durableSequence + "]";
    }
}
