package io.keel.chunk.device;

import io.keel.runtime.context.Batching;
import io.keel.runtime.platform.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Linux native asynchronous I/O ({@code io_setup}, {@code io_submit}, {@code io_getevents}) on a
 * descriptor of its own, opened {@code O_DIRECT} through libc with the foreign function API, for
 * writing a batch of blocks with many in flight from one thread: one system call submits a group
 * of writes (the block layer sends them to the disk together) and one reaps a group of
 * completions, where a thread per write would block, and wake, once per write. Used where it is
 * available (Linux on x86-64 or AArch64, native access allowed); {@link #open} returns null
 * elsewhere. Concurrent {@link #writeAll} calls each take a kernel context of their own from a
 * pool that grows to as many as ran at once.
 *
 * <p>Reads ({@link #startReads}) go the other way: callers submit and return at once, and one
 * platform thread per device (started with the first read) reaps completions and runs each
 * batch's callback, so a read costs neither a blocked thread nor a wake-up of its submitter.
 */
final class LinuxAio implements AutoCloseable {

    /**
     * Writes in flight at most per {@link #writeAll}: as many as the 16 writer threads the apply
     * pass had; 32 to 256 measured no better, 4 worse (docs/benchmarks.md).
     */
    static final int WINDOW = 16;
    /**
     * Reads in flight at most on a device: four initiators' worth of 32 commands; a batch that
     * does not fit is read the blocking way.
     */
    static final int READ_WINDOW = 128;
    /**
     * Completion callbacks per group (Batching) on the read reaper: what they defer (sends) goes out
     * after every 2. Flushing once per reap (up to 32 at QD32) left the device idle while the rest ran:
     * 53-54 K against 65-73 K reads/s with 4, store bench, started reads at QD32; reads they start go
     * to the device at once. Since the reaper sends iSCSI responses itself (one sendmsg per group, not
     * a thread wake-up), groups of 2 answered QD32 reads 6 % faster than 4 (docs/benchmarks.md).
     */
    private static final int CALLBACKS_PER_FLUSH = 2;
    /**
     * A read batch of at least this many bytes is a large read (a sequential stream's 1 MiB command,
     * say): large reads go to the device one budget's worth at a time, see {@link #LARGE_READ_BUDGET}.
     */
    static final long LARGE_READ_BYTES = 256 * 1024;
    /**
     * Bytes of large reads in flight at most on a device (one large read goes alone whatever its size);
     * more wait, in arrival order, for earlier ones to finish. Started together, large reads share the
     * device's bandwidth and all finish at the end, so their callers send nothing until then and the
     * device idles while they do: the four 1 MiB reads of a QD4 stream went to the device and then to
     * the network in lock-step. Two at a time they finish in turn, each sent while later ones are read:
     * 1 MiB QD4 reads over iSCSI took 1.8-2.5 s per 4 000 instead of 3.2-3.5 s; a budget of 1 MiB or 4 MiB
     * gave less (docs/benchmarks.md).
     */
    static final long LARGE_READ_BUDGET = 2 * 1024 * 1024;
    /** How long the reaper waits for a completion before it looks whether the device closed. */
    private static final long REAPER_WAKE_NANOS = 1_000_000_000L;
    /** Completions reaped per wait while more writes are queued: submissions and wake-ups come in groups. */
    private static final int REAP_GROUP = 8;
    private static final short IOCB_CMD_PREAD = 0;
    private static final short IOCB_CMD_PWRITE = 1;
    private static final int IOCB_BYTES = 64;
    private static final int EVENT_BYTES = 32;

    private static final Logger LOG = LoggerFactory.getLogger(LinuxAio.class);
    private static final Syscalls SYSCALLS = Syscalls.forThisPlatform();
    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle SYSCALL;

    /** The architecture's numbers for what this class uses; O_DIRECT differs between architectures too. */
    private record Syscalls(long setup, long destroy, long getEvents, long submit, int openDirect) {
        static Syscalls forThisPlatform() {
            if (!System.getProperty("os.name", "").startsWith("Linux")) {
                return null;
            }
            return switch (System.getProperty("os.arch", "")) {
                case "amd64", "x86_64" -> new Syscalls(206, 207, 208, 209, 0x4000);
                case "aarch64" -> new Syscalls(0, 1, 4, 2, 0x10000);
                default -> null;
            };
        }
    }

    static {
        MethodHandle open = null;
        MethodHandle close = null;
        MethodHandle syscall = null;
        if (SYSCALLS != null) {
            try {
                open = Libc.functionSettingErrno("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                        Linker.Option.firstVariadicArg(2));
                close = Libc.function("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                // long syscall(long number, ...): every argument here is passed as a long.
                syscall = Libc.functionSettingErrno("syscall", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Linker.Option.firstVariadicArg(1));
            } catch (RuntimeException e) {
                // Native access refused, or no such libc symbol: devices write one block per call.
                open = null;
            }
        }
        OPEN = open;
        CLOSE = close;
        SYSCALL = syscall;
    }

    private final Path path;
    private final int fd;
    /** {@link #writeAll} calls running and read batches in flight; {@link #close} waits for them. */
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ConcurrentLinkedDeque<Ring> idleRings = new ConcurrentLinkedDeque<>();
    /** The ring reads go through, set up with the first read; null before, or when none could be. */
    private volatile Reads reads;
    private final Object readsSetUp = new Object();

    private LinuxAio(final Path path, final int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * Asynchronous writes to {@code path} through a descriptor of their own, or null where this
     * platform offers none (then nothing was opened).
     */
    @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
    static LinuxAio open(final Path path) throws IOException {
        if (OPEN == null || SYSCALL == null) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            int flags = 2 /* O_RDWR */ | 0x80000 /* O_CLOEXEC */ | SYSCALLS.openDirect();
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path.toString()), flags, 0);
            if (fd < 0) {
                throw new IOException(path + ": cannot open for asynchronous direct writes (errno "
                        + Libc.errno(state) + ")");
            }
            LinuxAio aio = new LinuxAio(path, fd);
            try {
                aio.probe();
            } catch (IOException | RuntimeException | Error e) {
                aio.close();
                throw e;
            }
            return aio;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(path + ": native open failed", t);
        }
    }

    /**
     * Reads the device's first sector through a ring, so that a file system that opens files
     * {@code O_DIRECT} but refuses asynchronous I/O on them is found at open, not at the first
     * apply pass. The ring is kept for the first batch.
     */
    private void probe() throws Throwable {
        Ring ring = Ring.setUp(path);
        if (ring == null) {
            return; // no context to spare right now: batches fall back one by one until there is
        }
        boolean clean = false;
        try {
            ByteBuffer sector = AlignedBuffers.allocate(AlignedBuffers.ALIGNMENT);
            new Submission(List.of(new BlockDevice.Write(0, sector)), ring, IOCB_CMD_PREAD).run();
            clean = true;
        } catch (IOException e) {
            throw new IOException(path + ": asynchronous direct I/O does not work here: " + e.getMessage(), e);
        } finally {
            release(ring, clean);
        }
    }

    /**
     * Keeps {@code ring} for the next batch when nothing is in flight on it any more ({@code clean}:
     * its batch ran to the end); otherwise tears it down, which waits for what is still in flight.
     */
    private void release(final Ring ring, final boolean clean) {
        if (clean || ring.idle) {
            idleRings.push(ring);
        } else {
            ring.tearDown(path);
        }
    }

    /**
     * Writes every piece of {@code batch}, up to {@link #WINDOW} at once, and returns true when all
     * completed; false, having written nothing, when the kernel has no asynchronous I/O context to
     * spare right now (EAGAIN: the system-wide {@code fs.aio-max-nr} is used up). A piece that fails
     * or comes back short makes it throw, naming the piece, but only once nothing it submitted is
     * still in flight (the buffers are the caller's). No flush. Sources' positions stay put.
     */
    @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
    boolean writeAll(final List<BlockDevice.Write> batch) throws IOException {
        if (batch.isEmpty()) {
            return true;
        }
        calls.incrementAndGet();
        Ring ring = null;
        boolean clean = false;
        try {
            if (closed.get()) {
                throw new ClosedChannelException();
            }
            ring = idleRings.poll();
            if (ring == null) {
                ring = Ring.setUp(path);
                if (ring == null) {
                    return false;
                }
            }
            new Submission(batch, ring, IOCB_CMD_PWRITE).run();
            clean = true;
            return true;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(path + ": native asynchronous write failed", t);
        } finally {
            if (ring != null) {
                release(ring, clean);
            }
            calls.decrementAndGet();
        }
    }

    /**
     * A kernel AIO context with the memory its control blocks and completions live in, kept for
     * reuse: setting one up is cheap, but tearing one down waits for an RCU grace period
     * (milliseconds), which would cost more than the writes of a batch.
     */
    private static final class Ring {
        private final Arena arena;
        private final long context;
        private final MemorySegment state;
        private final MemorySegment iocbs;
        private final MemorySegment pointers;
        private final MemorySegment events;
        /** True when nothing submitted on it is still in flight. */
        private boolean idle = true;

        private Ring(final Arena arena, final long context, final MemorySegment state, final int window) {
            this.arena = arena;
            this.context = context;
            this.state = state;
            this.iocbs = arena.allocate((long) IOCB_BYTES * window, 8);
            this.pointers = arena.allocate((long) Long.BYTES * window, 8);
            this.events = arena.allocate((long) EVENT_BYTES * window, 8);
        }

        /** Fills control block {@code slot} to move {@code buffer}'s remaining bytes at {@code position}. */
        MemorySegment prepare(final int slot, final long userData, final short opcode, final int fd,
                final ByteBuffer buffer, final long position) {
            MemorySegment iocb = iocbs.asSlice((long) IOCB_BYTES * slot, IOCB_BYTES).fill((byte) 0);
            iocb.set(ValueLayout.JAVA_LONG, 0, userData);
            iocb.set(ValueLayout.JAVA_SHORT, 16, opcode);
            iocb.set(ValueLayout.JAVA_INT, 20, fd);
            iocb.set(ValueLayout.JAVA_LONG, 24, AlignedBuffers.addressAtPosition(buffer));
            iocb.set(ValueLayout.JAVA_LONG, 32, buffer.remaining());
            iocb.set(ValueLayout.JAVA_LONG, 40, position);
            return iocb;
        }

        /** A new context for {@link #WINDOW} writes; null when the kernel has none to spare (EAGAIN). */
        static Ring setUp(final Path path) throws Throwable {
            return setUp(path, WINDOW);
        }

        /** A new context for {@code window} requests in flight; null when the kernel has none to spare (EAGAIN). */
        static Ring setUp(final Path path, final int window) throws Throwable {
            Arena arena = Arena.ofShared();
            try {
                MemorySegment state = Libc.callState(arena);
                MemorySegment contextId = arena.allocate(ValueLayout.JAVA_LONG);
                long setup = retryingCall(state, SYSCALLS.setup(), window, contextId.address(), 0, 0, 0);
                if (setup < 0) {
                    int errno = Libc.errno(state);
                    arena.close();
                    if (errno == Libc.EAGAIN) {
                        return null;
                    }
                    throw new IOException(path + ": io_setup for " + window + " requests failed (errno " + errno + ")");
                }
                return new Ring(arena, contextId.get(ValueLayout.JAVA_LONG, 0), state, window);
            } catch (IOException | RuntimeException | Error e) {
                if (arena.scope().isAlive()) {
                    arena.close();
                }
                throw e;
            }
        }

        /** Destroys the context (waiting for whatever is still in flight on it) and frees its memory. */
        void tearDown(final Path path) {
            try {
                destroyContext(path);
            } finally {
                arena.close();
            }
        }

        /** Destroys the context, waiting for whatever is still in flight on it; the memory stays. */
        @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
        void destroyContext(final Path path) {
            try {
                long destroyed = (long) SYSCALL.invokeExact(state, SYSCALLS.destroy(), context, 0L, 0L, 0L, 0L);
                if (destroyed < 0) {
                    LOG.warn("{}: io_destroy failed (errno {})", path, Libc.errno(state));
                }
            } catch (Throwable t) {
                LOG.warn("{}: io_destroy failed", path, t);
            }
        }
    }

    /**
     * The state of one batch on a ring (the pieces of a {@link #writeAll}, or the read of the
     * probe): which slots are free, what is in flight, the first failure.
     */
    private final class Submission {
        private final List<BlockDevice.Write> batch;
        private final Ring ring;
        private final short opcode;
        private final int[] freeSlots = new int[WINDOW];
        private int freeCount;
        private int next;
        private int inFlight;
        private IOException failure;

        Submission(final List<BlockDevice.Write> batch, final Ring ring, final short opcode) {
            this.batch = batch;
            this.ring = ring;
            this.opcode = opcode;
            for (int slot = 0; slot < WINDOW; slot++) {
                freeSlots[slot] = WINDOW - 1 - slot;
            }
            this.freeCount = WINDOW;
        }

        void run() throws Throwable {
            while ((next < batch.size() && failure == null) || inFlight > 0) {
                if (failure == null) {
                    submitWhatFits();
                }
                if (inFlight > 0) {
                    // Wait for a group while more is queued (fewer calls and wake-ups), else for the rest.
                    boolean more = failure == null && next < batch.size();
                    reap(more ? Math.min(REAP_GROUP, inFlight) : inFlight);
                }
            }
            if (failure != null) {
                throw failure;
            }
        }

        private void submitWhatFits() throws Throwable {
            int count = 0;
            while (freeCount > 0 && next < batch.size()) {
                int slot = freeSlots[--freeCount];
                BlockDevice.Write write = batch.get(next);
                // aio_data: piece and slot
                MemorySegment iocb = ring.prepare(slot, ((long) next << 32) | slot, opcode, fd, write.source(),
                        write.position());
                ring.pointers.setAtIndex(ValueLayout.JAVA_LONG, count++, iocb.address());
                next++;
            }
            int submitted = 0;
            while (submitted < count) {
                long n = retryingCall(ring.state, SYSCALLS.submit(), ring.context, count - submitted,
                        ring.pointers.address() + (long) Long.BYTES * submitted, 0, 0);
                if (n <= 0) {
                    // Nothing more was taken: give the rest back unsubmitted and fail once the others are in.
                    int errno = n < 0 ? Libc.errno(ring.state) : 0;
                    failure = new IOException(path + ": io_submit of " + (count - submitted) + " " + what() + "s failed"
                            + " (errno " + errno + ")");
                    for (int k = submitted; k < count; k++) {
                        long data = ring.pointers.getAtIndex(ValueLayout.JAVA_LONG, k);
                        freeSlots[freeCount++] = (int) ((data - ring.iocbs.address()) / IOCB_BYTES);
                    }
                    return;
                }
                submitted += (int) n;
                inFlight += (int) n;
                ring.idle = false;
            }
        }

        private String what() {
            return opcode == IOCB_CMD_PREAD ? "read" : "write";
        }

        private void reap(final int atLeast) throws Throwable {
            long n = retryingCall(ring.state, SYSCALLS.getEvents(), ring.context, atLeast, WINDOW,
                    ring.events.address(), 0);
            if (n < 0) {
                // The kernel still owns the writes in flight: tearing the ring down (writeAll) waits for them.
                throw new IOException(path + ": io_getevents failed (errno " + Libc.errno(ring.state) + ") with "
                        + inFlight + " writes in flight");
            }
            for (int k = 0; k < n; k++) {
                MemorySegment event = ring.events.asSlice((long) EVENT_BYTES * k, EVENT_BYTES);
                long data = event.get(ValueLayout.JAVA_LONG, 0);
                long result = event.get(ValueLayout.JAVA_LONG, 16);
                int piece = (int) (data >>> 32);
                freeSlots[freeCount++] = (int) data;
                inFlight--;
                ring.idle = inFlight == 0;
                BlockDevice.Write write = batch.get(piece);
                if (result != write.source().remaining() && failure == null) {
                    failure = new IOException(path + ": asynchronous " + what() + " of " + write.source().remaining()
                            + " bytes at offset " + write.position() + (result < 0
                                    ? " failed (errno " + -result + ")" : " moved only " + result + " bytes"));
                }
            }
        }
    }

    // ---------------------------------------------------------------- reads

    /**
     * Starts every read of {@code batch} (see {@link BlockDevice#startReads}); false, having started
     * nothing, when fewer slots than reads are free or the kernel has no context to spare.
     */
    @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
    boolean startReads(final List<BlockDevice.Read> batch, final Consumer<IOException> done) throws IOException {
        if (batch.isEmpty() || batch.size() > READ_WINDOW) {
            return false;
        }
        calls.incrementAndGet();
        boolean started = false;
        try {
            if (closed.get()) {
                throw new ClosedChannelException();
            }
            Reads ring = reads();
            started = ring != null && ring.start(batch, done);
            return started;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(path + ": native asynchronous read failed", t);
        } finally {
            if (!started) {
                calls.decrementAndGet();
            }
        }
    }

    /** Makes the read reaper throw {@code failure} once it next reaps completions (tests; reads set up). */
    void injectReadReaperFailure(final Error failure) {
        Reads current = reads;
        if (current != null) {
            current.injectReaperFailure(failure);
        }
    }

    /** Large reads started and waiting for the large-read budget ({@link #LARGE_READ_BUDGET}). */
    int largeReadsWaiting() {
        Reads current = reads;
        if (current == null) {
            return 0;
        }
        synchronized (current) {
            return current.waitingLarge.size();
        }
    }

    /** Reads started and not yet finished (their control blocks are taken). */
    int readsInFlight() {
        Reads current = reads;
        if (current == null) {
            return 0;
        }
        synchronized (current) {
            return current.stopped != null ? 0 : READ_WINDOW - current.freeCount;
        }
    }

    /** The read ring and its reaper, set up by the first read; null while the kernel has no context to spare. */
    private Reads reads() throws Throwable {
        Reads current = reads;
        if (current != null) {
            return current;
        }
        synchronized (readsSetUp) {
            if (reads == null) {
                Ring ring = Ring.setUp(path, READ_WINDOW);
                if (ring != null) {
                    reads = new Reads(ring);
                }
            }
            return reads;
        }
    }

    /**
     * One thread's submissions to the read ring: where {@code errno} is captured, and the control
     * blocks prepared for its next {@code io_submit}.
     */
    private static final class Submitter {
        private final MemorySegment state;
        private final MemorySegment pointers;
        private final int[] slots = new int[READ_WINDOW];
        private int pending;

        Submitter() {
            Arena arena = Arena.ofAuto();
            this.state = Libc.callState(arena);
            this.pointers = arena.allocate((long) Long.BYTES * READ_WINDOW, 8);
        }
    }

    /** One started batch of reads: what is still in flight and the first failure. */
    private static final class ReadBatch {
        private final List<BlockDevice.Read> reads;
        private final Consumer<IOException> done;
        private final AtomicInteger remaining;
        /** The batch's bytes when it is a large read (it counts against the budget), else 0. */
        private final long largeBytes;
        /** Its control blocks, kept while it waits for the large-read budget. */
        private int[] slots;
        private volatile IOException failure;

        ReadBatch(final List<BlockDevice.Read> reads, final Consumer<IOException> done, final long largeBytes) {
            this.reads = reads;
            this.done = done;
            this.remaining = new AtomicInteger(reads.size());
            this.largeBytes = largeBytes;
        }

        synchronized void fail(final IOException e) {
            if (failure == null) {
                failure = e;
            }
        }
    }

    /**
     * The ring reads are submitted to, which control block holds which batch, and the reaper: one
     * platform thread that waits for completions and runs each finished batch's callback.
     */
    private final class Reads {
        private final Ring ring;
        private final AtomicReferenceArray<ReadBatch> bySlot = new AtomicReferenceArray<>(READ_WINDOW);
        /** Free control blocks; guarded by this. */
        private final int[] freeSlots = new int[READ_WINDOW];
        private int freeCount = READ_WINDOW;
        /** Bytes of large reads submitted and not finished; guarded by this. */
        private long largeBytesInFlight;
        /** Large reads (with their control blocks) waiting for the budget, oldest first; guarded by this. */
        private final ArrayDeque<ReadBatch> waitingLarge = new ArrayDeque<>();
        private final Thread reaper;
        private final ThreadLocal<Submitter> submitters = ThreadLocal.withInitial(Submitter::new);
        /** Why reads no longer go through this ring (its reaper failed), or null; guarded by this. */
        private String stopped;
        /** Held shared while a thread fills and submits control blocks, exclusively while a failed reaper stops. */
        private final ReentrantReadWriteLock submitting = new ReentrantReadWriteLock();
        private volatile boolean contextDestroyed;
        /** A failure for the reaper to throw once it next reaps completions (tests). */
        private volatile Error injectedFailure;

        Reads(final Ring ring) {
            this.ring = ring;
            for (int slot = 0; slot < READ_WINDOW; slot++) {
                freeSlots[slot] = READ_WINDOW - 1 - slot;
            }
            this.reaper = Thread.ofPlatform().daemon().name("keel-aio-reads-" + path.getFileName()).start(this::reap);
        }

        boolean start(final List<BlockDevice.Read> batch, final Consumer<IOException> done) throws Throwable {
            submitting.readLock().lock();
            try {
                return startSubmitting(batch, done);
            } finally {
                submitting.readLock().unlock();
            }
        }

        /** {@link #start}, under the shared submission lock. */
        private boolean startSubmitting(final List<BlockDevice.Read> batch, final Consumer<IOException> done)
                throws Throwable {
            int count = batch.size();
            long bytes = 0;
            for (BlockDevice.Read read : batch) {
                bytes += read.target().remaining();
            }
            ReadBatch started = new ReadBatch(batch, done, bytes >= LARGE_READ_BYTES ? bytes : 0);
            Submitter submitter = submitters.get();
            synchronized (this) {
                if (stopped != null || freeCount < count) {
                    return false;
                }
                for (int i = 0; i < count; i++) {
                    submitter.slots[i] = freeSlots[--freeCount];
                }
                if (started.largeBytes > 0 && !admitLarge(started)) {
                    started.slots = Arrays.copyOf(submitter.slots, count);
                    waitingLarge.addLast(started);
                    return true;
                }
            }
            prepare(started, submitter, submitter.slots, 0);
            // Submitted at once, not at the end of the caller's Batching group: a reader that read 32
            // commands in one go got the first one's read to the device only after planning all 32, and
            // the batch came back together; one io_submit per READ was faster at QD32 (docs/benchmarks.md).
            // A failed submission is the caller's to handle: it has started nothing.
            long n = retryingCall(submitter.state, SYSCALLS.submit(), ring.context, count, submitter.pointers.address(),
                    0, 0);
            if (n == count) {
                submitter.pending = 0;
                return true;
            }
            if (n <= 0) {
                int errno = n < 0 ? Libc.errno(submitter.state) : 0;
                submitter.pending = 0;
                release(submitter.slots, 0, count);
                releaseLarge(started);
                throw new IOException(path + ": io_submit of " + count + " reads failed (errno " + errno + ")");
            }
            submitter.pending = 0;
            failUnsubmitted(submitter, (int) n, count, "io_submit took only " + n + " of " + count + " reads");
            return true;
        }

        /** Fills the control blocks {@code slots[from..]} for {@code batch}, after what {@code submitter} holds. */
        private void prepare(final ReadBatch batch, final Submitter submitter, final int[] slots, final int from) {
            int first = submitter.pending;
            for (int i = 0; i < batch.reads.size(); i++) {
                BlockDevice.Read read = batch.reads.get(i);
                int slot = slots[from + i];
                submitter.slots[first + i] = slot;
                bySlot.set(slot, batch);
                MemorySegment iocb = ring.prepare(slot, ((long) i << 32) | slot, IOCB_CMD_PREAD, fd, read.target(),
                        read.position());
                submitter.pointers.setAtIndex(ValueLayout.JAVA_LONG, first + i, iocb.address());
            }
            submitter.pending += batch.reads.size();
        }

        /** Whether large {@code batch} may go to the device now (it then counts against the budget); under this. */
        private boolean admitLarge(final ReadBatch batch) {
            if (largeBytesInFlight > 0 && largeBytesInFlight + batch.largeBytes > LARGE_READ_BUDGET) {
                return false;
            }
            largeBytesInFlight += batch.largeBytes;
            return true;
        }

        /**
         * Gives back a finished large batch's share of the budget and submits the waiting large reads
         * that now fit, from this thread (a failure of theirs goes to their callbacks).
         */
        private void releaseLarge(final ReadBatch finished) {
            if (finished.largeBytes == 0) {
                return;
            }
            List<ReadBatch> admitted = new ArrayList<>(2);
            synchronized (this) {
                largeBytesInFlight -= finished.largeBytes;
                while (!waitingLarge.isEmpty() && admitLarge(waitingLarge.peekFirst())) {
                    admitted.add(waitingLarge.pollFirst());
                }
            }
            if (admitted.isEmpty()) {
                return;
            }
            Submitter submitter = submitters.get();
            for (ReadBatch batch : admitted) {
                int[] slots = batch.slots;
                batch.slots = null;
                prepare(batch, submitter, slots, 0);
            }
            submitPending(submitter);
        }

        /** Submits what {@code submitter} prepared in one call where the kernel takes it all. */
        @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
        private void submitPending(final Submitter submitter) {
            int count = submitter.pending;
            submitter.pending = 0;
            int submitted = 0;
            String failure = null;
            try {
                while (submitted < count) {
                    long n = retryingCall(submitter.state, SYSCALLS.submit(), ring.context, count - submitted,
                            submitter.pointers.address() + (long) Long.BYTES * submitted, 0, 0);
                    if (n <= 0) {
                        failure = "io_submit failed (errno " + (n < 0 ? Libc.errno(submitter.state) : 0) + ")";
                        break;
                    }
                    submitted += (int) n;
                }
            } catch (Throwable t) {
                failure = "io_submit failed: " + t;
            }
            if (failure != null) {
                failUnsubmitted(submitter, submitted, count, failure);
            }
        }

        /** Fails the reads prepared at {@code [from, to)} of {@code submitter} that never went to the kernel. */
        private void failUnsubmitted(final Submitter submitter, final int from, final int to, final String why) {
            ReadBatch[] batches = new ReadBatch[to - from];
            for (int k = from; k < to; k++) {
                batches[k - from] = bySlot.get(submitter.slots[k]);
            }
            release(submitter.slots, from, to);
            for (ReadBatch batch : batches) {
                batch.fail(new IOException(path + ": " + why));
                if (batch.remaining.decrementAndGet() == 0) {
                    releaseLarge(batch);
                    finish(batch);
                }
            }
        }

        private void release(final int[] slots, final int from, final int to) {
            for (int i = from; i < to; i++) {
                bySlot.set(slots[i], null);
            }
            synchronized (this) {
                for (int i = from; i < to; i++) {
                    freeSlots[freeCount++] = slots[i];
                }
            }
        }

        @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
        private void reap() {
            Arena arena = Arena.ofConfined();
            MemorySegment state = Libc.callState(arena);
            MemorySegment timeout = arena.allocate(16, 8);
            timeout.set(ValueLayout.JAVA_LONG, 0, REAPER_WAKE_NANOS / 1_000_000_000L);
            timeout.set(ValueLayout.JAVA_LONG, 8, REAPER_WAKE_NANOS % 1_000_000_000L);
            ReadBatch[] completed = new ReadBatch[READ_WINDOW];
            ReadBatch[] finished = new ReadBatch[READ_WINDOW];
            try {
                while (true) {
                    long n = retryingCall(state, SYSCALLS.getEvents(), ring.context, 1, READ_WINDOW,
                            ring.events.address(), timeout.address());
                    if (n < 0 || (n == 0 && closed.get())) {
                        if (!closed.get()) {
                            stop("io_getevents failed (errno " + Libc.errno(state) + ")", null, completed, finished);
                        }
                        return;
                    }
                    Error injected = injectedFailure;
                    if (n > 0 && injected != null) {
                        injectedFailure = null;
                        throw injected;
                    }
                    // Who waits for each completion is read before its control block is free for the next read.
                    for (int k = 0; k < n; k++) {
                        int slot = (int) ring.events.get(ValueLayout.JAVA_LONG, (long) EVENT_BYTES * k);
                        completed[k] = bySlot.getAndSet(slot, null);
                    }
                    synchronized (this) {
                        for (int k = 0; k < n; k++) {
                            freeSlots[freeCount++] = (int) ring.events.get(ValueLayout.JAVA_LONG,
                                    (long) EVENT_BYTES * k);
                        }
                    }
                    int finishedCount = 0;
                    for (int k = 0; k < n; k++) {
                        long data = ring.events.get(ValueLayout.JAVA_LONG, (long) EVENT_BYTES * k);
                        long result = ring.events.get(ValueLayout.JAVA_LONG, (long) EVENT_BYTES * k + 16);
                        ReadBatch batch = completed[k];
                        completed[k] = null;
                        BlockDevice.Read read = batch.reads.get((int) (data >>> 32));
                        if (result != read.target().remaining()) {
                            batch.fail(new IOException(path + ": read of " + read.target().remaining()
                                    + " bytes at offset " + read.position() + (result < 0
                                            ? " failed (errno " + -result + ")" : " returned only " + result)));
                        }
                        if (batch.remaining.decrementAndGet() == 0) {
                            finished[finishedCount++] = batch;
                        }
                    }
                    // The next large reads go to the device before the finished ones' callbacks run.
                    for (int k = 0; k < finishedCount; k++) {
                        releaseLarge(finished[k]);
                    }
                    // What the callbacks send goes out once for every few of them (Batching): fewer calls, and
                    // no answer waits for the whole group. The callbacks must not block this thread, which
                    // every read of the device waits for.
                    try (Batching.Group group = Batching.openNonBlocking()) {
                        for (int k = 0; k < finishedCount; k++) {
                            finish(finished[k]);
                            finished[k] = null;
                            if ((k + 1) % CALLBACKS_PER_FLUSH == 0) {
                                group.flush();
                                // A reader that the initiator's next commands woke may be waiting for this CPU:
                                // let it put them to the device while the rest of the answers go out. QD32 reads
                                // otherwise came in waves (device idle while this thread answered all of them):
                                // 59.0 K against 65.1 K reads/s in one A/B, 50.5 K against 53.4 K in another
                                // (docs/benchmarks.md, "QD32 in waves").
                                Thread.yield();
                            }
                        }
                    }
                }
            } catch (Throwable t) {
                stop("the reaper failed: " + t, t, completed, finished);
            } finally {
                arena.close();
            }
        }

        /**
         * After the reaper failed (a bug, or io_getevents refusing): reads stop going through this
         * ring, and every read not yet finished fails, so that nobody waits forever for one and
         * close does not either. Later reads are declined: their callers read the blocking way.
         * {@code completed} and {@code finished} are the reaper's batches taken off the ring and
         * not yet finished.
         */
        private void stop(final String why, final Throwable cause, final ReadBatch[] completed,
                final ReadBatch[] finished) {
            LOG.error("{}: asynchronous reads stop ({}); reads in flight fail, later reads go the blocking way",
                    path, why, cause);
            Set<ReadBatch> failing = Collections.newSetFromMap(new IdentityHashMap<>());
            submitting.writeLock().lock();
            try {
                synchronized (this) {
                    stopped = why;
                    failing.addAll(waitingLarge);
                    waitingLarge.clear();
                }
                // io_destroy returns once the kernel has finished every read it holds: none lands in a buffer
                // after its caller was told that it failed and reused the buffer.
                ring.destroyContext(path);
                contextDestroyed = true;
                for (int slot = 0; slot < READ_WINDOW; slot++) {
                    ReadBatch batch = bySlot.getAndSet(slot, null);
                    if (batch != null) {
                        failing.add(batch);
                    }
                }
            } finally {
                submitting.writeLock().unlock();
            }
            for (ReadBatch[] taken : List.of(completed, finished)) {
                for (ReadBatch batch : taken) {
                    if (batch != null) {
                        failing.add(batch);
                    }
                }
            }
            IOException failure = new IOException(path + ": asynchronous reads stopped: " + why);
            for (ReadBatch batch : failing) {
                batch.fail(failure);
                finish(batch);
            }
        }

        /** Makes the reaper throw {@code failure} once it next reaps completions (tests). */
        void injectReaperFailure(final Error failure) {
            injectedFailure = failure;
        }

        @SuppressWarnings("checkstyle:IllegalCatch") // a callback's bug must not stop the reaper
        private void finish(final ReadBatch batch) {
            try {
                batch.done.accept(batch.failure);
            } catch (RuntimeException | Error e) {
                LOG.error("{}: a read's completion failed", path, e);
            } finally {
                calls.decrementAndGet();
            }
        }

        /** Once nothing is in flight: destroys the context, lets the reaper end, then frees the ring's memory. */
        void tearDown() {
            if (!contextDestroyed) {
                ring.destroyContext(path);
            }
            try {
                reaper.join(2 * REAPER_WAKE_NANOS / 1_000_000L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (reaper.isAlive()) {
                LOG.warn("{}: the read reaper did not end; its ring's memory is left allocated", path);
                return;
            }
            ring.arena.close();
        }
    }

    /** {@code syscall(number, a..e)}, again while a signal interrupts it (EINTR). */
    private static long retryingCall(final MemorySegment state, final long number, final long a, final long b,
            final long c, final long d, final long e) throws Throwable {
        while (true) {
            long result = (long) SYSCALL.invokeExact(state, number, a, b, c, d, e);
            if (result >= 0 || Libc.errno(state) != Libc.EINTR) {
                return result;
            }
        }
    }

    /**
     * Closes the descriptor once no {@link #writeAll} is running and no read is in flight
     * (idempotent); later ones fail.
     */
    @Override
    @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
    public void close() throws IOException {
        if (closed.getAndSet(true)) {
            return;
        }
        while (calls.get() > 0) {
            LockSupport.parkNanos(100_000);
        }
        for (Ring ring; (ring = idleRings.poll()) != null;) {
            ring.tearDown(path);
        }
        synchronized (readsSetUp) {
            if (reads != null) {
                reads.tearDown();
                reads = null;
            }
        }
        try {
            int result = (int) CLOSE.invokeExact(fd);
            if (result != 0) {
                throw new IOException(path + ": close of the asynchronous-write descriptor failed");
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(path + ": native close failed", t);
        }
    }
}
