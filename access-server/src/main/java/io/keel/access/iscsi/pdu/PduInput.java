package io.keel.access.iscsi.pdu;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;

/**
 * The received bytes of one connection as {@link PduCodec} reads them: a read-ahead buffer over a
 * blocking channel, from which a data segment can also go straight into a buffer of the caller's
 * (a WRITE's lent direct buffer: the socket's bytes land there with one copy, the kernel's). Not
 * thread-safe: one reader at a time, handing over with a happens-before edge.
 */
public final class PduInput {

    private final ReadableByteChannel channel;
    private final Runnable beforeChannelRead;
    /** Read-ahead: the bytes from position to limit are received and not yet consumed. */
    private final ByteBuffer ahead;

    /**
     * Reads {@code channel} (blocking), at most {@code readAhead} bytes at a time into its own buffer;
     * {@code beforeChannelRead} runs before every read of the channel, which may wait.
     */
    public PduInput(final ReadableByteChannel channel, final Runnable beforeChannelRead, final int readAhead) {
        this.channel = channel;
        this.beforeChannelRead = beforeChannelRead;
        // Direct: the channel fills it without the JDK staging the bytes in a temporary direct buffer first.
        this.ahead = ByteBuffer.allocateDirect(readAhead).limit(0);
    }

    /** Input over a stream (tests, tools): no hook before reads. */
    public static PduInput of(final InputStream stream) {
        return new PduInput(Channels.newChannel(stream), () -> { }, 64 * 1024);
    }

    /** Bytes received and not consumed yet (no system call). */
    public int buffered() {
        return ahead.remaining();
    }

    /** The next byte, or -1 at the end of the stream. */
    public int read() throws IOException {
        if (!ahead.hasRemaining() && !fill()) {
            return -1;
        }
        return ahead.get() & 0xff;
    }

    /** Exactly {@code length} bytes into {@code array} from {@code offset}. */
    public void readFully(final byte[] array, final int offset, final int length) throws IOException {
        int done = 0;
        while (done < length) {
            if (!ahead.hasRemaining() && !fill()) {
                throw closedInside();
            }
            int n = Math.min(length - done, ahead.remaining());
            ahead.get(array, offset + done, n);
            done += n;
        }
    }

    /**
     * Fills {@code destination}'s remaining bytes: what is read ahead is copied, the rest is read
     * from the channel into it directly.
     */
    public void readFully(final ByteBuffer destination) throws IOException {
        if (ahead.hasRemaining()) {
            int n = Math.min(destination.remaining(), ahead.remaining());
            destination.put(destination.position(), ahead, ahead.position(), n);
            destination.position(destination.position() + n);
            ahead.position(ahead.position() + n);
        }
        while (destination.hasRemaining()) {
            beforeChannelRead.run();
            if (channel.read(destination) < 0) {
                throw closedInside();
            }
        }
    }

    /** Consumes {@code length} bytes without keeping them. */
    public void skipFully(final long length) throws IOException {
        long left = length;
        while (left > 0) {
            if (!ahead.hasRemaining() && !fill()) {
                throw closedInside();
            }
            int n = (int) Math.min(left, ahead.remaining());
            ahead.position(ahead.position() + n);
            left -= n;
        }
    }

    /** Reads what the channel has (at least one byte) into the empty read-ahead buffer; false at its end. */
    private boolean fill() throws IOException {
        ahead.clear();
        int n;
        do {
            beforeChannelRead.run();
            n = channel.read(ahead);
        } while (n == 0);
        ahead.flip();
        return n > 0;
    }

    private static EOFException closedInside() {
        return new EOFException("connection closed inside a PDU");
    }
}
