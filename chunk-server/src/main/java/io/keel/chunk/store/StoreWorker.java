package io.keel.chunk.store;

import io.keel.chunk.device.AlignedBufferPool;
import io.keel.chunk.device.AlignedBuffers;
import io.keel.chunk.device.BlockDevice;
import io.keel.chunk.device.DeviceLayout;
import io.keel.iopattern.AccessPattern;
import io.keel.iopattern.SequentialDetector;
import io.keel.iopattern.SequentialDetectorConfig;
import io.keel.journal.Journal;
import io.keel.journal.JournalAppend;
import io.keel.journal.JournalConfig;
import io.keel.journal.JournalCorruptException;
import io.keel.journal.JournalFailedException;
import io.keel.journal.JournalFormatException;
import io.keel.journal.RecordHandler;
import io.keel.runtime.context.Batching;
import io.keel.runtime.context.ThreadContext;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker of a chunk store: a single-thread context that owns a share of the extents, their
 * allocation group, the dirty overlay and the worker's journal. Requests move onto the worker to
 * decide and record what they do, and leave it for anything that blocks: device reads and direct
 * writes run on the caller's thread, journal flushes on the journal's committer, and background
 * apply and checkpoints on the worker's applier.
 */
final class StoreWorker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StoreWorker.class);
    /** A never-written sector reads as this; no allocation per sector on the read path. */
    private static final byte[] ZERO_SECTOR = new byte[DeviceLayout.SECTOR_SIZE];
    /** Most adjacent new blocks written with one device write. */
    private static final int MAX_WRITE_RUN = 16;
    /**
     * Dirty sectors that start a background apply pass (between checkpoints): 1/64 of what the
     * journal holds, at most 1024 (4 MiB of 4 KiB sectors), at least 16.
     */
    private static final int APPLY_PASS_MAX_SECTORS = 1024;

    private final String name;
    private final int index;
    private final BlockDevice device;
    private final DeviceLayout layout;
    private final StoreOptions options;
    private final WorkerState state;
    private final StoreMetrics metrics;
    private final AlignedBufferPool buffers;
    private final AlignedBufferPool runBuffers;
    private final int sectorSize;
    private final int blockSize;
    private final SequentialDetector sequential;
    private final HashMap<BlockKey, CompletableFuture<Void>> busyBlocks = new HashMap<>();
    private final ThreadContext context;
    private final ThreadContext applier;
    private Journal journal;
    /** The newest append: a checkpoint must not write dirty sectors home before it is durable. */
    private CompletableFuture<Void> checkpoint;
    private long checkpointCounter;
    /** A background apply pass is writing dirty sectors home (on the applier). */
    private boolean applying;
    private volatile IOException failure;
    /** Blocks quarantined on the worker, for the durability listener (which runs on a committing thread). */
    private volatile int quarantined;

    private StoreWorker(final String storeName, final int index, final BlockDevice device, final DeviceLayout layout,
            final StoreOptions options, final StoreMetrics metrics, final AlignedBufferPool buffers) {
        this.name = storeName + "-worker-" + index;
        this.index = index;
        this.device = device;
        this.layout = layout;
        this.options = options;
        this.metrics = metrics;
        this.buffers = buffers;
        this.runBuffers = new AlignedBufferPool(layout.blockSize() * MAX_WRITE_RUN, 8);
        this.sectorSize = layout.sectorSize();
        this.blockSize = layout.blockSize();
        BlockGroup group = new BlockGroup(layout.firstBlockOf(index), Math.toIntExact(layout.blocksPerGroup()),
                blockSize / sectorSize);
        this.state = new WorkerState(group, sectorSize, Math.toIntExact(layout.extentSize() / blockSize));
        this.sequential = new SequentialDetector(SequentialDetectorConfig.defaults());
        // Idle workers park at once on small machines: a spinning worker takes the CPU that the
        // caller it waits for needs (most calls run in place on the caller anyway, see onWorker).
        Duration spin = Runtime.getRuntime().availableProcessors() > 4 ? Duration.ofNanos(20_000) : Duration.ZERO;
        this.context = ThreadContext.builder(name).clock(options.clock()).spin(spin).build();
        this.applier = ThreadContext.builder(storeName + "-apply-" + index).clock(options.clock())
                .spin(Duration.ZERO).build();
        if (options.metrics() != null) {
            context.registerMetrics(options.metrics());
            applier.registerMetrics(options.metrics());
        }
    }

    /** Writes an empty journal and checkpoint slots for worker {@code index}. */
    static void format(final int index, final BlockDevice device, final DeviceLayout layout,
            final java.util.UUID journalId) throws IOException {
        if (device.allocatesOnFirstWrite()) {
            // Allocated now, so that no durable journal write of the first lap also waits for the file
            // system to allocate its blocks and commit that (p50 206 µs against 120 µs on the test machine).
            writeZeros(device, layout.journalOffset(index), layout.journalBytes());
        }
        Journal.format(device.region(layout.journalOffset(index), layout.journalBytes()), journalId);
        ByteBuffer zeros = alignedBuffer(device.alignment(), CheckpointCodec.HEADER_BYTES);
        for (int slot = 0; slot < 2; slot++) {
            device.write(layout.checkpointSlotOffset(index, slot), zeros.duplicate());
        }
    }

    private static void writeZeros(final BlockDevice device, final long offset, final long bytes) throws IOException {
        ByteBuffer zeros = alignedBuffer(device.alignment(), (int) Math.min(bytes, 1 << 20));
        for (long at = offset; at < offset + bytes; at += zeros.capacity()) {
            device.write(at, zeros.clear().limit((int) Math.min(zeros.capacity(), offset + bytes - at)));
        }
    }

    /** Loads the newest checkpoint, replays the journal after it and checkpoints what replay rebuilt. */
    static StoreWorker open(final String storeName, final int index, final BlockDevice device,
            final DeviceLayout layout, final java.util.UUID journalId, final StoreOptions options,
            final StoreMetrics metrics, final AlignedBufferPool buffers) throws IOException {
        StoreWorker worker = new StoreWorker(storeName, index, device, layout, options, metrics, buffers);
        try {
            worker.recover(journalId);
            return worker;
        } catch (IOException | RuntimeException e) {
            worker.closeContexts();
            throw e;
        }
    }

    int index() {
        return index;
    }

    /** The store part of this worker's name ("chunk-1a2b3c4d"). */
    String storeName() {
        return name.substring(0, name.lastIndexOf("-worker-"));
    }

    // ------------------------------------------------------------------ recovery

    private void recover(final java.util.UUID journalId) throws IOException {
        CheckpointCodec.Header loaded = loadCheckpoint();
        long covered = loaded == null ? 0 : loaded.journalSequence();
        checkpointCounter = loaded == null ? 0 : loaded.counter();
        long[] replay = {0, 0, 0}; // first replayed, last replayed, count
        JournalConfig config = new JournalConfig(name, options.journalBatchBytes(),
                options.journalBatchDelay(), device::flush, options.clock(), options.metrics());
        journal = openJournal(config, journalId, record -> {
            if (record.sequence() <= covered) {
                return;
            }
            if (replay[2] == 0 && record.sequence() != covered + 1) {
                throw new IOException(gapMessage(covered, record.sequence()));
            }
            StoreRecord decoded = StoreRecord.decode(record.type(), record.body(), sectorSize,
                    state.sectorsPerBlock());
            state.apply(decoded, 0);
            replay[0] = replay[2] == 0 ? record.sequence() : replay[0];
            replay[1] = record.sequence();
            replay[2]++;
        });
        if (replay[2] == 0 && journal.lastSequence() > covered) {
            journal.close();
            throw new IOException(gapMessage(covered, journal.lastSequence() + 1));
        }
        LOG.info("chunk worker {} on {}: checkpoint {} covers the journal up to {}; replayed {} records ({}..{}),"
                + " {} extents, {} dirty sectors", index, device.path(), checkpointCounter, covered, replay[2],
                replay[0], replay[1], state.extents().size(), state.overlay().size());
        if (replay[2] > 0) {
            List<DirtyOverlay.DirtySector> dirty = state.overlay().snapshot();
            writeCheckpoint(dirty, encodeCheckpoint(), journal.lastSequence());
            state.overlay().removeApplied(dirty);
        }
        journal.addDurabilityListener(durable -> {
            if (quarantined > 0) {
                context.execute(this::releaseQuarantine);
            }
        });
    }

    /**
     * Opens this worker's journal; a journal that cannot be opened (no valid header, a format this
     * Keel does not read, or damage that would drop acknowledged records) is reported with the
     * device, the worker and, for damage, the device offsets involved.
     */
    private Journal openJournal(final JournalConfig config, final java.util.UUID journalId,
            final RecordHandler handler) throws IOException {
        long journalOffset = layout.journalOffset(index);
        try {
            return Journal.open(device.region(journalOffset, layout.journalBytes()), config, journalId, handler);
        } catch (JournalCorruptException e) {
            JournalCorruptException wrapped = new JournalCorruptException("chunk worker " + index + " on "
                    + device.path() + ": journal damage at device offset " + (journalOffset + e.position())
                    + " loses acknowledged metadata updates (journal sequences " + e.firstLostSequence() + ".."
                    + e.lastDurableSequence() + "): " + e.getMessage(),
                    e.position(), e.firstLostSequence(), e.lastDurableSequence(), e.evidenceSequence(),
                    e.evidencePosition());
            wrapped.initCause(e);
            throw wrapped;
        } catch (JournalFormatException e) {
            JournalFormatException wrapped = new JournalFormatException("chunk worker " + index + " on "
                    + device.path() + ": cannot open its journal (device offset " + journalOffset + "): "
                    + e.getMessage());
            wrapped.initCause(e);
            throw wrapped;
        }
    }

    private String gapMessage(final long covered, final long firstAvailable) {
        return "chunk worker " + index + " on " + device.path() + ": the newest usable checkpoint covers the journal"
                + " up to sequence " + covered + " but the journal continues only from " + firstAvailable
                + "; metadata in between is lost (damaged checkpoint slot?)";
    }

    /** Reads both slots and rebuilds state from the newest valid one; null when none was ever written. */
    private CheckpointCodec.Header loadCheckpoint() throws IOException {
        CheckpointCodec.Header best = null;
        int bestSlot = -1;
        List<String> problems = new ArrayList<>();
        for (int slot = 0; slot < 2; slot++) {
            ByteBuffer sector = alignedBuffer(device.alignment(), CheckpointCodec.HEADER_BYTES);
            device.read(layout.checkpointSlotOffset(index, slot), sector);
            try {
                CheckpointCodec.Header header = CheckpointCodec.decodeHeader(sector.flip());
                if (header != null && header.worker() != index) {
                    throw new IOException("checkpoint belongs to worker " + header.worker());
                }
                if (header != null && (best == null || header.counter() > best.counter())) {
                    best = header;
                    bestSlot = slot;
                }
            } catch (IOException e) {
                problems.add("slot " + slot + ": " + e.getMessage());
            }
        }
        if (best == null) {
            if (!problems.isEmpty()) {
                LOG.warn("chunk worker {} on {}: no valid checkpoint ({}); starting from the journal alone", index,
                        device.path(), problems);
            }
            return null;
        }
        long payloadBytes = best.payloadBytes();
        if (payloadBytes > layout.checkpointSlotBytes() - CheckpointCodec.HEADER_BYTES) {
            throw new IOException("checkpoint slot " + bestSlot + " of worker " + index + " on " + device.path()
                    + " claims " + payloadBytes + " payload bytes, more than the slot holds");
        }
        ByteBuffer payload = alignedBuffer(device.alignment(), Math.toIntExact(payloadBytes));
        device.read(layout.checkpointSlotOffset(index, bestSlot) + CheckpointCodec.HEADER_BYTES, payload);
        try {
            CheckpointCodec.decodePayload(best, payload.flip().limit(Math.toIntExact(payloadBytes)), state);
        } catch (IOException e) {
            throw new IOException("checkpoint slot " + bestSlot + " (number " + best.counter() + ") of worker "
                    + index + " on " + device.path() + " is damaged: " + e.getMessage(), e);
        }
        return best;
    }

    // ------------------------------------------------------------------ write

    long write(final long extentId, final long epoch, final long offset, final ByteBuffer data) throws IOException {
        long started = options.clock().nanoTime();
        while (true) {
            WritePlan plan = onWorker(() -> planWrite(extentId, epoch, offset, data, false));
            if (plan.waitFor() != null) {
                await(plan.waitFor());
                continue;
            }
            List<JournalAppend> appends = new ArrayList<>(plan.appends());
            if (!plan.direct().isEmpty()) {
                writeDirect(plan, data);
                appends.addAll(onWorker(() -> finishDirect(plan, null)));
            }
            awaitDurable(appends);
            metrics.wrote(data.remaining(), options.clock().nanoTime() - started);
            return plan.version();
        }
    }

    /**
     * A {@link #write} that is journaled as it is (every piece a part of a block this extent alone
     * owns, nothing to wait for first) is appended on the worker and returns at once; {@code done}
     * runs once the journal made it durable, or failed. False, having changed nothing, for any
     * other write: the caller then writes the blocking way.
     */
    boolean startWrite(final long extentId, final long epoch, final long offset, final ByteBuffer data,
            final Consumer<IOException> done) throws IOException {
        long started = options.clock().nanoTime();
        int bytes = data.remaining();
        WritePlan plan = onWorker(() -> planWrite(extentId, epoch, offset, data, true));
        if (plan == null) {
            return false;
        }
        // Records become durable in sequence order: the last one's durability covers the others.
        JournalAppend last = plan.appends().get(plan.appends().size() - 1);
        last.whenDurable(() -> {
            try {
                last.awaitDurable(); // returns at once, or throws the journal's failure
            } catch (IOException e) {
                fail(e);
                done.accept(e);
                return;
            }
            metrics.wrote(bytes, options.clock().nanoTime() - started);
            done.accept(null);
        });
        Journal commits = journal;
        if (!Batching.deferOnce(commits, commits::requestCommit)) {
            commits.requestCommit();
        }
        return true;
    }

    /**
     * On the worker: journal what can be journaled, reserve blocks for what must be written directly.
     * With {@code journaledOnly}, null (having changed nothing) unless the whole write is journaled
     * at once.
     */
    private WritePlan planWrite(final long extentId, final long epoch, final long offset, final ByteBuffer data,
            final boolean journaledOnly) throws IOException {
        checkUsable();
        ExtentState extent = state.extent(extentId);
        checkEpoch(extent, epoch);
        int length = data.remaining();
        CompletableFuture<Void> wait = waitForBusyOrSpace(extentId, offset, length, length);
        if (wait != null) {
            return journaledOnly ? null : WritePlan.waiting(wait);
        }
        if (journaledOnly && !journaledAsItIs(extent, offset, length)) {
            return null;
        }
        AccessPattern pattern = sequential.observe(extentId, offset, length, options.clock().nanoTime());
        long version = extent.version() + 1;
        List<JournalAppend> appends = new ArrayList<>();
        List<DirectPiece> direct = new ArrayList<>();
        BlockGroup group = state.group();
        try {
            planPieces(extent, offset, data, pattern, version, appends, direct, group);
        } catch (IOException | RuntimeException e) {
            abandon(direct);
            throw e;
        }
        maybeStartCheckpoint();
        maybeStartApply();
        return new WritePlan(null, version, extentId, appends, direct);
    }

    private void planPieces(final ExtentState extent, final long offset, final ByteBuffer data,
            final AccessPattern pattern, final long version, final List<JournalAppend> appends,
            final List<DirectPiece> direct, final BlockGroup group) throws IOException {
        long extentId = extent.id();
        int length = data.remaining();
        for (long position = offset; position < offset + length;) {
            int blockIndex = (int) (position / blockSize);
            int firstSector = (int) (position % blockSize / sectorSize);
            int sectors = (int) Math.min(state.sectorsPerBlock() - firstSector,
                    (offset + length - position) / sectorSize);
            int dataOffset = (int) (position - offset);
            int current = extent.block(blockIndex);
            boolean shared = current != ExtentState.UNMAPPED && group.references(current) > 1;
            boolean wholeBlock = sectors == state.sectorsPerBlock();
            // Whole blocks skip the journal (the data goes to a new block and only the mapping is journaled)
            // when the block is new, the write spans several blocks, or it continues a sequential stream; a
            // lone random overwrite of one block is journaled and applied in place. Shared blocks are copied.
            boolean bypassJournal = wholeBlock && (pattern.sequential() || current == ExtentState.UNMAPPED
                    || length >= 2 * blockSize);
            if (shared || bypassJournal) {
                direct.add(reserveDirect(extent, blockIndex, firstSector, sectors, dataOffset, current));
            } else {
                int block = current != ExtentState.UNMAPPED ? current : (int) group.findFree();
                byte[][] copies = new byte[sectors][];
                int[] crcs = new int[sectors];
                for (int i = 0; i < sectors; i++) {
                    copies[i] = new byte[sectorSize];
                    data.get(data.position() + dataOffset + i * sectorSize, copies[i]);
                    crcs[i] = crc(ByteBuffer.wrap(copies[i]));
                }
                StoreRecord.Write record = new StoreRecord.Write(extentId, version, blockIndex, block, firstSector,
                        crcs, copies);
                appends.add(appendAndApply(record, false));
            }
            position += (long) sectors * sectorSize;
        }
    }

    /**
     * Whether {@link #planPieces} journals every piece of the write whatever its access pattern:
     * no piece covers a whole block and none falls in a block shared with a snapshot.
     */
    private boolean journaledAsItIs(final ExtentState extent, final long offset, final int length) {
        BlockGroup group = state.group();
        for (long position = offset; position < offset + length;) {
            int blockIndex = (int) (position / blockSize);
            long blockEnd = (long) (blockIndex + 1) * blockSize;
            int current = extent.block(blockIndex);
            boolean wholeBlock = position % blockSize == 0 && offset + length >= blockEnd;
            if (wholeBlock || current != ExtentState.UNMAPPED && group.references(current) > 1) {
                return false;
            }
            position = blockEnd;
        }
        return true;
    }

    /** Gives back the blocks and busy marks of direct pieces that will not be written. */
    private void abandon(final List<DirectPiece> direct) {
        for (DirectPiece piece : direct) {
            state.group().dropReference(piece.newBlock(), 0);
            busyBlocks.remove(piece.key()).complete(null);
        }
    }

    private DirectPiece reserveDirect(final ExtentState extent, final int blockIndex, final int firstSector,
            final int sectors, final int dataOffset, final int current) throws StoreFullException {
        BlockGroup group = state.group();
        long target = group.allocate();
        long oldWritten = 0;
        int[] oldCrcs = new int[state.sectorsPerBlock()];
        byte[][] oldDirty = new byte[state.sectorsPerBlock()][];
        if (current != ExtentState.UNMAPPED && sectors < state.sectorsPerBlock()) {
            oldWritten = group.writtenSectors(current);
            for (int sector = 0; sector < state.sectorsPerBlock(); sector++) {
                oldCrcs[sector] = group.sectorCrc(current, sector);
                oldDirty[sector] = state.overlay().get(current, sector);
            }
        }
        BlockKey key = new BlockKey(extent.id(), blockIndex);
        busyBlocks.put(key, new CompletableFuture<>());
        return new DirectPiece(key, blockIndex, (int) target, current, firstSector, sectors, dataOffset, oldWritten,
                oldCrcs, oldDirty, new long[1], new int[state.sectorsPerBlock()]);
    }

    /**
     * Off the worker: builds each new block (the old block's sectors with the piece's sectors
     * replaced by {@code data}, or cleared when {@code data} is null) and writes it.
     */
    private void writeDirect(final WritePlan plan, final ByteBuffer data) throws IOException {
        List<DirectPiece> pieces = plan.direct();
        try {
            for (int first = 0; first < pieces.size();) {
                // Blocks allocated one after another are usually adjacent on the device: one write for the run.
                int run = 1;
                while (first + run < pieces.size() && run < MAX_WRITE_RUN
                        && pieces.get(first + run).newBlock() == pieces.get(first).newBlock() + run) {
                    run++;
                }
                ByteBuffer source = inPlaceSource(pieces, first, run, data);
                if (source != null) {
                    // Whole new blocks straight from the caller's aligned direct buffer: no copy.
                    for (int k = 0; k < run; k++) {
                        wholeBlockCrcs(pieces.get(first + k), source.slice(k * blockSize, blockSize));
                    }
                    device.write(layout.blockOffset(pieces.get(first).newBlock()), source);
                    first += run;
                    continue;
                }
                AlignedBufferPool pool = run == 1 ? buffers : runBuffers;
                ByteBuffer buffer = take(pool);
                try {
                    for (int k = 0; k < run; k++) {
                        buildBlock(plan.extentId(), pieces.get(first + k), data,
                                buffer.slice(k * blockSize, blockSize));
                    }
                    device.write(layout.blockOffset(pieces.get(first).newBlock()),
                            buffer.clear().limit(run * blockSize));
                } finally {
                    pool.release(buffer);
                }
                first += run;
            }
        } catch (IOException | RuntimeException e) {
            onWorker(() -> finishDirect(plan, e));
            throw e;
        }
    }

    /**
     * The caller's bytes for a run of pieces when they can be written as they are: every piece a
     * whole block, their data contiguous, and the buffer direct and aligned. Null otherwise.
     */
    private ByteBuffer inPlaceSource(final List<DirectPiece> pieces, final int first, final int run,
            final ByteBuffer data) {
        if (data == null || !data.isDirect()) {
            return null;
        }
        int start = pieces.get(first).dataOffset();
        for (int k = 0; k < run; k++) {
            DirectPiece piece = pieces.get(first + k);
            if (piece.firstSector() != 0 || piece.sectors() != state.sectorsPerBlock()
                    || piece.dataOffset() != start + k * blockSize) {
                return null;
            }
        }
        ByteBuffer source = data.slice(data.position() + start, run * blockSize);
        return AlignedBuffers.isAligned(source) ? source : null;
    }

    /** The checksums of a piece that replaces its whole block with {@code block}. */
    private void wholeBlockCrcs(final DirectPiece piece, final ByteBuffer block) {
        int perBlock = state.sectorsPerBlock();
        for (int sector = 0; sector < perBlock; sector++) {
            piece.newCrcs()[sector] = crc(block.slice(sector * sectorSize, sectorSize));
        }
        piece.newWritten()[0] = perBlock == Long.SIZE ? -1L : (1L << perBlock) - 1;
    }

    /** Fills {@code block} with the piece's new block: old sectors, with its own written or cleared. */
    private void buildBlock(final long extentId, final DirectPiece piece, final ByteBuffer data, final ByteBuffer block)
            throws IOException {
        if (piece.oldBlock() != ExtentState.UNMAPPED && piece.oldWritten() != 0) {
            readOldSectors(extentId, piece, block);
        }
        long written = piece.oldWritten();
        for (int i = 0; i < piece.sectors(); i++) {
            int sector = piece.firstSector() + i;
            if (data == null) {
                written &= ~(1L << sector);
            } else {
                block.put(sector * sectorSize, data, data.position() + piece.dataOffset() + i * sectorSize, sectorSize);
                written |= 1L << sector;
            }
        }
        for (int sector = 0; sector < state.sectorsPerBlock(); sector++) {
            boolean fresh = sector >= piece.firstSector() && sector < piece.firstSector() + piece.sectors();
            piece.newCrcs()[sector] = (written & (1L << sector)) == 0 ? 0
                    : fresh ? crc(block.slice(sector * sectorSize, sectorSize)) : piece.oldCrcs()[sector];
        }
        piece.newWritten()[0] = written;
    }

    /** Fills {@code block} with the old block's written sectors (dirty ones from memory), checked. */
    private void readOldSectors(final long extentId, final DirectPiece piece, final ByteBuffer block)
            throws IOException {
        long base = layout.blockOffset(piece.oldBlock());
        device.read(base, block.clear());
        for (int sector = 0; sector < state.sectorsPerBlock(); sector++) {
            if ((piece.oldWritten() & (1L << sector)) == 0) {
                block.put(sector * sectorSize, ZERO_SECTOR, 0, sectorSize);
            } else if (piece.oldDirty()[sector] != null) {
                block.put(sector * sectorSize, piece.oldDirty()[sector]);
            } else {
                int actual = crc(block.slice(sector * sectorSize, sectorSize));
                if (actual != piece.oldCrcs()[sector]) {
                    metrics.checksumError();
                    throw new ChecksumMismatchException(device.path(), base + (long) sector * sectorSize, extentId,
                            (long) piece.blockIndex() * blockSize + (long) sector * sectorSize,
                            piece.oldCrcs()[sector], actual);
                }
            }
        }
    }

    /** On the worker: map the written blocks (or give them back after {@code failed}), free the busy marks. */
    private List<JournalAppend> finishDirect(final WritePlan plan, final Exception failed) throws IOException {
        List<JournalAppend> appends = new ArrayList<>();
        IOException error = null;
        for (DirectPiece piece : plan.direct()) {
            try {
                if (failed != null || error != null) {
                    state.group().dropReference(piece.newBlock(), 0);
                } else {
                    StoreRecord.Map record = new StoreRecord.Map(plan.extentId(), plan.version(), piece.blockIndex(),
                            piece.newBlock(), piece.newWritten()[0], piece.newCrcs());
                    appends.add(appendAndApply(record, true));
                }
            } catch (IOException e) {
                error = e;
                state.group().dropReference(piece.newBlock(), 0);
            } finally {
                busyBlocks.remove(piece.key()).complete(null);
            }
        }
        if (error != null) {
            throw error;
        }
        maybeStartCheckpoint();
        maybeStartApply();
        return appends;
    }

    // ------------------------------------------------------------------ read

    void read(final long extentId, final long offset, final ByteBuffer target) throws IOException {
        long started = options.clock().nanoTime();
        int length = target.remaining();
        for (int attempt = 0;; attempt++) {
            ReadPlan plan = onWorker(() -> planRead(extentId, offset, length));
            try {
                fill(extentId, offset, plan, target.duplicate());
                break;
            } catch (ChecksumMismatchException e) {
                // A block freed and reused while we read it shows as a mismatch; resolve again once.
                if (attempt > 0) {
                    metrics.checksumError();
                    LOG.error("chunk worker {}: {}", index, e.getMessage());
                    throw e;
                }
            }
        }
        target.position(target.limit());
        metrics.read(length, options.clock().nanoTime() - started);
    }

    private ReadPlan planRead(final long extentId, final long offset, final int length) throws IOException {
        checkUsable();
        ExtentState extent = state.extent(extentId);
        int sectors = length / sectorSize;
        int[] blocks = new int[sectors];
        int[] crcs = new int[sectors];
        byte[][] dirty = new byte[sectors][];
        BlockGroup group = state.group();
        for (int i = 0; i < sectors; i++) {
            long position = offset + (long) i * sectorSize;
            int block = extent.block((int) (position / blockSize));
            int sector = (int) (position % blockSize / sectorSize);
            if (block == ExtentState.UNMAPPED || (group.writtenSectors(block) & (1L << sector)) == 0) {
                blocks[i] = ExtentState.UNMAPPED;
            } else {
                blocks[i] = block;
                crcs[i] = group.sectorCrc(block, sector);
                dirty[i] = state.overlay().get(block, sector);
            }
        }
        return new ReadPlan(blocks, crcs, dirty);
    }

    /**
     * Starts reading {@code target.remaining()} bytes of the extent from {@code offset} into
     * {@code target} (direct and aligned) and returns true; {@code done} then runs once with null
     * or the failure, on the device's completion thread, or on this one when no sector had to come
     * from the device. False, having started nothing, when the device cannot read this way now.
     * {@code target}'s position stays put.
     */
    boolean startRead(final long extentId, final long offset, final ByteBuffer target,
            final Consumer<IOException> done) throws IOException {
        if (!AlignedBuffers.isAligned(target)) {
            return false;
        }
        long started = options.clock().nanoTime();
        int length = target.remaining();
        ReadPlan plan = onWorker(() -> planRead(extentId, offset, length));
        List<DiskRun> runs = placeFromMemory(offset, plan, target, true);
        if (runs.isEmpty()) {
            metrics.read(length, options.clock().nanoTime() - started);
            done.accept(null);
            return true;
        }
        List<BlockDevice.Read> reads = new ArrayList<>(runs.size());
        for (DiskRun run : runs) {
            reads.add(new BlockDevice.Read(run.position(),
                    target.slice(target.position() + run.first() * sectorSize, run.count() * sectorSize)));
        }
        return device.startReads(reads, failure -> {
            IOException outcome = failure;
            try {
                for (int i = 0; outcome == null && i < runs.size(); i++) {
                    verify(runs.get(i), reads.get(i).target(), plan, extentId, offset);
                }
            } catch (ChecksumMismatchException e) {
                outcome = e;
            }
            if (outcome instanceof ChecksumMismatchException) {
                // A block freed and reused while it was read shows as a mismatch: read() resolves it
                // again (and reports it if it stays), blocking, so not on the device's thread.
                Thread.ofVirtual().name(name + "-reread").start(() -> {
                    try {
                        read(extentId, offset, target.duplicate());
                        done.accept(null);
                    } catch (IOException e) {
                        done.accept(e);
                    }
                });
                return;
            }
            if (outcome == null) {
                metrics.read(length, options.clock().nanoTime() - started);
            }
            done.accept(outcome);
        });
    }

    /** Off the worker: zeros, dirty sectors from memory, and runs of on-disk sectors with one read each. */
    private void fill(final long extentId, final long offset, final ReadPlan plan, final ByteBuffer target)
            throws IOException {
        // Into the caller's aligned direct buffer a run may span blocks that lie next to each other on the
        // device (one pread for a sequentially written range); through a pooled buffer it is at most one block.
        boolean inPlace = AlignedBuffers.isAligned(target);
        for (DiskRun run : placeFromMemory(offset, plan, target, inPlace)) {
            int at = target.position() + run.first() * sectorSize;
            int bytes = run.count() * sectorSize;
            if (inPlace) {
                readChecked(run, target.slice(at, bytes), plan, extentId, offset);
                continue;
            }
            ByteBuffer buffer = take(buffers);
            try {
                readChecked(run, buffer.clear().limit(bytes), plan, extentId, offset);
                target.put(at, buffer, 0, bytes);
            } finally {
                buffers.release(buffer);
            }
        }
    }

    /** {@code count} on-disk sectors of a read from its sector {@code first} on, at device offset {@code position}. */
    private record DiskRun(int first, int count, long position) {
    }

    /**
     * Puts the plan's zero and dirty sectors into {@code target} and returns its on-disk sectors as
     * runs that lie next to each other on the device, each within one block unless {@code spanBlocks}.
     */
    private List<DiskRun> placeFromMemory(final long offset, final ReadPlan plan, final ByteBuffer target,
            final boolean spanBlocks) {
        int sectors = plan.blocks().length;
        int base = target.position();
        List<DiskRun> runs = new ArrayList<>(1);
        for (int i = 0; i < sectors;) {
            int at = base + i * sectorSize;
            if (plan.blocks()[i] == ExtentState.UNMAPPED) {
                target.put(at, ZERO_SECTOR, 0, sectorSize);
                i++;
            } else if (plan.dirty()[i] != null) {
                target.put(at, plan.dirty()[i]);
                i++;
            } else {
                int maxRun = spanBlocks ? sectors - i : blockSize / sectorSize;
                int run = 1;
                long first = sectorOffset(offset, i, plan.blocks()[i]);
                while (i + run < sectors && plan.blocks()[i + run] != ExtentState.UNMAPPED
                        && plan.dirty()[i + run] == null
                        && sectorOffset(offset, i + run, plan.blocks()[i + run]) == first + (long) run * sectorSize
                        && run < maxRun) {
                    run++;
                }
                runs.add(new DiskRun(i, run, first));
                i += run;
            }
        }
        return runs;
    }

    /** Reads {@code run} into {@code into} (from its index 0) and checks each sector against the plan. */
    private void readChecked(final DiskRun run, final ByteBuffer into, final ReadPlan plan, final long extentId,
            final long offset) throws IOException {
        device.read(run.position(), into.duplicate());
        verify(run, into, plan, extentId, offset);
    }

    /** Checks each sector of {@code run}, read into {@code data} from its index 0, against the plan's checksum. */
    private void verify(final DiskRun run, final ByteBuffer data, final ReadPlan plan, final long extentId,
            final long offset) throws ChecksumMismatchException {
        for (int s = 0; s < run.count(); s++) {
            int actual = crc(data.slice(s * sectorSize, sectorSize));
            int expected = plan.crcs()[run.first() + s];
            if (actual != expected) {
                throw new ChecksumMismatchException(device.path(), run.position() + (long) s * sectorSize, extentId,
                        offset + (long) (run.first() + s) * sectorSize, expected, actual);
            }
        }
    }

    private long sectorOffset(final long extentOffset, final int sectorIndex, final int block) {
        long position = extentOffset + (long) sectorIndex * sectorSize;
        return layout.blockOffset(block) + position % blockSize;
    }

    // ------------------------------------------------------------------ other mutations

    void create(final long extentId, final long epoch) throws IOException {
        JournalAppend append = onWorker(() -> {
            checkUsable();
            if (state.hasExtent(extentId)) {
                throw new ExtentExistsException(extentId);
            }
            checkMetadataRoom(1, 0);
            return appendAndApply(new StoreRecord.Create(extentId, epoch), false);
        });
        awaitDurable(List.of(append));
    }

    void delete(final long extentId, final long epoch) throws IOException {
        awaitMutation(() -> {
            ExtentState extent = state.extent(extentId);
            checkEpoch(extent, epoch);
            CompletableFuture<Void> wait = waitForBusyOrSpace(extentId, 0, extent.blockCount() * (long) blockSize, 0);
            return wait != null ? wait : appendAndApply(new StoreRecord.Delete(extentId, epoch), false);
        });
    }

    void advanceEpoch(final long extentId, final long epoch) throws IOException {
        awaitMutation(() -> {
            ExtentState extent = state.extent(extentId);
            if (epoch <= extent.epoch()) {
                return null;
            }
            return appendAndApply(new StoreRecord.AdvanceEpoch(extentId, epoch), false);
        });
    }

    void snapshot(final long parentId, final long childId, final long epoch) throws IOException {
        awaitMutation(() -> {
            ExtentState parent = state.extent(parentId);
            checkEpoch(parent, epoch);
            if (state.hasExtent(childId)) {
                throw new ExtentExistsException(childId);
            }
            CompletableFuture<Void> wait = waitForBusyOrSpace(parentId, 0, parent.blockCount() * (long) blockSize, 0);
            if (wait != null) {
                return wait;
            }
            checkMetadataRoom(1, parent.mappedBlocks());
            return appendAndApply(new StoreRecord.Snapshot(parentId, childId, epoch), false);
        });
    }

    /**
     * Unmaps whole blocks by dropping them from the map and partial ones by clearing their sectors;
     * a partial range of a shared block is copied first, like a write of zeros.
     */
    long unmap(final long extentId, final long epoch, final long offset, final long length) throws IOException {
        List<JournalAppend> appends = new ArrayList<>();
        while (true) {
            WritePlan plan = onWorker(() -> {
                checkUsable();
                ExtentState extent = state.extent(extentId);
                checkEpoch(extent, epoch);
                CompletableFuture<Void> wait = waitForBusyOrSpace(extentId, offset, length, 0);
                if (wait != null) {
                    return WritePlan.waiting(wait);
                }
                long version = extent.version() + 1;
                List<DirectPiece> direct = new ArrayList<>();
                List<JournalAppend> done = new ArrayList<>();
                BlockGroup group = state.group();
                try {
                    planUnmap(extent, offset, length, version, done, direct, group);
                } catch (IOException | RuntimeException e) {
                    abandon(direct);
                    throw e;
                }
                maybeStartCheckpoint();
                maybeStartApply();
                return new WritePlan(null, version, extentId, done, direct);
            });
            if (plan.waitFor() != null) {
                await(plan.waitFor());
                continue;
            }
            if (plan.appends().isEmpty() && plan.direct().isEmpty()) {
                return info(extentId).version(); // nothing was mapped there: nothing changed
            }
            appends.addAll(plan.appends());
            if (!plan.direct().isEmpty()) {
                writeDirect(plan, null);
                appends.addAll(onWorker(() -> finishDirect(plan, null)));
            }
            awaitDurable(appends);
            return plan.version();
        }
    }

    private void planUnmap(final ExtentState extent, final long offset, final long length, final long version,
            final List<JournalAppend> done, final List<DirectPiece> direct, final BlockGroup group)
            throws IOException {
        long extentId = extent.id();
        for (long position = offset; position < offset + length;) {
            int blockIndex = (int) (position / blockSize);
            int firstSector = (int) (position % blockSize / sectorSize);
            int sectors = (int) Math.min(state.sectorsPerBlock() - firstSector,
                    (offset + length - position) / sectorSize);
            int current = extent.block(blockIndex);
            if (current == ExtentState.UNMAPPED) {
                position += (long) sectors * sectorSize;
                continue;
            }
            if (sectors == state.sectorsPerBlock()) {
                done.add(appendAndApply(new StoreRecord.Unmap(extentId, version, blockIndex, 1), false));
            } else if (group.references(current) == 1) {
                done.add(appendAndApply(new StoreRecord.ClearSectors(extentId, version, blockIndex,
                        firstSector, sectors), false));
            } else {
                direct.add(reserveDirect(extent, blockIndex, firstSector, sectors, -1, current));
            }
            position += (long) sectors * sectorSize;
        }
    }

    ExtentInfo info(final long extentId) throws IOException {
        return onWorker(() -> describe(state.extent(extentId)));
    }

    List<ExtentInfo> list() throws IOException {
        return onWorker(() -> {
            List<ExtentInfo> all = new ArrayList<>();
            for (ExtentState extent : state.extents()) {
                all.add(describe(extent));
            }
            return all;
        });
    }

    int[] allocatedBlocks(final long extentId) throws IOException {
        return onWorker(() -> {
            ExtentState extent = state.extent(extentId);
            int[] indexes = new int[extent.mappedBlocks()];
            int next = 0;
            for (int blockIndex = 0; blockIndex < extent.blockCount(); blockIndex++) {
                if (extent.block(blockIndex) != ExtentState.UNMAPPED) {
                    indexes[next++] = blockIndex;
                }
            }
            return indexes;
        });
    }

    /** Extent ids this worker owns, for routing at open. */
    List<Long> extentIds() throws IOException {
        return onWorker(() -> state.extents().stream().map(ExtentState::id).toList());
    }

    /** This worker's share of the store's capacity and dirty data, read on the worker. */
    record Counters(long totalBlocks, long freeBlocks, long releasingBlocks, long dirtySectors) {
    }

    Counters counters() throws IOException {
        return onWorker(() -> new Counters(state.group().blockCount(), state.group().freeBlocks(),
                state.group().quarantinedBlocks(), state.overlay().size()));
    }

    private static ExtentInfo describe(final ExtentState extent) {
        return new ExtentInfo(extent.id(), extent.epoch(), extent.version(), extent.mappedBlocks());
    }

    // ------------------------------------------------------------------ journal, checkpoint, apply

    private JournalAppend appendAndApply(final StoreRecord record, final boolean reservedBlock) throws IOException {
        JournalAppend append;
        try {
            if (record instanceof StoreRecord.Write write) {
                append = journal.append(record.type(), write.parts());
            } else if (record instanceof StoreRecord.Map) {
                append = journal.appendWithBarrier(record.type(), record.header());
            } else {
                append = journal.append(record.type(), record.header());
            }
        } catch (JournalFailedException e) {
            fail(e);
            throw e;
        }
        if (reservedBlock) {
            state.applyReservedMap((StoreRecord.Map) record, append.sequence());
        } else {
            state.apply(record, append.sequence());
        }
        int waiting = state.group().quarantinedBlocks();
        quarantined = waiting;
        // Either the durability listener sees the count above, or we see its durable sequence here.
        if (waiting > 0 && journal.durableSequence() >= append.sequence()) {
            releaseQuarantine();
        }
        return append;
    }

    /**
     * Null when the range's blocks are not busy and the journal has room for {@code bytes} more;
     * otherwise what to wait for before planning again.
     */
    private CompletableFuture<Void> waitForBusyOrSpace(final long extentId, final long offset, final long length,
            final long bytes) {
        if (!busyBlocks.isEmpty()) {
            for (long blockIndex = offset / blockSize; blockIndex * blockSize < offset + length; blockIndex++) {
                CompletableFuture<Void> busy = busyBlocks.get(new BlockKey(extentId, (int) blockIndex));
                if (busy != null) {
                    return busy;
                }
            }
        }
        long needed = bytes + (length / blockSize + 2) * 1024L;
        if (journal.freeBytes() < needed + journal.capacity() / 16) {
            return startCheckpoint();
        }
        return null;
    }

    /**
     * On the worker: when enough sectors are dirty, lets the applier write a snapshot of them home
     * now, between checkpoints, so that a checkpoint finds little left to apply and writers never
     * wait for it. Only sectors whose records are durable are written (the pass waits for them):
     * the journal keeps those records until a checkpoint whose flushes cover the home writes, so a
     * crash at any point replays them.
     */
    private void maybeStartApply() {
        if (applying || checkpoint != null || failure != null || state.overlay().size() < applyPassSectors()) {
            return;
        }
        applying = true;
        long sequence = journal.lastSequence();
        List<DirtyOverlay.DirtySector> dirty = state.overlay().snapshot();
        applier.execute(() -> {
            IOException error = null;
            try {
                journal.awaitDurable(sequence);
                writeHome(dirty);
            } catch (IOException e) {
                error = e;
            }
            IOException failed = error;
            context.execute(() -> finishApply(dirty, failed));
        });
    }

    private int applyPassSectors() {
        return (int) Math.max(16, Math.min(APPLY_PASS_MAX_SECTORS, journal.capacity() / 64 / sectorSize));
    }

    private void finishApply(final List<DirtyOverlay.DirtySector> dirty, final IOException error) {
        applying = false;
        if (error != null) {
            fail(error);
            return;
        }
        state.overlay().removeApplied(dirty);
        metrics.applied(dirty.size());
        releaseQuarantine();
        maybeStartApply();
    }

    private void maybeStartCheckpoint() {
        if (checkpoint == null && journal.usedBytes() > journal.capacity() * options.checkpointThreshold()) {
            startCheckpoint();
        }
    }

    /** On the worker: snapshot metadata and dirty sectors, and let the applier write them. */
    private CompletableFuture<Void> startCheckpoint() {
        if (checkpoint != null) {
            return checkpoint;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        checkpoint = done;
        long started = options.clock().nanoTime();
        long sequence = journal.lastSequence();
        ByteBuffer encoded = encodeCheckpoint();
        long number = checkpointCounter;
        List<DirtyOverlay.DirtySector> dirty = state.overlay().snapshot();
        Runnable write = () -> {
            IOException error = null;
            try {
                writeCheckpoint(dirty, encoded, sequence);
            } catch (IOException e) {
                error = e;
            }
            IOException failed = error;
            context.execute(() -> finishCheckpoint(done, dirty, number, sequence, started, failed));
        };
        applier.execute(write);
        return done;
    }

    private void finishCheckpoint(final CompletableFuture<Void> done, final List<DirtyOverlay.DirtySector> dirty,
            final long number, final long sequence, final long started, final IOException error) {
        checkpoint = null;
        if (error != null) {
            fail(error);
            done.completeExceptionally(error);
            return;
        }
        state.overlay().removeApplied(dirty);
        long nanos = options.clock().nanoTime() - started;
        metrics.checkpointed(nanos);
        // DEBUG, not INFO: under sustained writes a worker checkpoints several times a second.
        LOG.debug("chunk worker {} on {}: checkpoint {} covers the journal up to {}; {} sectors written home, {} ms",
                index, device.path(), number, sequence, dirty.size(), nanos / 1_000_000);
        releaseQuarantine();
        done.complete(null);
    }

    private ByteBuffer encodeCheckpoint() {
        checkpointCounter++;
        return CheckpointCodec.encode(state, index, checkpointCounter, journal == null ? 0 : journal.lastSequence());
    }

    /**
     * Off the worker: writes dirty sectors home, flushes, writes the checkpoint into the older slot
     * (payload, flush, header, flush), and trims the journal it covers. A crash anywhere in
     * between leaves the previous checkpoint and the untrimmed journal, which recover the same
     * state.
     */
    private void writeCheckpoint(final List<DirtyOverlay.DirtySector> dirty, final ByteBuffer encoded,
            final long sequence) throws IOException {
        // Dirty sectors are written home in place, over the data the previous checkpoint describes:
        // only once their records are durable, or a crash in between leaves that checkpoint pointing
        // at data whose record is lost (checksum errors, acknowledged sectors overwritten by
        // unacknowledged ones). Throws when the journal failed first.
        journal.awaitDurable(sequence);
        applyHome(dirty);
        long counter = encoded.getLong(16);
        int slot = (int) (counter % 2);
        int bytes = roundUp(encoded.remaining(), device.alignment());
        if (bytes > layout.checkpointSlotBytes()) {
            throw new IOException("chunk worker " + index + " metadata (" + encoded.remaining()
                    + " bytes) no longer fits its checkpoint slot of " + layout.checkpointSlotBytes() + " bytes");
        }
        ByteBuffer aligned = alignedBuffer(device.alignment(), bytes);
        aligned.put(encoded.duplicate()).clear();
        long offset = layout.checkpointSlotOffset(index, slot);
        int header = CheckpointCodec.HEADER_BYTES;
        // Payload first, header once the payload is durable: a multi-sector write is not atomic, and
        // a valid header over a torn payload would be refused at open as a damaged slot.
        if (bytes > header) {
            device.write(offset + header, aligned.slice(header, bytes - header));
            device.flush();
        }
        device.write(offset, aligned.slice(0, header));
        device.flush();
        journal.trim(sequence);
    }

    /** Writes dirty sectors to their blocks, coalescing neighbours into one write, then flushes. */
    private void applyHome(final List<DirtyOverlay.DirtySector> dirty) throws IOException {
        if (dirty.isEmpty()) {
            return;
        }
        writeHome(dirty);
        device.flush();
        metrics.applied(dirty.size());
    }

    /**
     * Writes dirty sectors to their blocks, coalescing neighbours into one write; no flush. The
     * writes of a pass go to the device in batches ({@link BlockDevice#writeAll}), each staged in
     * one pooled run buffer: random sectors are many small writes, which the device takes best
     * many at a time and which cost least CPU submitted together.
     */
    private void writeHome(final List<DirtyOverlay.DirtySector> dirty) throws IOException {
        if (dirty.isEmpty()) {
            return;
        }
        int perBlock = state.sectorsPerBlock();
        ByteBuffer staging = take(runBuffers);
        try {
            List<BlockDevice.Write> batch = new ArrayList<>();
            int used = 0;
            for (int i = 0; i < dirty.size();) {
                // A run of adjacent sectors within one block is one write.
                long first = dirty.get(i).globalSector();
                int run = 1;
                while (i + run < dirty.size() && dirty.get(i + run).globalSector() == first + run
                        && (first + run) / perBlock == first / perBlock) {
                    run++;
                }
                if (used + run * sectorSize > staging.capacity()) {
                    device.writeAll(batch);
                    batch.clear();
                    used = 0;
                }
                ByteBuffer piece = staging.slice(used, run * sectorSize);
                for (int k = 0; k < run; k++) {
                    piece.put(k * sectorSize, dirty.get(i + k).data());
                }
                batch.add(new BlockDevice.Write(layout.blockOffset(first / perBlock) + first % perBlock * sectorSize,
                        piece));
                used += run * sectorSize;
                i += run;
            }
            device.writeAll(batch);
        } finally {
            runBuffers.release(staging);
        }
    }

    private void releaseQuarantine() {
        if (checkpoint == null && !applying && journal != null) {
            // Blocks freed while a checkpoint or an apply pass writes dirty sectors stay quarantined
            // until it ends: the applier may still write a freed block's old sectors.
            state.group().releaseQuarantined(journal.durableSequence());
            quarantined = state.group().quarantinedBlocks();
        }
    }

    private void checkMetadataRoom(final int newExtents, final long newReferences) throws StoreFullException {
        long payload = CheckpointCodec.payloadBytes(state, state.group().blockCount() - state.group().freeBlocks())
                + newExtents * 28L + newReferences * 8L;
        if (payload + CheckpointCodec.HEADER_BYTES > layout.checkpointSlotBytes()) {
            throw new StoreFullException("chunk worker " + index + " metadata region is full (" + payload
                    + " bytes needed, slot holds " + layout.checkpointSlotBytes() + ")");
        }
    }

    // ------------------------------------------------------------------ helpers

    private void checkEpoch(final ExtentState extent, final long epoch) throws StaleEpochException {
        if (epoch < extent.epoch()) {
            throw new StaleEpochException(extent.id(), epoch, extent.epoch());
        }
    }

    private void checkUsable() throws IOException {
        IOException failed = failure;
        if (failed != null) {
            throw new IOException("chunk worker " + index + " on " + device.path() + " failed and must be reopened: "
                    + failed.getMessage(), failed);
        }
    }

    private void fail(final IOException error) {
        if (failure == null) {
            failure = error;
            LOG.error("chunk worker {} on {} failed; it refuses requests until the store is reopened", index,
                    device.path(), error);
        }
    }

    private interface Mutation {
        /** A journal append to wait for, a future to wait on before trying again, or null when done. */
        Object run() throws IOException;
    }

    private void awaitMutation(final Mutation mutation) throws IOException {
        while (true) {
            Object outcome = onWorker(() -> {
                checkUsable();
                return mutation.run();
            });
            if (outcome instanceof CompletableFuture<?> wait) {
                await(wait);
            } else {
                if (outcome instanceof JournalAppend append) {
                    awaitDurable(List.of(append));
                }
                return;
            }
        }
    }

    private void awaitDurable(final List<JournalAppend> appends) throws IOException {
        for (JournalAppend append : appends) {
            try {
                append.awaitDurable();
            } catch (JournalFailedException e) {
                onWorker(() -> {
                    fail(e);
                    return null;
                });
                throw e;
            }
        }
    }

    private static void await(final CompletableFuture<?> future) throws IOException {
        try {
            future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }

    /**
     * Runs {@code body} as this worker: in place on the calling thread when the worker is idle
     * (holding it exclusively, so its state still has one writer at a time), else queued on the
     * worker's thread. Bodies never block: anything that waits happens outside.
     */
    private <T> T onWorker(final Callable<T> body) throws IOException {
        try {
            return context.callNonBlocking(body);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    static int crc(final ByteBuffer sector) {
        CRC32C crc = new CRC32C();
        crc.update(sector.duplicate());
        return (int) crc.getValue();
    }

    /** A buffer of {@code pool}; waits while all are out (every holder gives its one buffer back soon). */
    private static ByteBuffer take(final AlignedBufferPool pool) throws InterruptedIOException {
        try {
            return pool.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for an I/O buffer");
        }
    }

    private static int roundUp(final int value, final int alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }

    private static ByteBuffer alignedBuffer(final int alignment, final int bytes) {
        return AlignedBuffers.allocate(roundUp(bytes, alignment));
    }

    /** Writes a final checkpoint so the next open replays nothing, then stops the worker. */
    @Override
    public void close() throws IOException {
        IOException error = null;
        try {
            if (failure == null) {
                // The first may return a checkpoint already running; the second covers everything.
                await(onWorker(this::startCheckpoint));
                await(onWorker(this::startCheckpoint));
            }
        } catch (IOException e) {
            error = e;
        } finally {
            if (journal != null) {
                journal.close();
            }
            closeContexts();
        }
        if (error != null) {
            throw error;
        }
    }

    private void closeContexts() {
        context.close();
        applier.close();
    }

    /** One block of one extent. */
    private record BlockKey(long extentId, int blockIndex) {
    }

    /** A block written directly: reserved {@code newBlock}, what it replaces, and what was computed off the worker. */
    private record DirectPiece(BlockKey key, int blockIndex, int newBlock, int oldBlock, int firstSector, int sectors,
            int dataOffset, long oldWritten, int[] oldCrcs, byte[][] oldDirty, long[] newWritten, int[] newCrcs) {
    }

    /** What planning a write decided: wait and retry, or these appends and direct pieces. */
    private record WritePlan(CompletableFuture<Void> waitFor, long version, long extentId, List<JournalAppend> appends,
            List<DirectPiece> direct) {
        static WritePlan waiting(final CompletableFuture<Void> future) {
            return new WritePlan(future, 0, 0, List.of(), List.of());
        }
    }

    /** Where each sector of a read comes from: a block (or unmapped), its checksum, or dirty data. */
    private record ReadPlan(int[] blocks, int[] crcs, byte[][] dirty) {
    }
}
