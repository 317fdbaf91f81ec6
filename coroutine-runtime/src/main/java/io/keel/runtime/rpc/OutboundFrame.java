package io.keel.runtime.rpc;

import io.keel.runtime.time.Deadline;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

/**
 * One frame waiting to be written by a {@link FrameWriter}, and the record of what became of it.
 *
 * <p>The payload is held as duplicates of the sender's buffers, so the sender's positions never move and one
 * buffer may be sent by many threads at once; the bytes themselves are not copied. The sender must not change
 * the bytes until the frame is settled (written, failed or cancelled).
 */
final class OutboundFrame {

    private static final int QUEUED = 0;
    private static final int TAKEN = 1;
    private static final int WRITTEN = 2;
    private static final int FAILED = 3;
    private static final int CANCELLED = 4;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(OutboundFrame.class, "state", int.class);
        } catch (ReflectiveOperationException impossible) {
            throw new ExceptionInInitializerError(impossible);
        }
    }

    final FrameKind kind;
    final int code;
    /** Set before the frame is queued; the queue publishes it to the writer. */
    long requestId;
    final ByteBuffer[] payload;
    final int payloadLength;
    final int payloadCrc;

    private volatile int state;
    private volatile Thread waiter;

    private OutboundFrame(final FrameKind kind, final int code, final long requestId, final ByteBuffer[] payload,
            final int payloadLength, final int payloadCrc) {
        this.kind = kind;
        this.code = code;
        this.requestId = requestId;
        this.payload = payload;
        this.payloadLength = payloadLength;
        this.payloadCrc = payloadCrc;
    }

    /** A frame carrying the remaining bytes of {@code buffers}, checksummed now, on the sender's thread. */
    static OutboundFrame of(final FrameKind kind, final int code, final long requestId, final ByteBuffer... buffers) {
        ByteBuffer[] views = new ByteBuffer[buffers.length];
        CRC32C crc = new CRC32C();
        long length = 0;
        for (int i = 0; i < buffers.length; i++) {
            ByteBuffer view = buffers[i].duplicate();
            int start = view.position();
            crc.update(view);
            view.position(start);
            views[i] = view;
            length += view.remaining();
        }
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("payload of " + length + " bytes cannot be framed");
        }
        return new OutboundFrame(kind, code, requestId, views, (int) length, (int) crc.getValue());
    }

    /** The writer claims the frame; false when the sender withdrew it first. */
    boolean take() {
        return STATE.compareAndSet(this, QUEUED, TAKEN);
    }

    /** The sender withdraws a frame no writer has claimed yet; false when it is already on its way. */
    boolean cancel() {
        return STATE.compareAndSet(this, QUEUED, CANCELLED);
    }

    /** True while a writer has claimed the frame and not all of it has reached the socket. */
    boolean isBeingWritten() {
        return state == TAKEN;
    }

    /** Fails a frame no writer claimed (the connection closed under it). */
    void failIfQueued() {
        if (STATE.compareAndSet(this, QUEUED, FAILED)) {
            wakeWaiter();
        }
    }

    /** The writer reports the end of a claimed frame. */
    void settle(final boolean written) {
        state = written ? WRITTEN : FAILED;
        wakeWaiter();
    }

    /**
     * Blocks until the frame is settled, so that the caller may reuse the payload buffers.
     *
     * @return true when all of the frame reached the socket
     */
    boolean awaitSettled() {
        int current = state;
        if (current != QUEUED && current != TAKEN) {
            return current == WRITTEN;
        }
        waiter = Thread.currentThread();
        boolean interrupted = false;
        while ((current = state) == QUEUED || current == TAKEN) {
            LockSupport.park(this);
            // The writer reads the caller's buffers until it settles the frame, so the wait cannot be cut short.
            interrupted |= Thread.interrupted();
        }
        waiter = null;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return current == WRITTEN;
    }

    /**
     * Like {@link #awaitSettled()}, but gives up at {@code deadline} (whose clock must run in real time).
     *
     * @return true when all of the frame reached the socket in time
     */
    boolean awaitSettled(final Deadline deadline) {
        waiter = Thread.currentThread();
        int current;
        while (((current = state) == QUEUED || current == TAKEN) && !deadline.isExpired()) {
            LockSupport.parkNanos(this, deadline.remainingNanos());
        }
        waiter = null;
        return current == WRITTEN;
    }

    /**
     * Withdraws the frame if still queued, else waits until the writer is done with it.
     *
     * @return true when the whole frame reached the socket (a partly written frame cannot run on the peer)
     */
    boolean cancelOrAwait() {
        return !cancel() && awaitSettled();
    }

    private void wakeWaiter() {
        Thread parked = waiter;
        if (parked != null) {
            LockSupport.unpark(parked);
        }
    }
}
