package io.keel.access.scsi;

import io.keel.chunk.store.StoreFullException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/** A {@link BlockBackend} in memory for tests: 4 KiB allocation units, injectable failures, growable. */
public final class MemoryBackend implements BlockBackend {

    static final int UNIT = 4096;

    private final String volumeId;
    private final boolean thin;
    private volatile int reportedPhysicalBlockSize = 4096;
    private final ReentrantLock lock = new ReentrantLock();
    private byte[] data;
    private boolean[] mapped;
    volatile boolean failReads;
    /** When not negative, reads covering this byte offset fail as a damaged sector there does. */
    volatile long unreadableAt = -1;
    /** Whether {@link #startRead} starts reads (else it declines them), and how many it started. */
    public volatile boolean startReads = true;
    final AtomicInteger startedReads = new AtomicInteger();
    volatile boolean failWrites;
    /** When set, writes fail as a store with no free block fails them. */
    volatile boolean outOfSpace;
    /** Whether {@link #startWrite} starts writes (else it declines them), and how many it started. */
    volatile boolean startWrites = true;
    final AtomicInteger startedWrites = new AtomicInteger();
    volatile int flushes;
    /** When set, reads wait for it (to hold commands in flight); {@link #readsAtGate} counts those that came. */
    public volatile java.util.concurrent.CountDownLatch readGate;
    public final AtomicInteger readsAtGate = new AtomicInteger();
    /** When set, writes wait for it; {@link #writesAtGate} counts those that came. */
    public volatile java.util.concurrent.CountDownLatch writeGate;
    public final AtomicInteger writesAtGate = new AtomicInteger();
    /** When set, writes are not admitted at once (as a throttled volume's): see {@link #heldAdmissions}. */
    public volatile boolean holdAdmissions;
    public final java.util.Queue<Runnable> heldAdmissions = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** How many admissions were released (the double never spends them: a command's end releases it). */
    public final AtomicInteger releasedAdmissions = new AtomicInteger();

    public MemoryBackend(final String volumeId, final long sizeBytes, final boolean thin) {
        this.volumeId = volumeId;
        this.thin = thin;
        this.data = new byte[(int) sizeBytes];
        this.mapped = new boolean[(int) (sizeBytes / UNIT)];
        if (!thin) {
            Arrays.fill(mapped, true);
        }
    }

    @Override
    public WriteAdmission admitWrite(final long length, final Runnable whenAdmitted) {
        if (!holdAdmissions) {
            return WriteAdmission.NONE;
        }
        heldAdmissions.add(whenAdmitted);
        java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
        return new WriteAdmission() {
            @Override
            public boolean waits() {
                return true;
            }

            @Override
            public void release() {
                if (released.compareAndSet(false, true)) {
                    releasedAdmissions.incrementAndGet();
                }
            }
        };
    }

    void grow(final long sizeBytes) {
        lock.lock();
        try {
            data = Arrays.copyOf(data, (int) sizeBytes);
            mapped = Arrays.copyOf(mapped, (int) (sizeBytes / UNIT));
        } finally {
            lock.unlock();
        }
    }

    public byte[] snapshot(final long offset, final int length) {
        lock.lock();
        try {
            return Arrays.copyOfRange(data, (int) offset, (int) offset + length);
        } finally {
            lock.unlock();
        }
    }

    boolean isMapped(final long offset) {
        return mapped[(int) (offset / UNIT)];
    }

    @Override
    public String volumeId() {
        return volumeId;
    }

    @Override
    public long sizeBytes() {
        lock.lock();
        try {
            return data.length;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean thinProvisioned() {
        return thin;
    }

    @Override
    public int physicalBlockSize() {
        return 4096;
    }

    @Override
    public int reportedPhysicalBlockSize() {
        return reportedPhysicalBlockSize;
    }

    /** Reports {@code bytes} as the physical block (a 512n volume: 512) instead of 4096. */
    public void reportPhysicalBlockSize(final int bytes) {
        reportedPhysicalBlockSize = bytes;
    }

    @Override
    public int unmapGranularity() {
        return UNIT;
    }

    private void check(final long offset, final long length) {
        if (offset % 512 != 0 || length % 512 != 0 || offset < 0 || offset + length > data.length) {
            throw new IllegalArgumentException("bad range " + offset + "+" + length);
        }
    }

    @Override
    public void read(final long offset, final ByteBuffer target) throws IOException {
        if (failReads) {
            throw new IOException("injected read failure");
        }
        long damaged = unreadableAt;
        // Like a volume, reads whole 4 KiB blocks: a damaged one fails a read of any part of it.
        if (damaged >= offset - offset % 4096 && damaged < offset + target.remaining()) {
            throw new UnreadableDataException(damaged, new IOException("injected: checksum mismatch"));
        }
        if (readGate != null) {
            readsAtGate.incrementAndGet();
        }
        await(readGate);
        lock.lock();
        try {
            check(offset, target.remaining());
            target.put(data, (int) offset, target.remaining());
        } finally {
            lock.unlock();
        }
    }

    private static void await(final java.util.concurrent.CountDownLatch gate) throws IOException {
        if (gate != null) {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /** Reads on a new virtual thread and calls back from there, as a store's completion thread would. */
    @Override
    public boolean startRead(final long offset, final ByteBuffer target, final Consumer<IOException> done) {
        if (!startReads) {
            return false;
        }
        check(offset, target.remaining());
        startedReads.incrementAndGet();
        Thread.ofVirtual().start(() -> {
            try {
                read(offset, target.duplicate());
                done.accept(null);
            } catch (IOException e) {
                done.accept(e);
            }
        });
        return true;
    }

    /** Copies the data at once, then writes it and calls back on a new virtual thread, as a store's committer would. */
    @Override
    public boolean startWrite(final long offset, final ByteBuffer source, final Consumer<IOException> done) {
        if (!startWrites) {
            return false;
        }
        check(offset, source.remaining());
        ByteBuffer copy = ByteBuffer.allocate(source.remaining()).put(source.duplicate()).flip();
        startedWrites.incrementAndGet();
        Thread.ofVirtual().start(() -> {
            try {
                write(offset, copy);
                done.accept(null);
            } catch (IOException e) {
                done.accept(e);
            }
        });
        return true;
    }

    @Override
    public void write(final long offset, final ByteBuffer source) throws IOException {
        if (failWrites) {
            throw new IOException("injected write failure");
        }
        if (outOfSpace) {
            throw new IOException("writing failed", new StoreFullException("injected: no free block"));
        }
        if (writeGate != null) {
            writesAtGate.incrementAndGet();
        }
        await(writeGate);
        lock.lock();
        try {
            check(offset, source.remaining());
            int n = source.remaining();
            source.get(data, (int) offset, n);
            markMapped(offset, n);
        } finally {
            lock.unlock();
        }
    }

    private void markMapped(final long offset, final long length) {
        for (long u = offset / UNIT; u * UNIT < offset + length; u++) {
            mapped[(int) u] = true;
        }
    }

    @Override
    public long compareAndWrite(final long offset, final ByteBuffer expected, final ByteBuffer source)
            throws IOException {
        if (failWrites) {
            throw new IOException("injected write failure");
        }
        if (outOfSpace) {
            throw new IOException("writing failed", new StoreFullException("injected: no free block"));
        }
        lock.lock();
        try {
            check(offset, expected.remaining());
            int n = expected.remaining();
            int at = ByteBuffer.wrap(data, (int) offset, n).slice().mismatch(expected);
            if (at >= 0) {
                return at;
            }
            source.get(data, (int) offset, n);
            markMapped(offset, n);
            return -1;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void unmap(final long offset, final long length) throws IOException {
        if (failWrites) {
            throw new IOException("injected write failure");
        }
        if (outOfSpace) {
            throw new IOException("writing failed", new StoreFullException("injected: no free block"));
        }
        lock.lock();
        try {
            check(offset, length);
            Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
            if (thin) {
                for (long u = (offset + UNIT - 1) / UNIT; (u + 1) * UNIT <= offset + length; u++) {
                    mapped[(int) u] = false;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void flush() throws IOException {
        if (failWrites) {
            throw new IOException("injected flush failure");
        }
        flushes++;
    }

    @Override
    public List<AllocationRun> allocation(final long offset, final long length) {
        lock.lock();
        try {
            List<AllocationRun> runs = new ArrayList<>();
            long u = offset / UNIT;
            while (u * UNIT < offset + length) {
                boolean m = mapped[(int) u];
                long start = u;
                while (u * UNIT < offset + length && mapped[(int) u] == m) {
                    u++;
                }
                runs.add(new AllocationRun(start * UNIT, (u - start) * UNIT, m));
            }
            return runs;
        } finally {
            lock.unlock();
        }
    }
}
