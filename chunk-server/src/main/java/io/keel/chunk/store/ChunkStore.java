package io.keel.chunk.store;

import com.codahale.metrics.Gauge;
import io.keel.chunk.device.AlignedBufferPool;
import io.keel.chunk.device.BlockDevice;
import io.keel.chunk.device.DeviceFormatter;
import io.keel.chunk.device.DeviceIdentity;
import io.keel.chunk.device.DeviceLayout;
import io.keel.chunk.device.DeviceOpener;
import io.keel.chunk.device.DeviceRole;
import io.keel.chunk.device.LayoutOptions;
import io.keel.chunk.device.OpenedDevice;
import io.keel.runtime.time.SystemClock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chunk server's store on one data device: formats and opens the device, runs one
 * {@link StoreWorker} per allocation group, routes every extent to the worker that owns it
 * (hashed at creation; a snapshot lives with its parent), and runs the scrubber. This is the
 * in-process {@link ExtentStore}; {@code ExtentStoreService} offers the same over the internal RPC.
 */
public final class ChunkStore implements ExtentStore, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkStore.class);

    private final BlockDevice device;
    private final DeviceLayout layout;
    private final StoreMetrics metrics;
    private final List<StoreWorker> workers;
    private final ConcurrentHashMap<Long, StoreWorker> owners = new ConcurrentHashMap<>();
    /** Extents being created: registered here before in {@link #owners}, removed once their worker has them. */
    private final ConcurrentHashMap<Long, CompletableFuture<Void>> creating = new ConcurrentHashMap<>();
    private final Scrubber scrubber;
    private final StoreOptions options;
    private final String name;
    private final UUID deviceId;
    /** When a client last read or wrote (not the scrubber), for the scrubber to step aside; 0: never. */
    private volatile long lastClientIoNanos;

    private ChunkStore(final BlockDevice device, final UUID deviceId, final DeviceLayout layout,
            final StoreMetrics metrics, final List<StoreWorker> workers, final StoreOptions options)
            throws IOException {
        this.device = device;
        this.deviceId = deviceId;
        this.layout = layout;
        this.metrics = metrics;
        this.workers = workers;
        for (StoreWorker worker : workers) {
            for (long id : worker.extentIds()) {
                owners.put(id, worker);
            }
        }
        this.scrubber = new Scrubber(this, options);
        this.options = options;
        this.name = workers.isEmpty() ? "chunk" : workers.get(0).storeName();
    }

    /**
     * Formats {@code device} as a data device with embedded journals and returns nothing: open it
     * next. Refuses a device that already belongs to a Keel cluster unless {@code force}.
     */
    public static void format(final BlockDevice device, final DeviceIdentity identity, final LayoutOptions options,
            final boolean force) throws IOException {
        new DeviceFormatter(SystemClock.INSTANCE).format(device, identity, DeviceRole.DATA, options, force);
        OpenedDevice opened = DeviceOpener.open(device, identity.clusterId(), identity.nodeId(), DeviceRole.DATA);
        DeviceLayout layout = opened.layout();
        for (int worker = 0; worker < layout.workers(); worker++) {
            StoreWorker.format(worker, device, layout, journalId(identity.deviceId(), worker));
        }
        device.flush();
        LOG.info("formatted chunk store on {}: {} workers, {} blocks of {} bytes, extents of {} bytes",
                device.path(), layout.workers(), layout.totalBlocks(), layout.blockSize(), layout.extentSize());
    }

    /**
     * Opens a formatted data device of this cluster and node, recovering every worker (newest
     * checkpoint plus journal replay). The store owns {@code device} from now on and closes it.
     */
    public static ChunkStore open(final BlockDevice device, final UUID clusterId, final UUID nodeId,
            final StoreOptions options) throws IOException {
        OpenedDevice opened = DeviceOpener.open(device, clusterId, nodeId, DeviceRole.DATA);
        DeviceLayout layout = opened.layout();
        UUID deviceId = opened.superblock().identity().deviceId();
        StoreMetrics metrics = new StoreMetrics(options.metrics(), "keel." + storeName(deviceId));
        AlignedBufferPool buffers = new AlignedBufferPool(layout.blockSize(), 256);
        List<StoreWorker> workers = new ArrayList<>();
        try {
            for (int index = 0; index < layout.workers(); index++) {
                workers.add(StoreWorker.open(storeName(deviceId), index, device, layout, journalId(deviceId, index),
                        options, metrics, buffers));
            }
            ChunkStore store = new ChunkStore(device, deviceId, layout, metrics, workers, options);
            store.registerGauges();
            store.scrubber.start();
            return store;
        } catch (IOException | RuntimeException e) {
            for (StoreWorker worker : workers) {
                try {
                    worker.close();
                } catch (IOException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw e;
        }
    }

    /** Names this store's threads and metrics: "chunk-" and the first 8 hex digits of the device id. */
    private static String storeName(final UUID deviceId) {
        return "chunk-" + deviceId.toString().substring(0, 8);
    }

    private static UUID journalId(final UUID deviceId, final int worker) {
        return new UUID(deviceId.getMostSignificantBits(), deviceId.getLeastSignificantBits() + worker + 1);
    }

    private void registerGauges() {
        if (options.metrics() == null) {
            return;
        }
        String prefix = "keel." + name;
        options.metrics().register(prefix + ".free_bytes", (Gauge<Long>) () -> stats().freeBytes());
        options.metrics().register(prefix + ".dirty_sectors", (Gauge<Long>) () -> stats().dirtySectors());
        options.metrics().register(prefix + ".device_reads_in_flight", (Gauge<Integer>) device::readsInFlight);
    }

    @Override
    public int sectorSize() {
        return layout.sectorSize();
    }

    @Override
    public int blockSize() {
        return layout.blockSize();
    }

    @Override
    public long extentSize() {
        return layout.extentSize();
    }

    /** The id of the device this store lives on, from its superblock. */
    public UUID deviceId() {
        return deviceId;
    }

    /** The device this store writes. */
    public BlockDevice device() {
        return device;
    }

    @Override
    public void create(final long extentId, final long epoch) throws IOException {
        StoreWorker worker = placeNewExtent(extentId);
        register(extentId, worker, () -> worker.create(extentId, epoch));
    }

    /**
     * The worker a new extent goes to: the one owning the fewest extents, then the one with the most
     * free blocks, then by the id's hash. A worker allocates blocks only from its own group, so
     * extents hashed to workers regardless of load could fill one group while others stay free (a
     * volume written from its start ran out of space at 41 % of the device). Counting extents
     * rather than free blocks also spreads extents created at the same moment, before any of them
     * holds a block. Routing needs no rule: owners are known (and rebuilt at open from the workers).
     */
    private StoreWorker placeNewExtent(final long extentId) {
        int[] owned = new int[workers.size()];
        for (StoreWorker owner : owners.values()) {
            owned[owner.index()]++;
        }
        StoreWorker best = null;
        long bestFree = -1;
        int hashed = Math.floorMod(Long.hashCode(extentId * 0x9E3779B97F4A7C15L), workers.size());
        for (int k = 0; k < workers.size(); k++) {
            StoreWorker candidate = workers.get((hashed + k) % workers.size());
            if (best != null && owned[candidate.index()] > owned[best.index()]) {
                continue;
            }
            long free;
            try {
                free = candidate.counters().freeBlocks();
            } catch (IOException e) {
                continue; // a failed worker takes no new extent
            }
            if (best == null || owned[candidate.index()] < owned[best.index()] || free > bestFree) {
                best = candidate;
                bestFree = free;
            }
        }
        // Every worker failed: the hashed one's create reports why.
        return best != null ? best : workers.get(hashed);
    }

    /**
     * Makes {@code worker} the owner of the new extent {@code extentId} while {@code creation}
     * creates it there. Until that returns, callers that find the owner wait for it (see
     * {@link #owner}), and a racing registration of the same id waits too and then reports the
     * extent as existing only if this one succeeded: an extent said to exist is usable at once.
     */
    private void register(final long extentId, final StoreWorker worker, final Creation creation)
            throws IOException {
        while (true) {
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> other = creating.putIfAbsent(extentId, mine);
            if (other != null) {
                other.join();
                continue;
            }
            try {
                if (owners.putIfAbsent(extentId, worker) != null) {
                    throw new ExtentExistsException(extentId);
                }
                try {
                    creation.run();
                } catch (IOException | RuntimeException e) {
                    owners.remove(extentId, worker);
                    throw e;
                }
                return;
            } finally {
                creating.remove(extentId, mine);
                mine.complete(null);
            }
        }
    }

    /** Creates an extent on its worker. */
    @FunctionalInterface
    private interface Creation {
        void run() throws IOException;
    }

    @Override
    public void delete(final long extentId, final long epoch) throws IOException {
        StoreWorker worker = owner(extentId);
        worker.delete(extentId, epoch);
        owners.remove(extentId, worker);
    }

    @Override
    public void advanceEpoch(final long extentId, final long epoch) throws IOException {
        owner(extentId).advanceEpoch(extentId, epoch);
    }

    @Override
    public long write(final long extentId, final long epoch, final long offset, final ByteBuffer data)
            throws IOException {
        checkRange(offset, data.remaining());
        noteClientIo();
        return owner(extentId).write(extentId, epoch, offset, data);
    }

    @Override
    public boolean startWrite(final long extentId, final long epoch, final long offset, final ByteBuffer data,
            final Consumer<IOException> done) throws IOException {
        checkRange(offset, data.remaining());
        noteClientIo();
        return owner(extentId).startWrite(extentId, epoch, offset, data, done);
    }

    @Override
    public void read(final long extentId, final long offset, final ByteBuffer target) throws IOException {
        checkRange(offset, target.remaining());
        if (!scrubber.isScrubberThread()) {
            noteClientIo();
        }
        owner(extentId).read(extentId, offset, target);
    }

    @Override
    public boolean startRead(final long extentId, final long offset, final ByteBuffer target,
            final Consumer<IOException> done) throws IOException {
        checkRange(offset, target.remaining());
        noteClientIo();
        return owner(extentId).startRead(extentId, offset, target, done);
    }

    @Override
    public long unmap(final long extentId, final long epoch, final long offset, final long length) throws IOException {
        checkRange(offset, length);
        return owner(extentId).unmap(extentId, epoch, offset, length);
    }

    @Override
    public void snapshot(final long parentId, final long childId, final long epoch) throws IOException {
        StoreWorker worker = owner(parentId);
        register(childId, worker, () -> worker.snapshot(parentId, childId, epoch));
    }

    @Override
    public ExtentInfo info(final long extentId) throws IOException {
        return owner(extentId).info(extentId);
    }

    @Override
    public List<ExtentInfo> list() throws IOException {
        List<ExtentInfo> all = new ArrayList<>();
        for (StoreWorker worker : workers) {
            all.addAll(worker.list());
        }
        return all;
    }

    @Override
    public int[] allocatedBlocks(final long extentId) throws IOException {
        return owner(extentId).allocatedBlocks(extentId);
    }

    @Override
    public StoreStats stats() {
        long free = 0;
        long dirty = 0;
        long total = 0;
        long releasing = 0;
        for (StoreWorker worker : workers) {
            try {
                StoreWorker.Counters counters = worker.counters();
                free += counters.freeBlocks();
                dirty += counters.dirtySectors();
                total += counters.totalBlocks();
                releasing += counters.releasingBlocks();
            } catch (IOException e) {
                LOG.debug("chunk worker {} did not report counters", worker.index(), e);
            }
        }
        return new StoreStats(total, free, releasing, layout.blockSize(), owners.size(), dirty, metrics.checkpoints(),
                metrics.checksumErrors());
    }

    /** The index of the worker that owns {@code extentId} (for diagnostics and tests). */
    int workerOf(final long extentId) throws IOException {
        return owner(extentId).index();
    }

    /** Notes client I/O now; stores the time at most once a millisecond, so busy stores do not share-write it. */
    private void noteClientIo() {
        long now = options.clock().nanoTime();
        if (now - lastClientIoNanos > 1_000_000L) {
            lastClientIoNanos = now;
        }
    }

    /** Nanoseconds since a client last read or wrote (scrubber reads do not count); MAX_VALUE if none has. */
    long nanosSinceClientIo() {
        long last = lastClientIoNanos;
        return last == 0 ? Long.MAX_VALUE : options.clock().nanoTime() - last;
    }

    /** Scrub progress and findings. */
    public Scrubber scrubber() {
        return scrubber;
    }

    private StoreWorker owner(final long extentId) throws ExtentNotFoundException {
        StoreWorker worker = owners.get(extentId);
        if (worker == null) {
            throw new ExtentNotFoundException(extentId);
        }
        // Registered as owner before its worker has it: wait for the creation, which may also fail.
        CompletableFuture<Void> pending = creating.get(extentId);
        if (pending != null) {
            pending.join();
            worker = owners.get(extentId);
            if (worker == null) {
                throw new ExtentNotFoundException(extentId);
            }
        }
        return worker;
    }

    private void checkRange(final long offset, final long length) {
        int sector = layout.sectorSize();
        if (offset < 0 || length <= 0 || offset % sector != 0 || length % sector != 0
                || offset > layout.extentSize() || length > layout.extentSize() - offset
                || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("range [" + offset + ", " + offset + " + " + length
                    + ") must be non-empty, " + sector + "-byte aligned and inside an extent of "
                    + layout.extentSize() + " bytes");
        }
    }

    /** Stops the scrubber, checkpoints every worker (so the next open replays nothing) and closes the device. */
    @Override
    public void close() throws IOException {
        scrubber.close();
        IOException error = null;
        for (StoreWorker worker : workers) {
            try {
                worker.close();
            } catch (IOException e) {
                if (error == null) {
                    error = e;
                } else {
                    error.addSuppressed(e);
                }
            }
        }
        device.close();
        if (options.metrics() != null) {
            // keel.<name>.*, keel.context.<name>-*, keel.journal.<name>-*: a reopened store registers them again.
            options.metrics().removeMatching((metric, value) -> metric.startsWith("keel." + name + ".")
                    || metric.contains("." + name + "-"));
        }
        if (error != null) {
            throw error;
        }
    }
}
