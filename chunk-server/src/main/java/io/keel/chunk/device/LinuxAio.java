package io.keel.chunk.device;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
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
 */
final class LinuxAio implements AutoCloseable {

    /**
     * Writes in flight at most per {@link #writeAll}: as many as the 16 writer threads the apply
     * pass had; 32 to 256 measured no better, 4 worse (docs/benchmarks.md).
     */
    static final int WINDOW = 16;
    /** Completions reaped per wait while more writes are queued: submissions and wake-ups come in groups. */
    private static final int REAP_GROUP = 8;
    private static final short IOCB_CMD_PREAD = 0;
    private static final short IOCB_CMD_PWRITE = 1;
    private static final int IOCB_BYTES = 64;
    private static final int EVENT_BYTES = 32;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;

    private static final Logger LOG = LoggerFactory.getLogger(LinuxAio.class);
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
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
                open = downcall("open", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2),
                        Linker.Option.captureCallState("errno"));
                close = downcall("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                // long syscall(long number, ...): every argument here is passed as a long.
                syscall = downcall("syscall", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG), Linker.Option.firstVariadicArg(1),
                        Linker.Option.captureCallState("errno"));
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
    /** {@link #writeAll} calls running; {@link #close} waits for them. */
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ConcurrentLinkedDeque<Ring> idleRings = new ConcurrentLinkedDeque<>();

    private LinuxAio(final Path path, final int fd) {
        this.path = path;
        this.fd = fd;
    }

    @SuppressWarnings("restricted")
    private static MethodHandle downcall(final String name, final FunctionDescriptor descriptor,
            final Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
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
            MemorySegment state = arena.allocate(CALL_STATE);
            int flags = 2 /* O_RDWR */ | 0x80000 /* O_CLOEXEC */ | SYSCALLS.openDirect();
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path.toString()), flags, 0);
            if (fd < 0) {
                throw new IOException(path + ": cannot open for asynchronous direct writes (errno "
                        + errno(state) + ")");
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

        private Ring(final Arena arena, final long context, final MemorySegment state) {
            this.arena = arena;
            this.context = context;
            this.state = state;
            this.iocbs = arena.allocate((long) IOCB_BYTES * WINDOW, 8);
            this.pointers = arena.allocate((long) Long.BYTES * WINDOW, 8);
            this.events = arena.allocate((long) EVENT_BYTES * WINDOW, 8);
        }

        /** A new context for {@link #WINDOW} writes; null when the kernel has none to spare (EAGAIN). */
        static Ring setUp(final Path path) throws Throwable {
            Arena arena = Arena.ofShared();
            try {
                MemorySegment state = arena.allocate(CALL_STATE);
                MemorySegment contextId = arena.allocate(ValueLayout.JAVA_LONG);
                long setup = retryingCall(state, SYSCALLS.setup(), WINDOW, contextId.address(), 0, 0, 0);
                if (setup < 0) {
                    int errno = errno(state);
                    arena.close();
                    if (errno == EAGAIN) {
                        return null;
                    }
                    throw new IOException(path + ": io_setup for " + WINDOW + " writes failed (errno " + errno + ")");
                }
                return new Ring(arena, contextId.get(ValueLayout.JAVA_LONG, 0), state);
            } catch (IOException | RuntimeException | Error e) {
                if (arena.scope().isAlive()) {
                    arena.close();
                }
                throw e;
            }
        }

        /** Destroys the context (waiting for whatever is still in flight on it) and frees its memory. */
        @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
        void tearDown(final Path path) {
            try {
                long destroyed = (long) SYSCALL.invokeExact(state, SYSCALLS.destroy(), context, 0L, 0L, 0L, 0L);
                if (destroyed < 0) {
                    LOG.warn("{}: io_destroy failed (errno {})", path, errno(state));
                }
            } catch (Throwable t) {
                LOG.warn("{}: io_destroy failed", path, t);
            } finally {
                arena.close();
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
                MemorySegment iocb = ring.iocbs.asSlice((long) IOCB_BYTES * slot, IOCB_BYTES).fill((byte) 0);
                iocb.set(ValueLayout.JAVA_LONG, 0, ((long) next << 32) | slot); // aio_data: piece and slot
                iocb.set(ValueLayout.JAVA_SHORT, 16, opcode);
                iocb.set(ValueLayout.JAVA_INT, 20, fd);
                iocb.set(ValueLayout.JAVA_LONG, 24, AlignedBuffers.addressAtPosition(write.source()));
                iocb.set(ValueLayout.JAVA_LONG, 32, write.source().remaining());
                iocb.set(ValueLayout.JAVA_LONG, 40, write.position());
                ring.pointers.setAtIndex(ValueLayout.JAVA_LONG, count++, iocb.address());
                next++;
            }
            int submitted = 0;
            while (submitted < count) {
                long n = retryingCall(ring.state, SYSCALLS.submit(), ring.context, count - submitted,
                        ring.pointers.address() + (long) Long.BYTES * submitted, 0, 0);
                if (n <= 0) {
                    // Nothing more was taken: give the rest back unsubmitted and fail once the others are in.
                    int errno = n < 0 ? errno(ring.state) : 0;
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
                throw new IOException(path + ": io_getevents failed (errno " + errno(ring.state) + ") with " + inFlight
                        + " writes in flight");
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

    /** {@code syscall(number, a..e)}, again while a signal interrupts it (EINTR). */
    private static long retryingCall(final MemorySegment state, final long number, final long a, final long b,
            final long c, final long d, final long e) throws Throwable {
        while (true) {
            long result = (long) SYSCALL.invokeExact(state, number, a, b, c, d, e);
            if (result >= 0 || errno(state) != EINTR) {
                return result;
            }
        }
    }

    /** Closes the descriptor once no {@link #writeAll} is running (idempotent); later ones fail. */
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

    private static int errno(final MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }
}
