package io.keel.chunk.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a chunk server offers the access server and replication: extents of fixed size made of
 * thinly allocated blocks. Offsets and lengths are in bytes inside an extent and must be multiples
 * of {@link #sectorSize()}. A write or unmap returns only once it is durable. Mutations carry the
 * caller's epoch; one older than the extent's is refused with {@link StaleEpochException}.
 */
public interface ExtentStore {

    /** Bytes of the checksum and alignment unit (4096). */
    int sectorSize();

    /** Bytes of the allocation unit. */
    int blockSize();

    /** Bytes of every extent. */
    long extentSize();

    /** Creates an empty extent (every sector reads as zeros). */
    void create(long extentId, long epoch) throws IOException;

    /** Deletes an extent; blocks no other extent shares return to the free pool. */
    void delete(long extentId, long epoch) throws IOException;

    /** Raises the extent's epoch (the meta leader fences an old leader); never lowers it. */
    void advanceEpoch(long extentId, long epoch) throws IOException;

    /** Writes the remaining bytes of {@code data} at {@code offset}; returns once durable. Returns the new version. */
    long write(long extentId, long epoch, long offset, ByteBuffer data) throws IOException;

    /**
     * Starts a {@link #write} of the remaining bytes of {@code data} without waiting for it to
     * become durable and returns true; {@code done} then runs once, with null once the write is
     * durable or with the failure, on a thread of the store's or this one (it must be quick and must
     * not block). {@code data} may be reused once this returns. False, having changed nothing, when
     * this store cannot write so right now: call {@link #write}. Throws what {@link #write} would
     * throw before it changes anything (an unknown extent, a stale epoch).
     */
    default boolean startWrite(long extentId, long epoch, long offset, ByteBuffer data, Consumer<IOException> done)
            throws IOException {
        return false;
    }

    /** Fills the remaining bytes of {@code target} from {@code offset}; never-written sectors read as zeros. */
    void read(long extentId, long offset, ByteBuffer target) throws IOException;

    /**
     * Starts a {@link #read} into {@code target} (a direct buffer at an aligned address) without
     * waiting for the device and returns true; {@code done} then runs once, with null or the
     * failure, on a thread of the store's or this one (it must be quick and must not block).
     * False, having started nothing, when this store cannot read so right now: call {@link #read}.
     * {@code target}'s position stays put.
     */
    default boolean startRead(long extentId, long offset, ByteBuffer target, Consumer<IOException> done)
            throws IOException {
        return false;
    }

    /** Releases {@code [offset, offset + length)}: those sectors read as zeros afterwards. Returns the new version. */
    long unmap(long extentId, long epoch, long offset, long length) throws IOException;

    /** Creates {@code childId} sharing every block of {@code parentId} (copy-on-write afterwards). */
    void snapshot(long parentId, long childId, long epoch) throws IOException;

    /** Epoch, version and allocation of one extent. */
    ExtentInfo info(long extentId) throws IOException;

    /** Every extent on this store. */
    List<ExtentInfo> list() throws IOException;

    /** Indexes of the extent's allocated blocks, ascending: what catch-up must stream. */
    int[] allocatedBlocks(long extentId) throws IOException;

    /** Counters and capacity. */
    StoreStats stats();
}
