package io.keel.access.iscsi.session;

import io.keel.runtime.platform.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the sockets of connections whose reader thread is busy running a command (a command alone
 * in its session runs on the thread that read it, see {@link Connection}): as soon as a byte arrives
 * on such a socket, reading moves to another thread, so task management requests and further
 * commands are never held up behind the command; while nothing arrives, which is every command at
 * queue depth 1, no thread is woken. Handing reading to another thread for every such command
 * instead cost 30-40 µs per QD1 command on a 2-vCPU machine (docs/benchmarks.md).
 *
 * <p>One epoll instance and one platform thread per portal. Linux on x86-64 or AArch64 only, and
 * only where a socket channel's descriptor can be read ({@code --add-opens
 * java.base/sun.nio.ch=ALL-UNNAMED}); elsewhere {@link #open} returns null and a busy reader hands
 * reading on at once.
 */
public final class BusyReaderWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BusyReaderWatch.class);
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLL_CTL_MOD = 3;
    private static final int EPOLLIN = 0x001;
    private static final int EPOLLRDHUP = 0x2000;
    private static final int EPOLLONESHOT = 1 << 30;
    private static final int CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int MAX_EVENTS = 64;
    /** The event data of the descriptor that wakes the watcher to close it. */
    private static final long WAKE_UP = 0;
    private static final long CLOSE_WAIT_MILLIS = 5_000;

    /** {@code struct epoll_event}: packed on x86-64 (12 bytes, data at 4), naturally aligned elsewhere (16, at 8). */
    private static final int EVENT_BYTES;
    private static final int EVENT_DATA_OFFSET;
    private static final MethodHandle EPOLL_CREATE1;
    private static final MethodHandle EPOLL_CTL;
    private static final MethodHandle EPOLL_WAIT;
    private static final MethodHandle EVENTFD;
    private static final MethodHandle WRITE;
    private static final MethodHandle CLOSE;

    static {
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        boolean supported = Libc.linux64();
        EVENT_BYTES = x86 ? 12 : 16;
        EVENT_DATA_OFFSET = x86 ? 4 : 8;
        MethodHandle create = null;
        MethodHandle control = null;
        MethodHandle await = null;
        MethodHandle eventFd = null;
        MethodHandle write = null;
        MethodHandle close = null;
        if (supported) {
            try {
                create = Libc.function("epoll_create1",
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                control = Libc.function("epoll_ctl", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
                await = Libc.functionSettingErrno("epoll_wait", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                eventFd = Libc.function("eventfd",
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                write = Libc.function("write", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                close = Libc.function("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                if (!SocketDescriptor.available()) {
                    throw new UnsupportedOperationException("a socket channel's descriptor cannot be read");
                }
            } catch (IllegalCallerException | UnsupportedOperationException | IllegalStateException e) {
                LOG.info("busy readers hand reading on at once: {} (see BusyReaderWatch)", e.toString());
                create = null;
            }
        }
        EPOLL_CREATE1 = create;
        EPOLL_CTL = control;
        EPOLL_WAIT = await;
        EVENTFD = eventFd;
        WRITE = write;
        CLOSE = close;
    }

    private final int epoll;
    private final int wakeUp;
    private final Map<Long, Watch> watches = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong(WAKE_UP);
    private final ThreadLocal<MemorySegment> eventBuffers =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(EVENT_BYTES, 8));
    private final Thread watcher;
    private volatile boolean closed;

    private BusyReaderWatch(final int epoll, final int wakeUp) throws Throwable {
        this.epoll = epoll;
        this.wakeUp = wakeUp;
        if (control(EPOLL_CTL_ADD, wakeUp, EPOLLIN, WAKE_UP) != 0) {
            throw new IllegalStateException("epoll_ctl of the wake-up descriptor failed");
        }
        this.watcher = Thread.ofPlatform().daemon().name("iscsi-busy-readers").start(this::watch);
    }

    /**
     * A new watch with its watcher thread; null where it is not available (then readers hand off at
     * once, as without it).
     */
    @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
    public static BusyReaderWatch open() {
        if (EPOLL_CREATE1 == null) {
            return null;
        }
        int epoll = -1;
        int wakeUp = -1;
        try {
            epoll = (int) EPOLL_CREATE1.invokeExact(CLOEXEC);
            wakeUp = (int) EVENTFD.invokeExact(0, CLOEXEC | EFD_NONBLOCK);
            if (epoll < 0 || wakeUp < 0) {
                throw new IllegalStateException("epoll_create1 or eventfd failed");
            }
            return new BusyReaderWatch(epoll, wakeUp);
        } catch (Throwable t) {
            LOG.warn("busy readers hand reading on at once: no epoll instance ({})", t.toString());
            closeQuietly(wakeUp);
            closeQuietly(epoll);
            return null;
        }
    }

    /**
     * Watches {@code channel} (disarmed); {@code takeOver} starts another reader when a byte arrives
     * while the watch is armed. It runs on the watcher thread, so it only starts that reader and
     * returns. Null when the channel's descriptor cannot be watched.
     */
    Watch register(final SocketChannel channel, final Runnable takeOver) {
        int fd = SocketDescriptor.of(channel);
        if (fd < 0) {
            return null;
        }
        long id = ids.incrementAndGet();
        Watch watch = new Watch(id, fd, takeOver);
        watches.put(id, watch);
        if (closed || control(EPOLL_CTL_ADD, fd, EPOLLONESHOT, id) != 0) {
            watches.remove(id);
            return null;
        }
        return watch;
    }

    /** {@code epoll_ctl}; 0 or -1. */
    @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
    private int control(final int operation, final int fd, final int events, final long data) {
        MemorySegment event = eventBuffers.get();
        event.set(ValueLayout.JAVA_INT, 0, events);
        event.set(ValueLayout.JAVA_LONG_UNALIGNED, EVENT_DATA_OFFSET, data);
        try {
            return (int) EPOLL_CTL.invokeExact(epoll, operation, fd, event);
        } catch (Throwable t) {
            return -1;
        }
    }

    @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
    private void watch() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate((long) EVENT_BYTES * MAX_EVENTS, 8);
            MemorySegment state = Libc.callState(arena);
            while (!closed) {
                int n = (int) EPOLL_WAIT.invokeExact(state, epoll, events, MAX_EVENTS, -1);
                if (n < 0) {
                    int errno = Libc.errno(state);
                    if (errno == Libc.EINTR) {
                        continue;
                    }
                    LOG.error("epoll_wait failed (errno {}); busy readers no longer hand reading on", errno);
                    return;
                }
                for (int k = 0; k < n; k++) {
                    long id = events.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) EVENT_BYTES * k + EVENT_DATA_OFFSET);
                    Watch watch = watches.get(id);
                    if (watch != null) {
                        watch.handOn();
                    }
                }
            }
        } catch (Throwable t) {
            LOG.error("the busy-reader watch failed; busy readers no longer hand reading on", t);
        }
    }

    /** Stops the watcher and closes the epoll instance (connections still registered are left to close). */
    @Override
    @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1);
            long written = (long) WRITE.invokeExact(wakeUp, one, 8L);
            if (written == 8) {
                watcher.join(CLOSE_WAIT_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            LOG.debug("waking the busy-reader watch failed", t);
        }
        // The descriptors are closed only once the watcher left epoll_wait: a number closed under it
        // could be reused by another epoll instance of this process.
        if (watcher.isAlive()) {
            LOG.warn("the busy-reader watch did not stop; its epoll descriptors are left open");
            return;
        }
        closeQuietly(wakeUp);
        closeQuietly(epoll);
    }

    @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
    private static void closeQuietly(final int fd) {
        if (fd < 0) {
            return;
        }
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            LOG.debug("close of descriptor {} failed", fd, t);
        }
    }

    /**
     * One connection's socket. Its reader arms the watch before it runs a command and disarms it after;
     * a byte arriving in between hands reading on, exactly once per arming. The state is a generation
     * (shifted left by one) and an armed bit: a hand-off moves to the next generation, so a reader
     * whose disarm fails knows another thread reads now, and a late event of an earlier arming finds
     * the watch disarmed (or hands on a newer arming early, which is merely the old behaviour).
     */
    final class Watch {
        private final long id;
        private final int fd;
        private final Runnable takeOver;
        private final AtomicLong state = new AtomicLong();
        /** Set once, before the channel closes; guarded by this. */
        private boolean unregistered;

        private Watch(final long id, final int fd, final Runnable takeOver) {
            this.id = id;
            this.fd = fd;
            this.takeOver = takeOver;
        }

        /** Arms the watch (reader thread, watch disarmed); the token for {@link #disarm}, or -1 if it cannot. */
        long arm() {
            long armed = state.get() | 1;
            state.set(armed);
            // Level-triggered: bytes that arrived before this call report at once.
            if (modify(EPOLLIN | EPOLLRDHUP | EPOLLONESHOT) != 0) {
                state.compareAndSet(armed, armed & ~1L);
                return -1;
            }
            return armed;
        }

        /** True if this reader still owns reading (the watch is disarmed again); false if it was handed on. */
        boolean disarm(final long token) {
            if (!state.compareAndSet(token, token & ~1L)) {
                return false;
            }
            modify(EPOLLONESHOT);
            return true;
        }

        /**
         * Forgets the socket; before its channel closes, so that its number is never watched once reused
         * (by then no arming touches the number: it might be another connection's).
         */
        synchronized void unregister() {
            if (unregistered) {
                return;
            }
            unregistered = true;
            watches.remove(id);
            control(EPOLL_CTL_DEL, fd, 0, id);
        }

        private synchronized int modify(final int events) {
            return unregistered ? -1 : control(EPOLL_CTL_MOD, fd, events, id);
        }

        private void handOn() {
            long current = state.get();
            if ((current & 1) == 0 || !state.compareAndSet(current, (current + 2) & ~1L)) {
                return;
            }
            try {
                takeOver.run();
            } catch (RuntimeException e) {
                LOG.error("handing a busy reader's reading on failed", e);
            }
        }
    }
}
