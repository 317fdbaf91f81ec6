package io.keel.access.volume;

import io.keel.access.scsi.BlockBackend;
import io.keel.access.scsi.TransferBuffers;
import io.keel.access.scsi.UnreadableDataException;
import io.keel.access.scsi.WriteAdmission;
import io.keel.chunk.store.ChecksumMismatchException;
import io.keel.chunk.store.ExtentExistsException;
import io.keel.chunk.store.ExtentNotFoundException;
import io.keel.chunk.store.StaleEpochException;
import io.keel.runtime.time.SystemClock;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One volume as a block device: splits each I/O at extent boundaries and sends the pieces to the
 * chunk store of each extent, creating an extent on its first write (thin provisioning). The
 * stores work in whole 4 KiB sectors; a request that covers a sector only in part is read,
 * merged and written back while holding that sector exclusively, so 512-byte initiators see
 * exact semantics. Every write is durable when it returns, because the store's is.
 */
public final class VolumeClient implements BlockBackend {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeClient.class);
    private static final int SECTOR = 4096;
    private static final int LOGICAL_BLOCK = 512;
    private final ExtentResolver resolver;
    private final int allocationUnit;
    private final Map<Long, ResolvedExtent> extents = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Void>> creations = new ConcurrentHashMap<>();
    private final RangeLock ranges = new RangeLock();
    private final VolumeIoMetrics io;
    private final VolumeThrottle throttle;
    private volatile VolumeLayout layout;

    /**
     * A client for {@code layout}; {@code allocationUnit} is the stores' block size (what UNMAP
     * frees and allocation status is reported in).
     */
    public VolumeClient(final VolumeLayout layout, final ExtentResolver resolver, final int allocationUnit) {
        this(layout, resolver, allocationUnit, new VolumeIoMetrics(layout.volumeId(), SystemClock.INSTANCE),
                new VolumeThrottle(SystemClock.INSTANCE));
    }

    /**
     * A client as above that counts the volume's I/O in {@code io} and holds its reads and writes to
     * the limits of {@code throttle}.
     */
    public VolumeClient(final VolumeLayout layout, final ExtentResolver resolver, final int allocationUnit,
            final VolumeIoMetrics io, final VolumeThrottle throttle) {
        if (allocationUnit <= 0 || allocationUnit % SECTOR != 0) {
            throw new IllegalArgumentException("allocation unit " + allocationUnit + " must be a multiple of "
                    + SECTOR);
        }
        this.layout = layout;
        this.resolver = resolver;
        this.allocationUnit = allocationUnit;
        this.io = io;
        this.throttle = throttle;
    }

    /** The volume's QoS limits as this client enforces them on reads and writes. */
    public VolumeThrottle throttle() {
        return throttle;
    }

    /** The volume's I/O through this client: reads, writes, bytes, latency, failures and calls in flight. */
    public VolumeIoMetrics io() {
        return io;
    }

    /** Takes a new layout from the meta server (a grown volume); the extent size and id must not change. */
    public void updateLayout(final VolumeLayout next) {
        VolumeLayout current = layout;
        if (!next.volumeId().equals(current.volumeId()) || next.extentSize() != current.extentSize()) {
            throw new IllegalArgumentException("volume " + current.volumeId() + " cannot change id or extent size");
        }
        layout = next;
    }

    @Override
    public String volumeId() {
        return layout.volumeId();
    }

    @Override
    public long sizeBytes() {
        return layout.sizeBytes();
    }

    @Override
    public boolean thinProvisioned() {
        return layout.thin();
    }

    @Override
    public int physicalBlockSize() {
        return SECTOR;
    }

    @Override
    public int reportedPhysicalBlockSize() {
        return layout.reportedPhysicalBlockBytes();
    }

    @Override
    public int unmapGranularity() {
        return allocationUnit;
    }

    @Override
    public void read(final long offset, final ByteBuffer target) throws IOException {
        int length = target.remaining();
        checkRange(offset, length);
        if (length == 0) {
            return;
        }
        counted(length, null, () -> {
            readInRange(offset, target, length);
            return null;
        }, done -> false);
    }

    private void readInRange(final long offset, final ByteBuffer target, final int length) throws IOException {
        long start = alignDown(offset);
        long end = alignUp(offset + length);
        if (start == offset && end == offset + length) {
            readSectors(offset, target.slice());
            target.position(target.limit());
            return;
        }
        ByteBuffer covering = ByteBuffer.allocate(Math.toIntExact(end - start));
        readSectors(start, covering);
        target.put(covering.position(Math.toIntExact(offset - start)).limit(Math.toIntExact(offset - start) + length));
    }

    /**
     * Starts the read from the extent's store when the range is whole sectors of one extent whose
     * place is already known here and the store can read without blocking; false otherwise (and
     * for an extent never written, which {@link #read} answers with zeros).
     */
    @Override
    public boolean startRead(final long offset, final ByteBuffer target, final Consumer<IOException> done) {
        KnownPlace place = knownPlace(offset, target.remaining());
        if (place == null) {
            return false;
        }
        ResolvedExtent extent = place.extent();
        int length = target.remaining();
        if (!throttle.tryAcquire(length, null)) {
            return false; // the blocking read waits for the QoS limit
        }
        long started = io.begin();
        try {
            long extentStart = offset - place.within();
            if (extent.store().startRead(extent.extentId(), place.within(), target, failure -> {
                ended(failure, length, started, false);
                done.accept(failure == null ? null : located(extentStart, failure));
            })) {
                return true;
            }
        } catch (IOException | RuntimeException e) {
            // Not started: the blocking read finds out again and answers for it (zeros for an extent never written).
        }
        throttle.refund(length, null);
        io.notStarted();
        return false;
    }

    /**
     * Starts a write of whole sectors inside one extent this client already resolved, if its store
     * takes it without blocking (see {@link io.keel.chunk.store.ExtentStore#startWrite}); the
     * sectors stay held shared until it is done, as for a blocking write. Anything else, or an
     * extent to create or refresh first, goes the blocking way: false.
     */
    @Override
    public boolean startWrite(final long offset, final ByteBuffer data, final Consumer<IOException> done) {
        return startWrite(offset, data, null, done);
    }

    @Override
    public boolean startWrite(final long offset, final ByteBuffer data, final WriteAdmission admission,
            final Consumer<IOException> done) {
        int length = data.remaining();
        KnownPlace place = knownPlace(offset, length);
        RangeLock.Held held = place == null ? null : ranges.tryAcquireShared(offset, offset + length);
        if (held == null) {
            return false;
        }
        if (!throttle.tryAcquire(length, admission)) {
            held.close();
            return false; // the blocking write waits for the QoS limit
        }
        ResolvedExtent extent = place.extent();
        long started = io.begin();
        try {
            if (extent.store().startWrite(extent.extentId(), extent.epoch(), place.within(), data.duplicate(),
                    failure -> {
                        held.close();
                        ended(failure, length, started, true);
                        done.accept(failure);
                    })) {
                return true;
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("volume {}: not starting a write to extent {} ({}); writing the blocking way",
                    layout.volumeId(), extent.extentId(), e.toString());
        }
        held.close();
        throttle.refund(length, admission);
        io.notStarted();
        return false;
    }

    /** A read or write of the volume, run by {@link #counted}. */
    private interface Io<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code call} once the QoS limit lets it (at once for a write whose {@code admission} paid
     * already), and counts it as a read or write of {@code length} bytes (the wait included; a write
     * when {@code wrote} says so of its result), or as a failure.
     */
    private <T> T counted(final int length, final WriteAdmission admission, final Io<T> call,
            final Predicate<T> wrote) throws IOException {
        long started = io.begin();
        T result;
        try {
            throttle.acquire(length, admission);
            result = call.run();
        } catch (IOException | RuntimeException e) {
            io.failed();
            throw e;
        }
        ended(null, length, started, wrote.test(result));
        return result;
    }

    /** Counts a read or write that ended ({@code failure} null when it succeeded). */
    private void ended(final IOException failure, final int length, final long started, final boolean write) {
        if (failure != null) {
            io.failed();
        } else if (write) {
            io.wrote(length, started);
        } else {
            io.read(length, started);
        }
    }

    /** Where a started read or write of whole sectors inside one extent goes: the extent, if already resolved. */
    private record KnownPlace(ResolvedExtent extent, long within) {
    }

    /** The place of {@code [offset, offset + length)}: null unless it is whole sectors of one extent resolved here. */
    private KnownPlace knownPlace(final long offset, final int length) {
        VolumeLayout volume = layout;
        if (length == 0 || offset % SECTOR != 0 || length % SECTOR != 0 || offset < 0
                || offset > volume.sizeBytes() - length) {
            return null;
        }
        long index = volume.extentIndex(offset);
        long within = offset - index * volume.extentSize();
        ResolvedExtent extent = extents.get(index);
        return extent == null || within + length > volume.extentSize() ? null : new KnownPlace(extent, within);
    }

    @Override
    public WriteAdmission admitWrite(final long length, final Runnable whenAdmitted) {
        return throttle.admitWrite(length, whenAdmitted);
    }

    @Override
    public void write(final long offset, final ByteBuffer data) throws IOException {
        write(offset, data, null);
    }

    @Override
    public void write(final long offset, final ByteBuffer data, final WriteAdmission admission) throws IOException {
        int length = data.remaining();
        checkRange(offset, length);
        if (length == 0) {
            return;
        }
        counted(length, admission, () -> {
            writeInRange(offset, data, length);
            return null;
        }, done -> true);
    }

    private void writeInRange(final long offset, final ByteBuffer data, final int length) throws IOException {
        long start = alignDown(offset);
        long end = alignUp(offset + length);
        if (start == offset && end == offset + length) {
            try (RangeLock.Held held = ranges.acquire(start, end, false)) {
                writeSectors(start, data.slice());
            }
            data.position(data.limit());
            return;
        }
        try (RangeLock.Held held = ranges.acquire(start, end, true)) {
            ByteBuffer merged = readPartialSectors(start, end, offset, length);
            merged.position(Math.toIntExact(offset - start)).put(data).clear();
            writeSectors(start, merged);
        }
    }

    @Override
    public long compareAndWrite(final long offset, final ByteBuffer expected, final ByteBuffer data)
            throws IOException {
        return compareAndWrite(offset, expected, data, null);
    }

    @Override
    public long compareAndWrite(final long offset, final ByteBuffer expected, final ByteBuffer data,
            final WriteAdmission admission) throws IOException {
        int length = expected.remaining();
        if (data.remaining() != length) {
            throw new IllegalArgumentException("compare and write needs as many bytes to write (" + data.remaining()
                    + ") as to compare (" + length + ")");
        }
        checkRange(offset, length);
        // A miscompare only read; a match wrote too, and counts as the write it is.
        return counted(length, admission, () -> compareAndWriteInRange(offset, expected, data, length),
                mismatch -> mismatch < 0);
    }

    private long compareAndWriteInRange(final long offset, final ByteBuffer expected, final ByteBuffer data,
            final int length) throws IOException {
        long start = alignDown(offset);
        long end = alignUp(offset + length);
        try (RangeLock.Held held = ranges.acquire(start, end, true)) {
            ByteBuffer current = ByteBuffer.allocate(Math.toIntExact(end - start));
            readSectors(start, current);
            int at = Math.toIntExact(offset - start);
            int mismatch = current.slice(at, length).mismatch(expected.slice());
            if (mismatch >= 0) {
                return mismatch;
            }
            current.position(at).put(data).clear();
            writeSectors(start, current);
            return -1;
        }
    }

    @Override
    public void unmap(final long offset, final long length) throws IOException {
        checkRange(offset, length);
        if (length == 0) {
            return;
        }
        long innerStart = alignUp(offset);
        // Nothing lies past the volume's end, so a range that runs to it covers the rest of its last
        // allocation unit too: the store frees that unit rather than keep it for a zeroed tail (a volume
        // whose size is not a multiple of the unit, e.g. 1 GiB - 4 KiB on 64 KiB units, can be emptied).
        long innerEnd = offset + length == layout.sizeBytes() ? alignUp(offset + length, allocationUnit)
                : alignDown(offset + length);
        if (innerStart < innerEnd) {
            try (RangeLock.Held held = ranges.acquire(innerStart, innerEnd, false)) {
                unmapSectors(innerStart, innerEnd);
            }
        }
        // Partial sectors at either end are zeroed in place, so the whole range reads as zeros.
        if (innerStart >= innerEnd) {
            zero(offset, length);
            return;
        }
        if (offset < innerStart) {
            zero(offset, innerStart - offset);
        }
        if (offset + length > innerEnd) {
            zero(innerEnd, offset + length - innerEnd);
        }
    }

    @Override
    public void flush() {
        // Nothing to do: every write and unmap returned only once the store had made it durable.
    }

    @Override
    public List<AllocationRun> allocation(final long offset, final long length) throws IOException {
        checkRange(offset, length);
        List<AllocationRun> runs = new ArrayList<>();
        if (length == 0) {
            return runs;
        }
        VolumeLayout volume = layout;
        long position = offset - offset % allocationUnit;
        long end = Math.min(offset + length, volume.sizeBytes());
        while (position < end) {
            long index = volume.extentIndex(position);
            long extentStart = index * volume.extentSize();
            long pieceEnd = Math.min(end, extentStart + volume.extentSize());
            int[] allocated = volume.thin() ? allocatedBlocks(index) : null;
            while (position < pieceEnd) {
                long runEnd = Math.min(alignUp(position + 1, allocationUnit), volume.sizeBytes());
                int block = Math.toIntExact((position - extentStart) / allocationUnit);
                boolean mapped = allocated == null || Arrays.binarySearch(allocated, block) >= 0;
                append(runs, position, runEnd - position, mapped);
                position = runEnd;
            }
        }
        return runs;
    }

    private static void append(final List<AllocationRun> runs, final long offset, final long length,
            final boolean mapped) {
        if (!runs.isEmpty()) {
            AllocationRun last = runs.getLast();
            if (last.mapped() == mapped && last.offset() + last.length() == offset) {
                runs.set(runs.size() - 1, new AllocationRun(last.offset(), last.length() + length, mapped));
                return;
            }
        }
        runs.add(new AllocationRun(offset, length, mapped));
    }

    private int[] allocatedBlocks(final long index) throws IOException {
        ResolvedExtent extent = extent(index, null);
        try {
            return extent.store().allocatedBlocks(extent.extentId());
        } catch (ExtentNotFoundException notYetWritten) {
            return new int[0];
        }
    }

    /** Reads the covering sectors of a partial-sector request, skipping whole sectors it overwrites. */
    private ByteBuffer readPartialSectors(final long start, final long end, final long offset, final int length)
            throws IOException {
        ByteBuffer merged = ByteBuffer.allocate(Math.toIntExact(end - start));
        if (offset != start) {
            readSectors(start, merged.slice(0, SECTOR));
        }
        long lastSector = end - SECTOR;
        if (offset + length != end && (lastSector != start || offset == start)) {
            readSectors(lastSector, merged.slice(Math.toIntExact(lastSector - start), SECTOR));
        }
        return merged;
    }

    private void zero(final long offset, final long length) throws IOException {
        write(offset, ByteBuffer.allocate(Math.toIntExact(length)));
    }

    /**
     * Reads into {@code target}; a heap buffer larger than an allocation unit is filled through a
     * lent aligned buffer, so the store reads each run of sectors that lie next to each other on the
     * device with one pread (into a heap buffer it reads block by block through its own pool).
     */
    private void readSectors(final long start, final ByteBuffer target) throws IOException {
        if (!target.isDirect() && target.remaining() > allocationUnit) {
            TransferBuffers.Lease staging = TransferBuffers.shared().tryLend(TransferBuffers.LARGEST);
            if (staging != null) {
                try {
                    readStaged(start, target, staging.buffer());
                    return;
                } finally {
                    staging.release();
                }
            }
        }
        readDirectly(start, target);
    }

    private void readStaged(final long start, final ByteBuffer target, final ByteBuffer staging) throws IOException {
        int total = target.remaining();
        for (int done = 0; done < total;) {
            int piece = Math.min(total - done, staging.capacity());
            ByteBuffer part = staging.clear().limit(piece);
            readDirectly(start + done, part);
            target.put(target.position() + done, part, 0, piece);
            done += piece;
        }
    }

    private void readDirectly(final long start, final ByteBuffer target) throws IOException {
        VolumeLayout volume = layout;
        long position = start;
        int done = 0;
        int total = target.remaining();
        while (done < total) {
            long index = volume.extentIndex(position);
            long within = position - index * volume.extentSize();
            int piece = (int) Math.min(total - done, volume.extentSize() - within);
            ByteBuffer slice = target.slice(target.position() + done, piece);
            readExtent(index, within, slice);
            done += piece;
            position += piece;
        }
    }

    private void readExtent(final long index, final long within, final ByteBuffer slice) throws IOException {
        ResolvedExtent extent = extent(index, null);
        for (int attempt = 0;; attempt++) {
            try {
                extent.store().read(extent.extentId(), within, slice.duplicate());
                return;
            } catch (ExtentNotFoundException notYetWritten) {
                // Thin provisioning: an extent no one wrote to was never created, and reads as zeros.
                slice.duplicate().put(ByteBuffer.allocate(slice.remaining()));
                return;
            } catch (StaleEpochException e) {
                extent = refresh(index, extent, attempt, e);
            } catch (ChecksumMismatchException e) {
                throw located(index * layout.extentSize(), e);
            }
        }
    }

    /** {@code failure} of a read of the extent at volume offset {@code extentStart}, naming a damaged sector. */
    private static IOException located(final long extentStart, final IOException failure) {
        return failure instanceof ChecksumMismatchException damaged
                ? new UnreadableDataException(extentStart + damaged.extentOffset(), damaged) : failure;
    }

    private void writeSectors(final long start, final ByteBuffer data) throws IOException {
        VolumeLayout volume = layout;
        long position = start;
        int done = 0;
        int total = data.remaining();
        while (done < total) {
            long index = volume.extentIndex(position);
            long within = position - index * volume.extentSize();
            int piece = (int) Math.min(total - done, volume.extentSize() - within);
            writeExtent(index, within, data.slice(data.position() + done, piece));
            done += piece;
            position += piece;
        }
    }

    private void writeExtent(final long index, final long within, final ByteBuffer slice) throws IOException {
        ResolvedExtent extent = extent(index, null);
        for (int attempt = 0;; attempt++) {
            try {
                extent.store().write(extent.extentId(), extent.epoch(), within, slice.duplicate());
                return;
            } catch (ExtentNotFoundException firstWrite) {
                create(extent);
            } catch (StaleEpochException e) {
                extent = refresh(index, extent, attempt, e);
            }
            if (attempt > 2) {
                throw new IOException("volume " + layout.volumeId() + " extent " + index + " (" + extent.where()
                        + "): write did not succeed after creating the extent");
            }
        }
    }

    private void unmapSectors(final long start, final long end) throws IOException {
        VolumeLayout volume = layout;
        long position = start;
        while (position < end) {
            long index = volume.extentIndex(position);
            long within = position - index * volume.extentSize();
            long piece = Math.min(end - position, volume.extentSize() - within);
            unmapExtent(index, within, piece);
            position += piece;
        }
    }

    private void unmapExtent(final long index, final long within, final long length) throws IOException {
        ResolvedExtent extent = extent(index, null);
        for (int attempt = 0;; attempt++) {
            try {
                extent.store().unmap(extent.extentId(), extent.epoch(), within, length);
                return;
            } catch (ExtentNotFoundException neverWritten) {
                return; // nothing allocated, and it reads as zeros already
            } catch (StaleEpochException e) {
                extent = refresh(index, extent, attempt, e);
            }
        }
    }

    /**
     * Creates the extent once however many writers find it missing: the first creates it and the
     * others wait for that instead of each asking the store (which would answer all but one with
     * ExtentExistsException once the extent is usable).
     */
    private void create(final ResolvedExtent extent) throws IOException {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> running = creations.putIfAbsent(extent.extentId(), mine);
        if (running != null) {
            awaitCreation(running, extent);
            return;
        }
        try {
            extent.store().create(extent.extentId(), extent.epoch());
            LOG.info("volume {}: created extent {} on {} (first write)", layout.volumeId(), extent.extentId(),
                    extent.where());
            mine.complete(null);
        } catch (ExtentExistsException existing) {
            mine.complete(null); // created before this client asked (e.g. by an earlier run of this node)
        } catch (IOException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            creations.remove(extent.extentId(), mine);
        }
    }

    private void awaitCreation(final CompletableFuture<Void> running, final ResolvedExtent extent)
            throws IOException {
        try {
            running.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("volume " + layout.volumeId() + ": interrupted while extent "
                    + extent.extentId() + " was being created");
        } catch (ExecutionException e) {
            throw new IOException("volume " + layout.volumeId() + ": creating extent " + extent.extentId() + " on "
                    + extent.where() + " failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private ResolvedExtent extent(final long index, final ResolvedExtent stale) throws IOException {
        ResolvedExtent known = extents.get(index);
        if (known != null && known != stale) {
            return known;
        }
        ResolvedExtent resolved = resolver.resolve(layout, index, stale);
        extents.put(index, resolved);
        return resolved;
    }

    private ResolvedExtent refresh(final long index, final ResolvedExtent stale, final int attempt,
            final StaleEpochException cause) throws IOException {
        if (attempt >= 2) {
            throw cause;
        }
        LOG.info("volume {} extent {} on {}: {}; asking the meta server again", layout.volumeId(), index,
                stale.where(), cause.getMessage());
        return extent(index, stale);
    }

    private void checkRange(final long offset, final long length) {
        long size = layout.sizeBytes();
        if (offset < 0 || length < 0 || offset % LOGICAL_BLOCK != 0 || length % LOGICAL_BLOCK != 0
                || offset > size || length > size - offset) {
            throw new IllegalArgumentException("volume " + layout.volumeId() + ": range [" + offset + ", " + offset
                    + " + " + length + ") must be 512-byte aligned and inside " + size + " bytes");
        }
    }

    private static long alignDown(final long value) {
        return value - value % SECTOR;
    }

    private static long alignUp(final long value) {
        return alignUp(value, SECTOR);
    }

    private static long alignUp(final long value, final long unit) {
        return (value + unit - 1) / unit * unit;
    }
}
