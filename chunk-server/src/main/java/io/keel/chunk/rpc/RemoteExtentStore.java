package io.keel.chunk.rpc;

import io.keel.chunk.store.ExtentInfo;
import io.keel.chunk.store.ExtentStore;
import io.keel.chunk.store.StoreStats;
import io.keel.runtime.rpc.RpcClient;
import io.keel.runtime.rpc.RpcConfig;
import io.keel.runtime.rpc.RpcRemoteException;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.Deadline;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An {@link ExtentStore} served by an {@link ExtentStoreService} on another node, over one {@link RpcClient}.
 *
 * <pre>{@code
 * RpcClient client = new RpcClient(chunkServer, rpcConfig);
 * ExtentStore store = RemoteExtentStore.connect(client, rpcConfig, Duration.ofSeconds(2));
 * }</pre>
 *
 * <p>Failures of the remote store arrive as the exceptions the local store throws ({@code
 * ExtentNotFoundException}, {@code StaleEpochException} with its current epoch, {@code ChecksumMismatchException}
 * with device, offsets and CRCs, {@code StoreFullException}, {@link IllegalArgumentException} for a refused
 * range); transport failures are the RPC layer's own {@link IOException}s ({@code RpcTimeoutException},
 * {@code RpcConnectionException}): such a mutation may or may not have happened. {@link #stats()}, which cannot
 * throw an {@link IOException}, wraps them in an {@link UncheckedIOException}. An interrupted call throws
 * {@link InterruptedIOException} with the interrupt flag set again.
 *
 * <p>Every RPC call gets the timeout given at {@link #connect}. Reads and writes longer than {@link #maxIoBytes()}
 * are split into calls of at most that many bytes, cut at multiples of it inside the extent, and made one after
 * the other. A split write is not atomic (neither is a local write across blocks): when one part fails, the
 * parts before it stay written. It returns the version of its last part. Before splitting, the client checks the
 * range itself, so that a refused range writes nothing. The sizes come from one geometry call at
 * {@link #connect} and are cached. Safe for concurrent use.
 */
public final class RemoteExtentStore implements ExtentStore {

    /** Extents asked for per list page. */
    static final int DEFAULT_LIST_PAGE = 16 * 1024;

    private final RpcClient client;
    private final Clock clock;
    private final Duration callTimeout;
    private final int sectorSize;
    private final int blockSize;
    private final long extentSize;
    private final int maxIoBytes;
    private final int listPage;

    private RemoteExtentStore(final RpcClient client, final Clock clock, final Duration callTimeout,
            final ByteBuffer geometry, final int maxIoBytes, final int listPage) throws IOException {
        this.client = client;
        this.clock = clock;
        this.callTimeout = callTimeout;
        this.listPage = listPage;
        if (geometry.remaining() != ExtentStoreRpc.GEOMETRY_BYTES) {
            throw new IOException(client.peer() + " answered geometry with " + geometry.remaining()
                    + " bytes, not " + ExtentStoreRpc.GEOMETRY_BYTES);
        }
        int base = geometry.position();
        int version = geometry.getShort(base) & 0xFFFF;
        if (version != ExtentStoreRpc.PROTOCOL_VERSION) {
            throw new IOException(client.peer() + " speaks ExtentStore RPC version " + version + "; this client "
                    + "speaks " + ExtentStoreRpc.PROTOCOL_VERSION);
        }
        this.sectorSize = geometry.getInt(base + 4);
        this.blockSize = geometry.getInt(base + 8);
        this.extentSize = geometry.getLong(base + 12);
        int serverMax = geometry.getInt(base + 20);
        if (sectorSize <= 0 || blockSize < sectorSize || blockSize % sectorSize != 0 || extentSize < blockSize
                || extentSize % blockSize != 0 || serverMax < sectorSize) {
            throw new IOException(client.peer() + " reported an impossible geometry: sector " + sectorSize
                    + ", block " + blockSize + ", extent " + extentSize + ", max I/O " + serverMax);
        }
        this.maxIoBytes = chunkSize(Math.min(maxIoBytes, serverMax), sectorSize, blockSize);
    }

    /**
     * A store calling through {@code client}, which must have been built with {@code config}, with reads and
     * writes of at most {@link ExtentStoreService#DEFAULT_MAX_IO_BYTES} per call. Makes the geometry call.
     */
    public static RemoteExtentStore connect(final RpcClient client, final RpcConfig config,
            final Duration callTimeout) throws IOException {
        return connect(client, config, callTimeout, ExtentStoreService.DEFAULT_MAX_IO_BYTES);
    }

    /**
     * A store calling through {@code client}, which must have been built with {@code config}; every call gets
     * {@code callTimeout}. Reads and writes are split into calls of at most {@code maxIoBytes} (further limited
     * by the server's maximum and by {@code config.maxPayloadBytes()}). Makes the geometry call.
     */
    public static RemoteExtentStore connect(final RpcClient client, final RpcConfig config,
            final Duration callTimeout, final int maxIoBytes) throws IOException {
        return connect(client, config, callTimeout, maxIoBytes, DEFAULT_LIST_PAGE);
    }

    static RemoteExtentStore connect(final RpcClient client, final RpcConfig config, final Duration callTimeout,
            final int maxIoBytes, final int listPage) throws IOException {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(callTimeout, "callTimeout");
        if (callTimeout.isNegative() || callTimeout.isZero()) {
            throw new IllegalArgumentException("callTimeout must be positive, was " + callTimeout);
        }
        if (maxIoBytes <= 0 || listPage <= 0) {
            throw new IllegalArgumentException("maxIoBytes and listPage must be positive");
        }
        int fits = Math.min(maxIoBytes, config.maxPayloadBytes() - ExtentStoreRpc.WRITE_HEADER_BYTES);
        ByteBuffer geometry = call(client, config.clock(), callTimeout, ExtentStoreRpc.GEOMETRY,
                ByteBuffer.allocate(0));
        return new RemoteExtentStore(client, config.clock(), callTimeout, geometry, fits, listPage);
    }

    /** The largest multiple of the block size (or, below one block, of the sector size) not above {@code max}. */
    private static int chunkSize(final int max, final int sector, final int block) {
        int chunk = max >= block ? max - max % block : max - max % sector;
        if (chunk < sector) {
            throw new IllegalArgumentException("the largest call (" + max + " bytes) cannot carry one sector of "
                    + sector + " bytes");
        }
        return chunk;
    }

    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long extentSize() {
        return extentSize;
    }

    /** The largest read or write sent in one call; longer ones are split. */
    public int maxIoBytes() {
        return maxIoBytes;
    }

    @Override
    public void create(final long extentId, final long epoch) throws IOException {
        call(ExtentStoreRpc.CREATE, ByteBuffer.allocate(ExtentStoreRpc.ID_EPOCH_BYTES).putLong(extentId)
                .putLong(epoch).flip());
    }

    @Override
    public void delete(final long extentId, final long epoch) throws IOException {
        call(ExtentStoreRpc.DELETE, ByteBuffer.allocate(ExtentStoreRpc.ID_EPOCH_BYTES).putLong(extentId)
                .putLong(epoch).flip());
    }

    @Override
    public void advanceEpoch(final long extentId, final long epoch) throws IOException {
        call(ExtentStoreRpc.ADVANCE_EPOCH, ByteBuffer.allocate(ExtentStoreRpc.ID_EPOCH_BYTES).putLong(extentId)
                .putLong(epoch).flip());
    }

    /** Writes {@code data} in calls of at most {@link #maxIoBytes()}; does not move {@code data}'s position. */
    @Override
    public long write(final long extentId, final long epoch, final long offset, final ByteBuffer data)
            throws IOException {
        int length = data.remaining();
        if (length <= maxIoBytes) {
            return writeOnce(extentId, epoch, offset, data.slice());
        }
        checkRange(offset, length);
        long version = 0;
        int done = 0;
        while (done < length) {
            long at = offset + done;
            int part = Math.min(length - done, maxIoBytes - Math.floorMod(at, maxIoBytes));
            version = writeOnce(extentId, epoch, at, data.slice(data.position() + done, part));
            done += part;
        }
        return version;
    }

    private long writeOnce(final long extentId, final long epoch, final long offset, final ByteBuffer data)
            throws IOException {
        ByteBuffer header = ByteBuffer.allocate(ExtentStoreRpc.WRITE_HEADER_BYTES).putLong(extentId).putLong(epoch)
                .putLong(offset).putInt(data.remaining()).flip();
        return version(ExtentStoreRpc.WRITE, call(ExtentStoreRpc.WRITE, new ByteBuffer[] {header, data}));
    }

    /** Reads in calls of at most {@link #maxIoBytes()}; moves {@code target}'s position to its limit. */
    @Override
    public void read(final long extentId, final long offset, final ByteBuffer target) throws IOException {
        int length = target.remaining();
        if (length > maxIoBytes) {
            checkRange(offset, length);
        }
        int done = 0;
        do {
            long at = offset + done;
            int part = length <= maxIoBytes ? length
                    : Math.min(length - done, maxIoBytes - Math.floorMod(at, maxIoBytes));
            ByteBuffer request = ByteBuffer.allocate(ExtentStoreRpc.READ_REQUEST_BYTES).putLong(extentId)
                    .putLong(at).putInt(part).flip();
            ByteBuffer response = call(ExtentStoreRpc.READ, request);
            if (response.remaining() != part) {
                throw malformed(ExtentStoreRpc.READ, "read of " + part + " bytes answered with "
                        + response.remaining());
            }
            target.put(target.position() + done, response, response.position(), part);
            done += part;
        } while (done < length);
        target.position(target.limit());
    }

    @Override
    public long unmap(final long extentId, final long epoch, final long offset, final long length)
            throws IOException {
        ByteBuffer request = ByteBuffer.allocate(ExtentStoreRpc.UNMAP_REQUEST_BYTES).putLong(extentId)
                .putLong(epoch).putLong(offset).putLong(length).flip();
        return version(ExtentStoreRpc.UNMAP, call(ExtentStoreRpc.UNMAP, request));
    }

    @Override
    public void snapshot(final long parentId, final long childId, final long epoch) throws IOException {
        call(ExtentStoreRpc.SNAPSHOT, ByteBuffer.allocate(ExtentStoreRpc.SNAPSHOT_REQUEST_BYTES).putLong(parentId)
                .putLong(childId).putLong(epoch).flip());
    }

    @Override
    public ExtentInfo info(final long extentId) throws IOException {
        ByteBuffer response = call(ExtentStoreRpc.INFO, ByteBuffer.allocate(ExtentStoreRpc.ID_BYTES)
                .putLong(0, extentId));
        if (response.remaining() != ExtentStoreRpc.INFO_BYTES) {
            throw malformed(ExtentStoreRpc.INFO, response.remaining() + " bytes");
        }
        return getInfo(response);
    }

    /**
     * Every extent, in unsigned id order, fetched in pages. Not one snapshot: an extent created or deleted
     * while the pages are fetched may or may not be listed.
     */
    @Override
    public List<ExtentInfo> list() throws IOException {
        List<ExtentInfo> all = new ArrayList<>();
        boolean after = false;
        long afterId = 0;
        while (true) {
            ByteBuffer request = ByteBuffer.allocate(ExtentStoreRpc.LIST_REQUEST_BYTES)
                    .put((byte) (after ? ExtentStoreRpc.LIST_AFTER : 0)).putLong(afterId).putInt(listPage).flip();
            ByteBuffer response = call(ExtentStoreRpc.LIST, request);
            if (response.remaining() < ExtentStoreRpc.LIST_HEADER_BYTES) {
                throw malformed(ExtentStoreRpc.LIST, response.remaining() + " bytes");
            }
            int more = response.get();
            long count = Integer.toUnsignedLong(response.getInt());
            if ((more & ~1) != 0 || response.remaining() != count * ExtentStoreRpc.INFO_BYTES
                    || more == 1 && count == 0) {
                throw malformed(ExtentStoreRpc.LIST, "flag " + more + ", " + count + " entries in "
                        + response.remaining() + " bytes");
            }
            for (long i = 0; i < count; i++) {
                ExtentInfo info = getInfo(response);
                if (after && Long.compareUnsigned(info.extentId(), afterId) <= 0) {
                    throw malformed(ExtentStoreRpc.LIST, "extent ids out of order");
                }
                all.add(info);
                after = true;
                afterId = info.extentId();
            }
            if (more == 0) {
                return all;
            }
        }
    }

    @Override
    public int[] allocatedBlocks(final long extentId) throws IOException {
        ByteBuffer response = call(ExtentStoreRpc.ALLOCATED_BLOCKS, ByteBuffer.allocate(ExtentStoreRpc.ID_BYTES)
                .putLong(0, extentId));
        if (response.remaining() < Integer.BYTES) {
            throw malformed(ExtentStoreRpc.ALLOCATED_BLOCKS, response.remaining() + " bytes");
        }
        long count = Integer.toUnsignedLong(response.getInt());
        if (response.remaining() != count * Integer.BYTES) {
            throw malformed(ExtentStoreRpc.ALLOCATED_BLOCKS, count + " blocks in " + response.remaining()
                    + " bytes");
        }
        int[] blocks = new int[(int) count];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = response.getInt();
        }
        return blocks;
    }

    /** The remote store's stats; a failed call throws {@link UncheckedIOException}. */
    @Override
    public StoreStats stats() {
        try {
            ByteBuffer response = call(ExtentStoreRpc.STATS, ByteBuffer.allocate(0));
            if (response.remaining() != ExtentStoreRpc.STATS_BYTES) {
                throw malformed(ExtentStoreRpc.STATS, response.remaining() + " bytes");
            }
            return new StoreStats(response.getLong(), response.getLong(), response.getLong(), response.getInt(),
                    response.getInt(), response.getLong(), response.getLong(), response.getLong());
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }

    private static ExtentInfo getInfo(final ByteBuffer response) {
        return new ExtentInfo(response.getLong(), response.getLong(), response.getLong(), response.getInt());
    }

    private long version(final int method, final ByteBuffer response) throws IOException {
        if (response.remaining() != Long.BYTES) {
            throw malformed(method, response.remaining() + " bytes instead of a version");
        }
        return response.getLong(response.position());
    }

    /** The checks of the local store, made before a split so that a refused range writes nothing. */
    private void checkRange(final long offset, final long length) {
        if (offset < 0 || length <= 0 || offset % sectorSize != 0 || length % sectorSize != 0
                || offset > extentSize - length) {
            throw new IllegalArgumentException("range [" + offset + ", " + offset + " + " + length
                    + ") must be non-empty, " + sectorSize + "-byte aligned and inside an extent of " + extentSize
                    + " bytes");
        }
    }

    private IOException malformed(final int method, final String what) {
        return new IOException(client.peer() + " answered " + ExtentStoreRpc.methodName(method)
                + " with a malformed response: " + what);
    }

    private ByteBuffer call(final int method, final ByteBuffer request) throws IOException {
        return call(client, clock, callTimeout, method, request);
    }

    private ByteBuffer call(final int method, final ByteBuffer[] request) throws IOException {
        try {
            return client.call(method, request, Deadline.after(clock, callTimeout));
        } catch (RpcRemoteException remote) {
            throw rethrow(remote);
        } catch (InterruptedException interrupted) {
            throw interrupted(method);
        }
    }

    private static ByteBuffer call(final RpcClient client, final Clock clock, final Duration timeout,
            final int method, final ByteBuffer request) throws IOException {
        try {
            return client.call(method, request, Deadline.after(clock, timeout));
        } catch (RpcRemoteException remote) {
            throw rethrow(remote);
        } catch (InterruptedException interrupted) {
            throw interrupted(method);
        }
    }

    private static IOException rethrow(final RpcRemoteException remote) {
        Exception local = ErrorCodec.fromStatus(remote);
        if (local instanceof RuntimeException unchecked) {
            throw unchecked;
        }
        return (IOException) local;
    }

    private static InterruptedIOException interrupted(final int method) {
        Thread.currentThread().interrupt();
        return new InterruptedIOException("interrupted during " + ExtentStoreRpc.methodName(method));
    }
}
