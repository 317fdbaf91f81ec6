package io.keel.chunk.rpc;

import io.keel.chunk.store.ExtentInfo;
import io.keel.chunk.store.ExtentStore;
import io.keel.chunk.store.StoreStats;
import io.keel.runtime.rpc.RpcServer;
import io.keel.runtime.rpc.RpcStatusException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Serves one in-process {@link ExtentStore} on an {@link RpcServer}, one method id per operation (see
 * {@link ExtentStoreRpc} and {@code docs/extent-store-rpc.md}).
 *
 * <pre>{@code
 * new ExtentStoreService(store).registerOn(server);
 * }</pre>
 *
 * <p>Requests are decoded strictly: a payload whose length does not match its method's layout is answered
 * with {@link ExtentStoreRpc#BAD_REQUEST}, a read or write longer than {@link #maxIoBytes()} with
 * {@link ExtentStoreRpc#TOO_LARGE}. Alignment and range checks are the store's; its exceptions become their
 * own statuses. Every failure is an error response; none closes the connection.
 */
public final class ExtentStoreService {

    /** The default largest read or write one call may carry: 1 MiB. */
    public static final int DEFAULT_MAX_IO_BYTES = 1 << 20;
    /** Direct response buffers from this size on: the RPC layer writes them without a copy. */
    private static final int DIRECT_RESPONSE_BYTES = 64 * 1024;

    private final ExtentStore store;
    private final int maxIoBytes;

    /** Serves {@code store} with reads and writes of at most {@link #DEFAULT_MAX_IO_BYTES} per call. */
    public ExtentStoreService(final ExtentStore store) {
        this(store, DEFAULT_MAX_IO_BYTES);
    }

    /**
     * Serves {@code store} with reads and writes of at most {@code maxIoBytes} per call, a positive multiple
     * of the store's sector size. The server's {@code maxPayloadBytes} must be at least {@code maxIoBytes + 28}
     * (the write header), or the largest writes cannot be sent.
     */
    public ExtentStoreService(final ExtentStore store, final int maxIoBytes) {
        this.store = Objects.requireNonNull(store, "store");
        int sector = store.sectorSize();
        if (maxIoBytes < sector || maxIoBytes % sector != 0) {
            throw new IllegalArgumentException("maxIoBytes must be a positive multiple of the sector size "
                    + sector + ", not " + maxIoBytes);
        }
        this.maxIoBytes = maxIoBytes;
    }

    /** The largest read or write one call may carry. */
    public int maxIoBytes() {
        return maxIoBytes;
    }

    /**
     * Registers every method of the protocol on {@code server}.
     *
     * @throws IllegalStateException when one of the method ids already has a handler there
     */
    public void registerOn(final RpcServer server) {
        for (int method : ExtentStoreRpc.methods()) {
            server.register(method, request -> handle(method, request));
        }
    }

    /** Runs one request; every failure becomes an {@link RpcStatusException}. */
    ByteBuffer handle(final int method, final ByteBuffer request) throws RpcStatusException {
        try {
            // A slice: the absolute offsets below count from the payload's first byte.
            return dispatch(method, request.slice());
        } catch (Exception failure) {
            throw ErrorCodec.toStatus(failure);
        }
    }

    private ByteBuffer dispatch(final int method, final ByteBuffer request) throws Exception {
        return switch (method) {
            case ExtentStoreRpc.GEOMETRY -> geometry(request);
            case ExtentStoreRpc.CREATE -> {
                expect(method, request, ExtentStoreRpc.ID_EPOCH_BYTES);
                store.create(request.getLong(0), request.getLong(8));
                yield null;
            }
            case ExtentStoreRpc.DELETE -> {
                expect(method, request, ExtentStoreRpc.ID_EPOCH_BYTES);
                store.delete(request.getLong(0), request.getLong(8));
                yield null;
            }
            case ExtentStoreRpc.ADVANCE_EPOCH -> {
                expect(method, request, ExtentStoreRpc.ID_EPOCH_BYTES);
                store.advanceEpoch(request.getLong(0), request.getLong(8));
                yield null;
            }
            case ExtentStoreRpc.WRITE -> write(request);
            case ExtentStoreRpc.READ -> read(request);
            case ExtentStoreRpc.UNMAP -> {
                expect(method, request, ExtentStoreRpc.UNMAP_REQUEST_BYTES);
                checkNoOverflow(request.getLong(16), request.getLong(24));
                long version = store.unmap(request.getLong(0), request.getLong(8), request.getLong(16),
                        request.getLong(24));
                yield ByteBuffer.allocate(Long.BYTES).putLong(0, version);
            }
            case ExtentStoreRpc.SNAPSHOT -> {
                expect(method, request, ExtentStoreRpc.SNAPSHOT_REQUEST_BYTES);
                store.snapshot(request.getLong(0), request.getLong(8), request.getLong(16));
                yield null;
            }
            case ExtentStoreRpc.INFO -> {
                expect(method, request, ExtentStoreRpc.ID_BYTES);
                ExtentInfo info = store.info(request.getLong(0));
                yield putInfo(ByteBuffer.allocate(ExtentStoreRpc.INFO_BYTES), info).flip();
            }
            case ExtentStoreRpc.LIST -> list(request);
            case ExtentStoreRpc.ALLOCATED_BLOCKS -> {
                expect(method, request, ExtentStoreRpc.ID_BYTES);
                int[] blocks = store.allocatedBlocks(request.getLong(0));
                ByteBuffer response = ByteBuffer.allocate(Integer.BYTES + Integer.BYTES * blocks.length);
                response.putInt(blocks.length);
                for (int block : blocks) {
                    response.putInt(block);
                }
                yield response.flip();
            }
            case ExtentStoreRpc.STATS -> stats(request);
            default -> throw new RpcStatusException(ExtentStoreRpc.BAD_REQUEST, "unknown method " + method);
        };
    }

    private ByteBuffer geometry(final ByteBuffer request) throws RpcStatusException {
        expect(ExtentStoreRpc.GEOMETRY, request, 0);
        ByteBuffer response = ByteBuffer.allocate(ExtentStoreRpc.GEOMETRY_BYTES);
        response.putShort((short) ExtentStoreRpc.PROTOCOL_VERSION).putShort((short) 0)
                .putInt(store.sectorSize()).putInt(store.blockSize()).putLong(store.extentSize()).putInt(maxIoBytes);
        return response.flip();
    }

    private ByteBuffer write(final ByteBuffer request) throws Exception {
        if (request.remaining() < ExtentStoreRpc.WRITE_HEADER_BYTES) {
            throw badLength(ExtentStoreRpc.WRITE, request, "at least " + ExtentStoreRpc.WRITE_HEADER_BYTES);
        }
        int base = request.position();
        long length = Integer.toUnsignedLong(request.getInt(base + 24));
        if (length > maxIoBytes) {
            throw tooLarge("write", length);
        }
        if (request.remaining() - ExtentStoreRpc.WRITE_HEADER_BYTES != length) {
            throw badLength(ExtentStoreRpc.WRITE, request, (ExtentStoreRpc.WRITE_HEADER_BYTES + length)
                    + " (28 + the declared data length " + length + ")");
        }
        checkNoOverflow(request.getLong(base + 16), length);
        ByteBuffer data = request.slice(base + ExtentStoreRpc.WRITE_HEADER_BYTES, (int) length);
        long version = store.write(request.getLong(base), request.getLong(base + 8), request.getLong(base + 16),
                data);
        return ByteBuffer.allocate(Long.BYTES).putLong(0, version);
    }

    private ByteBuffer read(final ByteBuffer request) throws Exception {
        expect(ExtentStoreRpc.READ, request, ExtentStoreRpc.READ_REQUEST_BYTES);
        int base = request.position();
        long length = Integer.toUnsignedLong(request.getInt(base + 16));
        if (length > maxIoBytes) {
            throw tooLarge("read", length);
        }
        checkNoOverflow(request.getLong(base + 8), length);
        ByteBuffer target = length >= DIRECT_RESPONSE_BYTES ? ByteBuffer.allocateDirect((int) length)
                : ByteBuffer.allocate((int) length);
        store.read(request.getLong(base), request.getLong(base + 8), target);
        return target.clear();
    }

    private ByteBuffer list(final ByteBuffer request) throws Exception {
        expect(ExtentStoreRpc.LIST, request, ExtentStoreRpc.LIST_REQUEST_BYTES);
        int base = request.position();
        int flags = request.get(base) & 0xFF;
        long afterId = request.getLong(base + 1);
        long maxEntries = Integer.toUnsignedLong(request.getInt(base + 9));
        if ((flags & ~ExtentStoreRpc.LIST_AFTER) != 0) {
            throw new RpcStatusException(ExtentStoreRpc.BAD_REQUEST, "list: unknown flags 0x"
                    + Integer.toHexString(flags));
        }
        if (maxEntries == 0) {
            throw new RpcStatusException(ExtentStoreRpc.BAD_REQUEST, "list: maxEntries must be at least 1");
        }
        boolean after = (flags & ExtentStoreRpc.LIST_AFTER) != 0;
        // A page never exceeds the I/O maximum, whatever the client asks for.
        int pageLimit = (int) Math.min(maxEntries, Math.max(1,
                (maxIoBytes - ExtentStoreRpc.LIST_HEADER_BYTES) / ExtentStoreRpc.INFO_BYTES));
        List<ExtentInfo> page = new ArrayList<>();
        for (ExtentInfo info : store.list()) {
            if (!after || Long.compareUnsigned(info.extentId(), afterId) > 0) {
                page.add(info);
            }
        }
        page.sort((a, b) -> Long.compareUnsigned(a.extentId(), b.extentId()));
        boolean more = page.size() > pageLimit;
        List<ExtentInfo> sent = more ? page.subList(0, pageLimit) : page;
        ByteBuffer response = ByteBuffer.allocate(ExtentStoreRpc.LIST_HEADER_BYTES
                + ExtentStoreRpc.INFO_BYTES * sent.size());
        response.put((byte) (more ? 1 : 0)).putInt(sent.size());
        for (ExtentInfo info : sent) {
            putInfo(response, info);
        }
        return response.flip();
    }

    private ByteBuffer stats(final ByteBuffer request) throws RpcStatusException {
        expect(ExtentStoreRpc.STATS, request, 0);
        StoreStats stats = store.stats();
        ByteBuffer response = ByteBuffer.allocate(ExtentStoreRpc.STATS_BYTES);
        response.putLong(stats.totalBlocks()).putLong(stats.freeBlocks()).putLong(stats.releasingBlocks())
                .putInt(stats.blockSize()).putInt(stats.extents()).putLong(stats.dirtySectors())
                .putLong(stats.checkpoints()).putLong(stats.checksumErrors());
        return response.flip();
    }

    static ByteBuffer putInfo(final ByteBuffer target, final ExtentInfo info) {
        return target.putLong(info.extentId()).putLong(info.epoch()).putLong(info.version())
                .putInt(info.allocatedBlocks());
    }

    /**
     * Refuses a range whose end overflows a long. The store's own range check computes {@code offset + length}
     * and lets such an unmap through (it answers with a version and changes nothing); a request off the network
     * must not reach it.
     */
    private static void checkNoOverflow(final long offset, final long length) {
        if (offset >= 0 && length >= 0 && offset + length < 0) {
            throw new IllegalArgumentException("offset + length overflows: " + offset + " + " + length);
        }
    }

    private static void expect(final int method, final ByteBuffer request, final int bytes)
            throws RpcStatusException {
        if (request.remaining() != bytes) {
            throw badLength(method, request, String.valueOf(bytes));
        }
    }

    private static RpcStatusException badLength(final int method, final ByteBuffer request, final String expected) {
        return new RpcStatusException(ExtentStoreRpc.BAD_REQUEST, ExtentStoreRpc.methodName(method)
                + ": the request must have " + expected + " bytes, it has " + request.remaining());
    }

    private RpcStatusException tooLarge(final String what, final long length) {
        return new RpcStatusException(ExtentStoreRpc.TOO_LARGE, what + " of " + length
                + " bytes exceeds this server's maximum of " + maxIoBytes + " bytes per call");
    }
}
