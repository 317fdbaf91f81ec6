package io.keel.runtime.rpc;

import io.keel.runtime.time.Clock;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.function.LongConsumer;

/**
 * Reads verified frames from one channel: a {@link FrameDecoder} fed from a read buffer, except that the
 * rest of a large payload is read from the socket straight into the payload's own (direct) buffer.
 *
 * <p>Copies: a payload smaller than the direct-payload threshold is copied once, from the read buffer into
 * its own heap buffer (it must outlive the read buffer, which is reused). Of a larger payload only the bytes
 * that arrived together with its header are copied; the kernel writes the rest into the payload buffer.
 *
 * <p>Partial frames: given a clock, the reader notes when it first has to wait on the socket in the middle of a
 * frame ({@link #partialFrameSince()}), so that a server can close peers that start a frame and never finish
 * it. A frame that arrives with one read costs nothing; one that needs more reads costs one clock reading and
 * two volatile writes (note and clear), not one per read.
 *
 * <p>Not thread-safe, except {@link #partialFrameSince()}; the server hands it from one reader thread to the
 * next with a happens-before edge.
 */
final class FrameReader {

    static final int READ_BUFFER_BYTES = 64 * 1024;
    /** {@link #partialFrameSince()} while no frame is partly read (or waiting is not the peer's doing). */
    static final long NO_PARTIAL_FRAME = Long.MIN_VALUE;
    /** Below this many missing bytes one read into the read buffer is better: it may bring the next frames. */
    private static final int DIRECT_READ_MIN_BYTES = 16 * 1024;

    private final ReadableByteChannel channel;
    private final FrameDecoder decoder;
    private final LongConsumer bytesRead;
    /** Null when partial frames are not timed (the client: its server is trusted to finish frames). */
    private final Clock clock;
    /** Read by the server's sweep on another thread; written by the reader only. */
    private volatile long partialFrameSince = NO_PARTIAL_FRAME;
    /** The reader's own copy of "partialFrameSince is set", so that the hot path reads no volatile field. */
    private boolean partialFrameTimed;
    /** Always in read mode: the unread bytes are [position, limit). */
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES).flip();

    /** Asked before a payload buffer is allocated; may block, or refuse by throwing. */
    @FunctionalInterface
    interface PayloadReservation {
        /** Returns once {@code length} bytes may be allocated; throws to give up reading. */
        void reserve(int length) throws IOException;
    }

    FrameReader(final ReadableByteChannel channel, final int maxPayloadBytes, final int directPayloadThreshold,
            final LongConsumer bytesRead) {
        this(channel, maxPayloadBytes, directPayloadThreshold, bytesRead, length -> { }, null);
    }

    /**
     * @param clock times partial frames ({@link #partialFrameSince()}), or null for no timing
     */
    FrameReader(final ReadableByteChannel channel, final int maxPayloadBytes, final int directPayloadThreshold,
            final LongConsumer bytesRead, final PayloadReservation reservation, final Clock clock) {
        this.channel = channel;
        this.bytesRead = bytesRead;
        this.clock = clock;
        this.decoder = new FrameDecoder(maxPayloadBytes, length -> {
            try {
                reservation.reserve(length);
            } catch (IOException refused) {
                // The decoder's allocator cannot throw checked exceptions; next() unwraps this one.
                throw new UncheckedIOException(refused);
            }
            return length >= directPayloadThreshold ? ByteBuffer.allocateDirect(length) : ByteBuffer.allocate(length);
        });
    }

    /** True when bytes already read from the socket await decoding. */
    boolean hasBufferedBytes() {
        return readBuffer.hasRemaining();
    }

    /**
     * When the reader began waiting on the socket for the rest of the current frame, in the clock's
     * nanoseconds, or {@link #NO_PARTIAL_FRAME}. Safe to call from any thread.
     */
    long partialFrameSince() {
        return partialFrameSince;
    }

    /**
     * Stops timing the current frame until the reader next waits on the socket for it; for waits that are not
     * the peer's doing, such as the server's request budget. Reader thread only.
     */
    void suspendPartialFrameTimer() {
        if (partialFrameTimed) {
            partialFrameTimed = false;
            partialFrameSince = NO_PARTIAL_FRAME;
        }
    }

    /**
     * Blocks until the next frame is complete.
     *
     * @return the frame, or null when the peer closed the stream between frames
     * @throws RpcProtocolException when the peer broke the protocol
     * @throws EOFException when the stream ended inside a frame
     * @throws IOException also when the payload reservation refused a payload
     */
    Frame next() throws IOException {
        while (true) {
            Frame frame;
            try {
                frame = decoder.decode(readBuffer);
            } catch (UncheckedIOException refused) {
                throw refused.getCause();
            }
            if (frame != null) {
                suspendPartialFrameTimer();
                return frame;
            }
            if (!partialFrameTimed && clock != null && !decoder.isBetweenFrames()) {
                // Noted only now, right before waiting on the peer, rather than when the first byte came: in
                // between, the server may have stopped reading on purpose (in-flight limit), which is not the
                // peer's fault. When reading, the two moments are microseconds apart.
                partialFrameTimed = true;
                partialFrameSince = clock.nanoTime();
            }
            ByteBuffer payload = decoder.pendingPayload();
            int read;
            if (payload != null && payload.isDirect() && payload.remaining() >= DIRECT_READ_MIN_BYTES) {
                read = channel.read(payload);
            } else {
                readBuffer.clear();
                read = channel.read(readBuffer);
                readBuffer.flip();
            }
            if (read < 0) {
                if (decoder.isBetweenFrames()) {
                    return null;
                }
                throw new EOFException("the peer closed the connection in the middle of a frame");
            }
            bytesRead.accept(read);
        }
    }
}
