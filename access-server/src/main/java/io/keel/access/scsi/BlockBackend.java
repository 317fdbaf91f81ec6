package io.keel.access.scsi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;

/**
 * The blocks behind a logical unit: a Keel volume reached through the volume client. Offsets and
 * lengths are bytes and multiples of 512; calls block the calling (virtual) thread. Every write
 * and unmap is durable when it returns (write-through), so a logical unit on this backend has no
 * volatile cache to report.
 */
public interface BlockBackend {

    /** The id of the volume behind this backend (stable across nodes; identifiers derive from it). */
    String volumeId();

    /** Bytes of the volume. */
    long sizeBytes();

    /** Whether blocks are allocated on first write (thin provisioning), so UNMAP frees space. */
    boolean thinProvisioned();

    /** The size writes should be aligned to (4096): smaller or unaligned ones are read, modified and written. */
    int physicalBlockSize();

    /**
     * The physical block size the logical unit reports in READ CAPACITY (16): {@link #physicalBlockSize}
     * (512e), or 512 for a volume created to look like a 512n disk to guests that need one.
     */
    default int reportedPhysicalBlockSize() {
        return physicalBlockSize();
    }

    /** The size UNMAP frees space in: unmapping less than this only zeroes the range. */
    int unmapGranularity();

    /** Fills the remaining bytes of {@code target} from {@code offset}; never-written ranges read as zeros. */
    void read(long offset, ByteBuffer target) throws IOException;

    /**
     * Starts filling {@code target} (a direct buffer at an aligned address) from {@code offset}
     * without blocking and returns true; {@code done} then runs once with null or the failure, on
     * a thread of the store's or this one (it must be quick and must not block). False, having
     * started nothing, when this read cannot go so: call {@link #read}.
     */
    default boolean startRead(long offset, ByteBuffer target, Consumer<IOException> done) {
        return false;
    }

    /** Writes the remaining bytes of {@code data} at {@code offset}; durable when it returns. */
    void write(long offset, ByteBuffer data) throws IOException;

    /**
     * {@link #write}, for a write that {@code admission} (its {@link #admitWrite}, or null) already
     * paid the volume's QoS limit for.
     */
    default void write(long offset, ByteBuffer data, WriteAdmission admission) throws IOException {
        write(offset, data);
    }

    /**
     * Admits a write of {@code length} bytes before its data is asked for ({@link WriteAdmission#NONE}
     * when no limit took anything). When the volume's QoS limit holds the write back the admission
     * {@link WriteAdmission#waits}, and {@code whenAdmitted} runs, on a thread of its own, once the
     * limit lets the write through (unless the admission was released first). The write, handed its
     * admission, does not wait again, so a throttled write waits without holding its data.
     */
    default WriteAdmission admitWrite(long length, Runnable whenAdmitted) {
        return WriteAdmission.NONE;
    }

    /**
     * Starts writing the remaining bytes of {@code data} at {@code offset} without blocking and
     * returns true; {@code done} then runs once, with null when the write is durable or with the
     * failure, on a thread of the store's or this one (it must be quick and must not block).
     * {@code data} may be reused once this returns. False, having written nothing, when this
     * write cannot go so: call {@link #write}.
     */
    default boolean startWrite(long offset, ByteBuffer data, Consumer<IOException> done) {
        return false;
    }

    /** {@link #startWrite}, for a write {@code admission} (or null) already paid the QoS limit for. */
    default boolean startWrite(long offset, ByteBuffer data, WriteAdmission admission, Consumer<IOException> done) {
        return startWrite(offset, data, done);
    }

    /**
     * Atomically (with respect to every other write through this backend) compares the bytes at
     * {@code offset} with {@code expected} and, when equal, writes {@code data} (same length).
     * Returns -1 when written, else the byte offset of the first difference from {@code offset}
     * (nothing written).
     */
    long compareAndWrite(long offset, ByteBuffer expected, ByteBuffer data) throws IOException;

    /** {@link #compareAndWrite}, for a write {@code admission} (or null) already paid the QoS limit for. */
    default long compareAndWrite(long offset, ByteBuffer expected, ByteBuffer data, WriteAdmission admission)
            throws IOException {
        return compareAndWrite(offset, expected, data);
    }

    /** Releases {@code [offset, offset + length)}: it reads as zeros afterwards; durable when it returns. */
    void unmap(long offset, long length) throws IOException;

    /** Makes everything written so far durable (already so: writes are write-through). */
    void flush() throws IOException;

    /**
     * Whether space is allocated for {@code [offset, offset + length)}, as consecutive runs that
     * cover the range in order (a run may start before {@code offset}: it is at allocation
     * granularity).
     */
    List<AllocationRun> allocation(long offset, long length) throws IOException;

    /** One run of {@link #allocation}: {@code length} bytes from {@code offset}, all mapped or all not. */
    record AllocationRun(long offset, long length, boolean mapped) {
    }
}
