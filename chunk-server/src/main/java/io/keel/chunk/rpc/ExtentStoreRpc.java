package io.keel.chunk.rpc;

/**
 * The contract of the ExtentStore RPC protocol (see {@code docs/extent-store-rpc.md}): method ids, status codes
 * and fixed payload sizes, shared by {@link ExtentStoreService} and {@link RemoteExtentStore}.
 */
public final class ExtentStoreRpc {

    /** The protocol version the geometry call reports; a client refuses any other. */
    public static final int PROTOCOL_VERSION = 1;

    /** Geometry: sizes, protocol version and the server's largest read or write. */
    public static final int GEOMETRY = 0x0100;
    /** {@code create(extentId, epoch)}. */
    public static final int CREATE = 0x0101;
    /** {@code delete(extentId, epoch)}. */
    public static final int DELETE = 0x0102;
    /** {@code advanceEpoch(extentId, epoch)}. */
    public static final int ADVANCE_EPOCH = 0x0103;
    /** {@code write(extentId, epoch, offset, data)}. */
    public static final int WRITE = 0x0104;
    /** {@code read(extentId, offset, length)}. */
    public static final int READ = 0x0105;
    /** {@code unmap(extentId, epoch, offset, length)}. */
    public static final int UNMAP = 0x0106;
    /** {@code snapshot(parentId, childId, epoch)}. */
    public static final int SNAPSHOT = 0x0107;
    /** {@code info(extentId)}. */
    public static final int INFO = 0x0108;
    /** One page of {@code list()}, in unsigned extent id order. */
    public static final int LIST = 0x0109;
    /** {@code allocatedBlocks(extentId)}. */
    public static final int ALLOCATED_BLOCKS = 0x010A;
    /** {@code stats()}. */
    public static final int STATS = 0x010B;

    /** The request payload does not have the layout of its method (length, field values). */
    public static final int BAD_REQUEST = 100;
    /** The store refused an argument (alignment, range): {@link IllegalArgumentException} on the client. */
    public static final int BAD_ARGUMENT = 101;
    /** A read or write longer than the server's maximum I/O size. */
    public static final int TOO_LARGE = 102;
    /** {@link io.keel.chunk.store.ExtentNotFoundException}. */
    public static final int EXTENT_NOT_FOUND = 110;
    /** {@link io.keel.chunk.store.ExtentExistsException}. */
    public static final int EXTENT_EXISTS = 111;
    /** {@link io.keel.chunk.store.StaleEpochException}. */
    public static final int STALE_EPOCH = 112;
    /** {@link io.keel.chunk.store.ChecksumMismatchException}. */
    public static final int CHECKSUM_MISMATCH = 113;
    /** {@link io.keel.chunk.store.StoreFullException}. */
    public static final int STORE_FULL = 114;
    /** Any other {@link java.io.IOException} of the store. */
    public static final int IO_ERROR = 120;
    /** Any other runtime exception of the store (a bug): {@link IllegalStateException} on the client. */
    public static final int INTERNAL = 121;

    /** Bytes of the geometry response. */
    static final int GEOMETRY_BYTES = 24;
    /** Bytes of the write request before its data. */
    static final int WRITE_HEADER_BYTES = 28;
    /** Bytes of the read request. */
    static final int READ_REQUEST_BYTES = 20;
    /** Bytes of the unmap request. */
    static final int UNMAP_REQUEST_BYTES = 32;
    /** Bytes of an (extent id, epoch) request: create, delete, advance epoch. */
    static final int ID_EPOCH_BYTES = 16;
    /** Bytes of the snapshot request. */
    static final int SNAPSHOT_REQUEST_BYTES = 24;
    /** Bytes of a request made of one extent id: info, allocated blocks. */
    static final int ID_BYTES = 8;
    /** Bytes of the list request. */
    static final int LIST_REQUEST_BYTES = 13;
    /** Bytes of the list response before its entries. */
    static final int LIST_HEADER_BYTES = 5;
    /** Bytes of one encoded {@link io.keel.chunk.store.ExtentInfo}. */
    static final int INFO_BYTES = 28;
    /** Bytes of the stats response. */
    static final int STATS_BYTES = 56;
    /** List request flag: {@code afterId} holds a cursor (otherwise the listing starts at the first extent). */
    static final int LIST_AFTER = 1;

    private ExtentStoreRpc() {
    }

    /** A readable name of {@code method}, for messages. */
    public static String methodName(final int method) {
        return switch (method) {
            case GEOMETRY -> "geometry";
            case CREATE -> "create";
            case DELETE -> "delete";
            case ADVANCE_EPOCH -> "advanceEpoch";
            case WRITE -> "write";
            case READ -> "read";
            case UNMAP -> "unmap";
            case SNAPSHOT -> "snapshot";
            case INFO -> "info";
            case LIST -> "list";
            case ALLOCATED_BLOCKS -> "allocatedBlocks";
            case STATS -> "stats";
            default -> "method 0x" + Integer.toHexString(method);
        };
    }

    /** Every method id of the protocol, ascending. */
    static int[] methods() {
        return new int[] {GEOMETRY, CREATE, DELETE, ADVANCE_EPOCH, WRITE, READ, UNMAP, SNAPSHOT, INFO, LIST,
            ALLOCATED_BLOCKS, STATS};
    }
}
