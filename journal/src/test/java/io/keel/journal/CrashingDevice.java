package io.keel.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A memory-backed {@link JournalDevice} with a volatile write cache: writes land in the cache, a
 * flush persists them, and {@link #crash} returns what a power cut would leave, an adversarial
 * mix of the unflushed writes (dropped, complete, some 512-byte sectors, or cut at any byte).
 * It checks the O_DIRECT rules on every call, logs calls for order checks, and can fail or
 * block writes and flushes on request.
 */
final class CrashingDevice implements JournalDevice {

    static final int SECTOR = 512;

    private record PendingWrite(long position, byte[] bytes) {
    }

    private final int alignment;
    private final byte[] persisted;
    private final List<PendingWrite> cache = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private final AtomicInteger flushesCompleted = new AtomicInteger();
    private boolean dead;
    private int failWritesAfter = -1;
    private int failFlushesAfter = -1;
    private volatile CountDownLatch flushGate;
    private volatile CountDownLatch flushEntered;

    CrashingDevice(final long size, final int alignment) {
        this(new byte[Math.toIntExact(size)], alignment);
    }

    /** A device whose durable content is {@code image} (kept, not copied). */
    CrashingDevice(final byte[] image, final int alignment) {
        this.persisted = image;
        this.alignment = alignment;
    }

    @Override
    public int alignment() {
        return alignment;
    }

    @Override
    public long size() {
        return persisted.length;
    }

    @Override
    public synchronized void write(final long position, final ByteBuffer source) throws IOException {
        checkIo(position, source);
        if (failWritesAfter == 0) {
            throw new IOException("injected write error at " + position);
        }
        if (failWritesAfter > 0) {
            failWritesAfter--;
        }
        byte[] bytes = new byte[source.remaining()];
        source.get(bytes);
        cache.add(new PendingWrite(position, bytes));
        events.add("write " + position + " " + bytes.length);
    }

    @Override
    public synchronized void read(final long position, final ByteBuffer target) throws IOException {
        checkIo(position, target);
        byte[] view = currentView(position, target.remaining());
        target.put(view);
    }

    @Override
    public void flush() throws IOException {
        // The gate first: a test may install the next gate as soon as this flush says it entered,
        // and that one is for the next flush, not this one.
        CountDownLatch gate = flushGate;
        CountDownLatch entered = flushEntered;
        if (entered != null) {
            entered.countDown();
        }
        if (gate != null) {
            try {
                if (!gate.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("test flush gate never opened");
                }
            } catch (InterruptedException e) {
                throw new IOException("interrupted", e);
            }
        }
        synchronized (this) {
            if (dead) {
                throw new IOException("device crashed");
            }
            if (failFlushesAfter == 0) {
                throw new IOException("injected flush error");
            }
            if (failFlushesAfter > 0) {
                failFlushesAfter--;
            }
            for (PendingWrite write : cache) {
                System.arraycopy(write.bytes, 0, persisted, (int) write.position, write.bytes.length);
            }
            cache.clear();
            events.add("flush");
        }
        flushesCompleted.incrementAndGet();
    }

    private void checkIo(final long position, final ByteBuffer buffer) throws IOException {
        if (dead) {
            throw new IOException("device crashed");
        }
        if (!buffer.isDirect() || buffer.alignmentOffset(buffer.position(), alignment) != 0
                || buffer.remaining() % alignment != 0 || position % alignment != 0) {
            throw new IllegalArgumentException("unaligned I/O: position " + position + ", buffer " + buffer);
        }
        if (position < 0 || position + buffer.remaining() > persisted.length) {
            throw new IllegalArgumentException("I/O beyond the device: " + position + "+" + buffer.remaining());
        }
    }

    private byte[] currentView(final long position, final int length) {
        byte[] view = Arrays.copyOfRange(persisted, (int) position, (int) position + length);
        for (PendingWrite write : cache) {
            long from = Math.max(position, write.position);
            long to = Math.min(position + length, write.position + write.bytes.length);
            if (from < to) {
                System.arraycopy(write.bytes, (int) (from - write.position), view, (int) (from - position),
                        (int) (to - from));
            }
        }
        return view;
    }

    /**
     * Cuts the power: returns the durable image with an adversarial subset of the unflushed
     * writes applied, and makes every later call on this device fail.
     */
    synchronized byte[] crash(final Random random) {
        dead = true;
        byte[] image = persisted.clone();
        for (PendingWrite write : cache) {
            byte[] bytes = write.bytes;
            int at = (int) write.position;
            switch (random.nextInt(5)) {
                case 0 -> { }
                case 1 -> System.arraycopy(bytes, 0, image, at, bytes.length);
                case 2 -> {
                    for (int sector = 0; sector < bytes.length; sector += SECTOR) {
                        if (random.nextBoolean()) {
                            int length = Math.min(SECTOR, bytes.length - sector);
                            System.arraycopy(bytes, sector, image, at + sector, length);
                        }
                    }
                }
                case 3 -> System.arraycopy(bytes, 0, image, at, random.nextInt(bytes.length + 1));
                default -> {
                    int from = random.nextInt(bytes.length + 1);
                    int to = from + random.nextInt(bytes.length - from + 1);
                    System.arraycopy(bytes, from, image, at + from, to - from);
                }
            }
        }
        cache.clear();
        return image;
    }

    /** The durable content now (what a crash that keeps no unflushed write would leave). */
    synchronized byte[] persistedImage() {
        return persisted.clone();
    }

    /** The content reads see now: durable content with the cached writes on top. */
    synchronized byte[] currentImage() {
        return currentView(0, persisted.length);
    }

    synchronized List<String> events() {
        return new ArrayList<>(events);
    }

    synchronized void recordEvent(final String event) {
        events.add(event);
    }

    synchronized void clearEvents() {
        events.clear();
    }

    int flushesCompleted() {
        return flushesCompleted.get();
    }

    /** After {@code writes} more successful writes, every write fails. */
    synchronized void failWritesAfter(final int writes) {
        failWritesAfter = writes;
    }

    /** After {@code flushes} more successful flushes, every flush fails. */
    synchronized void failFlushesAfter(final int flushes) {
        failFlushesAfter = flushes;
    }

    /** Makes flushes wait for {@code gate}; {@code entered} counts down as each flush starts. */
    void gateFlushes(final CountDownLatch gate, final CountDownLatch entered) {
        this.flushEntered = entered;
        this.flushGate = gate;
    }
}
