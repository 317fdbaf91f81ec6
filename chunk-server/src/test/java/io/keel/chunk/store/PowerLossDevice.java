package io.keel.chunk.store;

import io.keel.chunk.device.AlignedBuffers;
import io.keel.chunk.device.BlockDevice;
import io.keel.journal.JournalDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory {@link BlockDevice} with a volatile write cache, for power-loss tests. A completed
 * write lands in the cache (reads see it at once); {@link #flush()} makes every write completed
 * before it durable. {@link #powerLoss(Random)} returns a new device over what survived: the
 * durable image plus an adversarial subset of the unflushed sector writes (none, all, a prefix, a
 * random subset, some of them torn at 512-byte granularity). {@link #cutAfter(long)} makes every
 * call after the next {@code n} fail, so a cut can land while I/O is in flight. Thread-safe.
 */
final class PowerLossDevice implements BlockDevice {

    static final int SECTOR = 4096;
    static final int ATOM = 512;
    private static final AtomicLong NAMES = new AtomicLong();

    private final Path path;
    private final byte[] durable;
    /** Newest content of every sector written since the last flush. */
    private final HashMap<Long, byte[]> cache = new HashMap<>();
    private final List<Hold> holds = new CopyOnWriteArrayList<>();
    private final CountDownLatch powerCut = new CountDownLatch(1);
    /** Every unflushed sector write, in completion order. */
    private final List<SectorWrite> pending = new ArrayList<>();
    private long callsLeft = Long.MAX_VALUE;
    private long armedFrom = -1;
    private long armedTo = -1;
    private boolean armed;
    private boolean dead;
    private boolean closed;
    private long writes;
    private long flushes;

    /** Writes into {@code [from, to)} wait (before they start) until power is cut, then fail. */
    static final class Hold {
        private final long from;
        private final long to;
        private final CountDownLatch hit = new CountDownLatch(1);

        Hold(final long from, final long to) {
            this.from = from;
            this.to = to;
        }

        /** True once a write reached the range within {@code millis}. */
        boolean awaitHit(final long millis) throws InterruptedException {
            return hit.await(millis, TimeUnit.MILLISECONDS);
        }
    }

    /** One sector write that is not yet durable. */
    private record SectorWrite(long sector, byte[] data) {
    }

    private PowerLossDevice(final byte[] durable) {
        this.durable = durable;
        this.path = Path.of("power-loss-device-" + NAMES.incrementAndGet());
    }

    /** A zero-filled device of {@code bytes} (a multiple of 4096). */
    static PowerLossDevice create(final long bytes) {
        if (bytes % SECTOR != 0 || bytes <= 0 || bytes > Integer.MAX_VALUE - SECTOR) {
            throw new IllegalArgumentException("device size " + bytes);
        }
        return new PowerLossDevice(new byte[(int) bytes]);
    }

    /** From now on, writes into {@code [from, to)} hang until power is cut (and then fail). */
    Hold hold(final long from, final long to) {
        Hold hold = new Hold(from, to);
        holds.add(hold);
        return hold;
    }

    /** Every call after the next {@code calls} (read, write or flush) fails with "power lost". */
    synchronized void cutAfter(final long calls) {
        callsLeft = calls;
    }

    /** Cuts power at the first flush after a write into {@code [from, to)} (that write stays unflushed). */
    synchronized void cutAtFlushAfterWriteTo(final long from, final long to) {
        armedFrom = from;
        armedTo = to;
    }

    /** Cuts power now: every later call fails. */
    synchronized void cut() {
        dead = true;
        powerCut.countDown();
    }

    synchronized boolean isCut() {
        return dead;
    }

    synchronized long writes() {
        return writes;
    }

    synchronized long flushes() {
        return flushes;
    }

    /** Unflushed sector writes right now. */
    synchronized int pendingWrites() {
        return pending.size();
    }

    /**
     * A new device over what survives a power loss now: the durable image plus, chosen by {@code
     * random}, none, all, a prefix or a random subset of the unflushed writes, some of them torn.
     * Describes the choice in {@code story} when it is not null. Cuts this device.
     */
    synchronized PowerLossDevice powerLoss(final Random random, final StringBuilder story) {
        cut();
        byte[] image = durable.clone();
        int mode = random.nextInt(6);
        int prefix = pending.isEmpty() ? 0 : random.nextInt(pending.size() + 1);
        double keep = random.nextDouble();
        double tear = mode >= 4 ? random.nextDouble() * 0.5 : 0;
        int applied = 0;
        int torn = 0;
        for (int i = 0; i < pending.size(); i++) {
            SectorWrite write = pending.get(i);
            boolean apply = switch (mode) {
                case 0 -> false;
                case 1 -> true;
                case 2 -> i < prefix;
                default -> random.nextDouble() < keep;
            };
            if (!apply) {
                continue;
            }
            int at = Math.toIntExact(write.sector() * SECTOR);
            if (random.nextDouble() < tear) {
                for (int piece = 0; piece < SECTOR / ATOM; piece++) {
                    if (random.nextBoolean()) {
                        System.arraycopy(write.data(), piece * ATOM, image, at + piece * ATOM, ATOM);
                    }
                }
                torn++;
            } else {
                System.arraycopy(write.data(), 0, image, at, SECTOR);
            }
            applied++;
        }
        if (story != null) {
            story.append(String.format("power loss mode %d: %d of %d unflushed sector writes survived, %d torn",
                    mode, applied, pending.size(), torn));
        }
        return new PowerLossDevice(image);
    }

    /** A new device over what survives a power loss now if exactly the unflushed writes to {@code keep} sectors do. */
    synchronized PowerLossDevice powerLoss(final java.util.function.LongPredicate keep) {
        cut();
        byte[] image = durable.clone();
        for (SectorWrite write : pending) {
            if (keep.test(write.sector())) {
                System.arraycopy(write.data(), 0, image, Math.toIntExact(write.sector() * SECTOR), SECTOR);
            }
        }
        return new PowerLossDevice(image);
    }

    /** A new device over this one's image after a clean shutdown (every completed write survives). */
    synchronized PowerLossDevice reopen() {
        byte[] image = durable.clone();
        for (SectorWrite write : pending) {
            System.arraycopy(write.data(), 0, image, Math.toIntExact(write.sector() * SECTOR), SECTOR);
        }
        return new PowerLossDevice(image);
    }

    /** Changes durable bytes directly (corruption tests); only while nothing is pending. */
    synchronized void corrupt(final long position, final byte[] bytes) {
        if (!pending.isEmpty()) {
            throw new IllegalStateException(pending.size() + " writes pending");
        }
        System.arraycopy(bytes, 0, durable, Math.toIntExact(position), bytes.length);
    }

    /** Reads durable bytes directly (corruption tests). */
    synchronized byte[] peek(final long position, final int length) {
        byte[] bytes = new byte[length];
        System.arraycopy(durable, Math.toIntExact(position), bytes, 0, length);
        return bytes;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public long size() {
        return durable.length;
    }

    @Override
    public int alignment() {
        return SECTOR;
    }

    @Override
    public synchronized void read(final long position, final ByteBuffer target) throws IOException {
        check(position, target, "read");
        call("read");
        int sectors = target.remaining() / SECTOR;
        int at = target.position();
        for (int i = 0; i < sectors; i++) {
            long sector = position / SECTOR + i;
            byte[] cached = cache.get(sector);
            if (cached != null) {
                target.put(at + i * SECTOR, cached);
            } else {
                target.put(at + i * SECTOR, durable, Math.toIntExact(sector * SECTOR), SECTOR);
            }
        }
        target.position(target.limit());
    }

    @Override
    public void write(final long position, final ByteBuffer source) throws IOException {
        for (Hold hold : holds) {
            if (position < hold.to && position + source.remaining() > hold.from) {
                hold.hit.countDown();
                try {
                    if (!powerCut.await(60, TimeUnit.SECONDS)) {
                        throw new IOException(path + ": write held for a minute and power was never cut");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("held write interrupted");
                }
            }
        }
        writeNow(position, source);
    }

    private synchronized void writeNow(final long position, final ByteBuffer source) throws IOException {
        check(position, source, "write");
        call("write");
        if (position < armedTo && position + source.remaining() > armedFrom) {
            armed = true;
        }
        int sectors = source.remaining() / SECTOR;
        int at = source.position();
        for (int i = 0; i < sectors; i++) {
            byte[] data = new byte[SECTOR];
            source.get(at + i * SECTOR, data);
            long sector = position / SECTOR + i;
            cache.put(sector, data);
            pending.add(new SectorWrite(sector, data));
        }
        source.position(source.limit());
        writes++;
    }

    @Override
    public synchronized void flush() throws IOException {
        call("flush");
        if (armed) {
            cut();
            throw new IOException(path + ": power lost (flush refused)");
        }
        for (SectorWrite write : pending) {
            System.arraycopy(write.data(), 0, durable, Math.toIntExact(write.sector() * SECTOR), SECTOR);
        }
        pending.clear();
        cache.clear();
        flushes++;
    }

    private void call(final String what) throws IOException {
        if (closed) {
            throw new IOException(path + ": " + what + " after close");
        }
        if (!dead && callsLeft-- <= 0) {
            cut();
        }
        if (dead) {
            throw new IOException(path + ": power lost (" + what + " refused)");
        }
    }

    private void check(final long position, final ByteBuffer buffer, final String what) {
        int length = buffer.remaining();
        if (!AlignedBuffers.isAligned(buffer) || position % SECTOR != 0 || length % SECTOR != 0
                || position < 0 || position > durable.length - (long) length) {
            throw new IllegalArgumentException(path + ": misaligned or out-of-range " + what + " of " + length
                    + " bytes at " + position + " (direct " + buffer.isDirect() + ")");
        }
    }

    @Override
    public JournalDevice region(final long offset, final long length) {
        if (offset < 0 || length <= 0 || offset % SECTOR != 0 || length % SECTOR != 0
                || offset > durable.length - length) {
            throw new IllegalArgumentException(path + ": bad region [" + offset + ", +" + length + ")");
        }
        return new Region(offset, length);
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    /** A window of the device that routes through its cache. */
    private final class Region implements JournalDevice {

        private final long offset;
        private final long length;

        Region(final long offset, final long length) {
            this.offset = offset;
            this.length = length;
        }

        @Override
        public int alignment() {
            return SECTOR;
        }

        @Override
        public long size() {
            return length;
        }

        @Override
        public void write(final long position, final ByteBuffer source) throws IOException {
            inside(position, source.remaining());
            PowerLossDevice.this.write(offset + position, source);
        }

        @Override
        public void read(final long position, final ByteBuffer target) throws IOException {
            inside(position, target.remaining());
            PowerLossDevice.this.read(offset + position, target);
        }

        @Override
        public void flush() throws IOException {
            PowerLossDevice.this.flush();
        }

        private void inside(final long position, final int bytes) {
            if (position < 0 || position > length - bytes) {
                throw new IllegalArgumentException(path + ": region I/O of " + bytes + " bytes at " + position
                        + " outside [0, " + length + ")");
            }
        }

        @Override
        public String toString() {
            return "region [" + offset + ", +" + length + ") of " + path;
        }
    }
}
