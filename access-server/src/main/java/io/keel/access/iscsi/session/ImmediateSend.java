package io.keel.access.iscsi.session;

import io.keel.access.iscsi.pdu.PduWriter;
import io.keel.runtime.platform.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes to one connection's socket only what the socket takes at once ({@code sendmsg} with
 * {@code MSG_DONTWAIT}), for threads that must never wait on an initiator: a device's completion
 * thread and a journal's committer send the responses they finish themselves while the socket has
 * room, and leave the rest to a thread that may wait (see {@link Connection}). Handing every group of
 * responses to another thread cost a wake-up each: about 9 % of QD32 reads and 2-4 % of QD32 writes
 * (docs/benchmarks.md). Linux on x86-64 or AArch64 with the socket's descriptor readable
 * ({@link SocketDescriptor}); elsewhere {@link #of} returns null and responses go by that other thread.
 */
final class ImmediateSend implements PduWriter.ImmediateWrite {

    private static final Logger LOG = LoggerFactory.getLogger(ImmediateSend.class);
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** {@code struct msghdr} on LP64 Linux: msg_iov at 16, msg_iovlen at 24, 56 bytes in all. */
    private static final long MSGHDR_BYTES = 56;
    private static final long MSG_IOV = 16;
    private static final long MSG_IOVLEN = 24;
    /** {@code struct iovec}: base, then length. */
    private static final long IOVEC_BYTES = 16;
    private static final MethodHandle SENDMSG = bind();

    private final int fd;
    /** Held (shared) by each send, (exclusively) by {@link #close}: the descriptor is never used once closed. */
    private final ReentrantReadWriteLock guard = new ReentrantReadWriteLock();
    private boolean closed;

    private ImmediateSend(final int fd) {
        this.fd = fd;
    }

    private static MethodHandle bind() {
        if (!Libc.linux64() || !SocketDescriptor.available()) {
            return null;
        }
        try {
            return Libc.functionSettingErrno("sendmsg", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        } catch (IllegalCallerException | UnsupportedOperationException | IllegalStateException e) {
            LOG.info("responses finished on threads that must not wait go by another thread: {}", e.toString());
            return null;
        }
    }

    /** Immediate sends on {@code channel}, or null where they are not available. */
    static ImmediateSend of(final SocketChannel channel) {
        if (SENDMSG == null) {
            return null;
        }
        int fd = SocketDescriptor.of(channel);
        return fd < 0 ? null : new ImmediateSend(fd);
    }

    @Override
    @SuppressWarnings("checkstyle:IllegalCatch") // MethodHandle.invokeExact declares Throwable
    public long writeNow(final ByteBuffer[] parts, final int first, final int count) throws IOException {
        if (!guard.readLock().tryLock()) {
            return 0; // closing: the writer that may wait finds the channel closed
        }
        try (Arena arena = Arena.ofConfined()) {
            if (closed) {
                throw new ClosedChannelException();
            }
            MemorySegment iov = arena.allocate(IOVEC_BYTES * count, 8);
            for (int i = 0; i < count; i++) {
                MemorySegment part = MemorySegment.ofBuffer(parts[first + i]);
                iov.set(ValueLayout.JAVA_LONG, IOVEC_BYTES * i, part.address());
                iov.set(ValueLayout.JAVA_LONG, IOVEC_BYTES * i + 8, part.byteSize());
            }
            MemorySegment message = arena.allocate(MSGHDR_BYTES, 8);
            message.set(ValueLayout.ADDRESS, MSG_IOV, iov);
            message.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, count);
            MemorySegment state = Libc.callState(arena);
            long written;
            try {
                written = (long) SENDMSG.invokeExact(state, fd, message, MSG_DONTWAIT | MSG_NOSIGNAL);
            } catch (Throwable t) {
                throw new IOException("sendmsg failed: " + t, t);
            }
            if (written < 0) {
                int errno = Libc.errno(state);
                if (errno == Libc.EAGAIN || errno == Libc.EINTR || errno == Libc.ENOBUFS || errno == Libc.ENOMEM) {
                    return 0; // nothing sent: the writer that may wait tries again
                }
                throw new IOException("sendmsg failed: errno " + errno);
            }
            advance(parts, first, count, written);
            return written;
        } finally {
            guard.readLock().unlock();
        }
    }

    private static void advance(final ByteBuffer[] parts, final int first, final int count, final long written) {
        long left = written;
        for (int i = first; i < first + count && left > 0; i++) {
            int taken = (int) Math.min(parts[i].remaining(), left);
            parts[i].position(parts[i].position() + taken);
            left -= taken;
        }
    }

    /** No send uses the descriptor after this returns (it waits for one in progress, which never waits). */
    void close() {
        guard.writeLock().lock();
        try {
            closed = true;
        } finally {
            guard.writeLock().unlock();
        }
    }
}
