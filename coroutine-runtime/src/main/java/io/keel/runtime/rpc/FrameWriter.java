package io.keel.runtime.rpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;

/**
 * Writes the frames of many threads to one socket without interleaving their bytes, batching them when
 * threads contend.
 *
 * <p>Every sender queues its frame and then tries to become the writer. The writer writes everything queued,
 * its own frame and those of senders who found the writer role taken, in one gathering write per batch;
 * those senders return at once. A lone sender therefore writes immediately on its own thread, while 64
 * concurrent senders share a few system calls. After giving up the role, the writer looks at the queue
 * again: a frame queued while it was writing is never stranded.
 *
 * <p>Whose thread writes: JDK channels close themselves when a thread blocked in them is interrupted, and
 * Keel cancels tasks by interrupting them, so a sender's thread must not sit in a socket write that can
 * block. Senders write only while the socket keeps up; an interrupted sender, a congested socket (the last
 * batch needed more than one write call) or a sender that has already written {@value #ROUNDS_ON_SENDER}
 * batches for others hands the role to a virtual thread of the writer's own, which nobody interrupts. What
 * remains is an interrupt that lands during a sender's own non-blocking write, a few microseconds per call: it
 * still closes the connection. Closing that window too would take a handoff to the writer's thread on every
 * call, which is the latency a lone sender writing for itself exists to avoid.
 *
 * <p>Copies: headers, and payloads up to {@value #COALESCE_MAX_BYTES} bytes, are packed into one direct
 * staging buffer (the JDK would copy heap buffers into a direct buffer anyway, and one iovec beats many);
 * larger payloads are handed to the kernel as they are. A larger <em>heap</em> payload is still copied once
 * by the JDK into a temporary direct buffer; senders of bulk data avoid that by using direct buffers.
 */
final class FrameWriter {

    static final int COALESCE_MAX_BYTES = 8 * 1024;
    private static final int STAGING_BYTES = 64 * 1024;
    private static final int MAX_FRAMES_PER_BATCH = 256;
    /** Well under the kernel's IOV_MAX (1024). */
    private static final int MAX_GATHER = 512;
    private static final int ROUNDS_ON_SENDER = 4;

    private final GatheringByteChannel channel;
    private final Consumer<IOException> onWriteFailure;
    private final LongConsumer bytesWritten;
    private final ConcurrentLinkedQueue<OutboundFrame> queue = new ConcurrentLinkedQueue<>();
    /** The writer role; unlike a lock it can be handed from a sender's thread to the writer's own. */
    private final AtomicBoolean writing = new AtomicBoolean();
    private volatile boolean congested;
    private volatile boolean closed;

    // Owned by the holder of the writer role.
    private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING_BYTES);
    private final byte[] headerScratch = new byte[FrameCodec.HEADER_BYTES];
    private final CRC32C headerCrc = new CRC32C();
    private final OutboundFrame[] batch = new OutboundFrame[MAX_FRAMES_PER_BATCH];
    /** Where each frame of the batch ends, counted in bytes from the start of the batch. */
    private final long[] frameEnds = new long[MAX_FRAMES_PER_BATCH];
    private final ByteBuffer[] gather = new ByteBuffer[MAX_GATHER];
    private int gatherCount;
    private int segmentStart;
    private boolean shortWriteInBatch;
    private int framesAppended;
    private int framesSettled;
    private long batchBytesAppended;
    private long batchBytesWritten;

    /**
     * @param channel a connected, blocking channel
     * @param onWriteFailure told about the first failed write; expected to close the connection
     * @param bytesWritten told how many bytes each write system call took
     */
    FrameWriter(final GatheringByteChannel channel, final Consumer<IOException> onWriteFailure,
            final LongConsumer bytesWritten) {
        this.channel = channel;
        this.onWriteFailure = onWriteFailure;
        this.bytesWritten = bytesWritten;
    }

    /**
     * Queues {@code frame} and writes it now unless another thread holds the writer role, which then writes
     * it. Returns without waiting for the bytes to leave; {@link OutboundFrame#awaitSettled} waits.
     */
    void send(final OutboundFrame frame) {
        enqueue(frame);
        flush();
    }

    /**
     * Queues {@code frame} for the writer's own thread: unlike {@link #send}, the calling thread never enters a
     * socket write, so it can wait for the frame with a deadline even when the peer has stopped reading.
     */
    void sendInBackground(final OutboundFrame frame) {
        enqueue(frame);
        if (!closed && writing.compareAndSet(false, true)) {
            startWriterThread();
        }
    }

    /** Queues {@code frame} without writing; frames go out in queue order. */
    void enqueue(final OutboundFrame frame) {
        queue.offer(frame);
        if (closed) {
            failQueued();
        }
    }

    /** Writes what is queued unless another thread holds the writer role, which then writes it. */
    void flush() {
        if (!closed && writing.compareAndSet(false, true)) {
            writeAsOwner(true);
        }
    }

    /** Refuses further frames and fails every frame still queued; a batch being written fails on its own. */
    void close() {
        closed = true;
        failQueued();
    }

    /** Writes while holding the writer role, then gives it up; {@code onSender}: on a sender's thread. */
    private void writeAsOwner(final boolean onSender) {
        int rounds = 0;
        while (true) {
            while (!queue.isEmpty() && !closed) {
                if (onSender && (rounds == ROUNDS_ON_SENDER || congested
                        || Thread.currentThread().isInterrupted())) {
                    startWriterThread();
                    return;
                }
                writeBatch();
                rounds++;
            }
            writing.set(false);
            if (closed) {
                failQueued();
                return;
            }
            // A frame queued after our last look found the role taken; it is ours to write.
            if (queue.isEmpty() || !writing.compareAndSet(false, true)) {
                return;
            }
        }
    }

    /** Hands the writer role, already held, to a virtual thread of the writer's own. */
    private void startWriterThread() {
        Thread.ofVirtual().name("rpc-writer").start(() -> writeAsOwner(false));
    }

    private void failQueued() {
        OutboundFrame frame;
        while ((frame = queue.poll()) != null) {
            frame.failIfQueued();
        }
    }

    private void writeBatch() {
        int count = 0;
        OutboundFrame frame;
        while (count < MAX_FRAMES_PER_BATCH && (frame = queue.poll()) != null) {
            if (frame.take()) {
                batch[count++] = frame;
            }
        }
        if (count == 0) {
            return;
        }
        try {
            staging.clear();
            segmentStart = 0;
            gatherCount = 0;
            shortWriteInBatch = false;
            framesAppended = 0;
            framesSettled = 0;
            batchBytesAppended = 0;
            batchBytesWritten = 0;
            for (int i = 0; i < count; i++) {
                append(batch[i]);
            }
            flushGather();
            // A short write means the socket buffer filled up: the next write could block, keep senders off it.
            congested = shortWriteInBatch;
        } catch (IOException failure) {
            closed = true;
            onWriteFailure.accept(failure);
        } finally {
            // Frames whose bytes all left were settled as written by flushGather; these never fully left.
            while (framesSettled < count) {
                batch[framesSettled++].settle(false);
            }
            for (int i = 0; i < count; i++) {
                batch[i] = null;
            }
            for (int i = 0; i < gatherCount; i++) {
                gather[i] = null;
            }
            gatherCount = 0;
        }
    }

    private void append(final OutboundFrame frame) throws IOException {
        batchBytesAppended += FrameCodec.HEADER_BYTES + frame.payloadLength;
        frameEnds[framesAppended++] = batchBytesAppended;
        if (staging.remaining() < FrameCodec.HEADER_BYTES || gatherCount + 2 > MAX_GATHER) {
            flushGather();
        }
        FrameCodec.encodeHeader(headerScratch, FrameCodec.WRITE_VERSION, frame.kind, frame.requestId, frame.code,
                frame.payloadLength, frame.payloadCrc, headerCrc);
        staging.put(headerScratch);
        if (frame.payloadLength <= COALESCE_MAX_BYTES && frame.payloadLength <= staging.remaining()) {
            for (ByteBuffer part : frame.payload) {
                staging.put(part);
            }
            return;
        }
        closeSegment();
        for (ByteBuffer part : frame.payload) {
            if (!part.hasRemaining()) {
                continue;
            }
            if (gatherCount == MAX_GATHER) {
                flushGather();
            }
            gather[gatherCount++] = part;
        }
    }

    /**
     * Settles, as written, every frame whose last byte has now reached the socket. A frame counts by its own
     * bytes, not its batch's: once whole in the socket it may run on the peer even if a later write of the
     * batch fails, and the client must then not send it again.
     */
    private void settleWrittenFrames(final long written) {
        batchBytesWritten += written;
        while (framesSettled < framesAppended && frameEnds[framesSettled] <= batchBytesWritten) {
            batch[framesSettled++].settle(true);
        }
    }

    /** Adds the staged bytes not yet referenced by the gather list to it. */
    private void closeSegment() {
        int end = staging.position();
        if (end > segmentStart) {
            gather[gatherCount++] = staging.slice(segmentStart, end - segmentStart);
            segmentStart = end;
        }
    }

    private void flushGather() throws IOException {
        closeSegment();
        int offset = 0;
        while (offset < gatherCount) {
            long written = channel.write(gather, offset, gatherCount - offset);
            bytesWritten.accept(written);
            settleWrittenFrames(written);
            while (offset < gatherCount && !gather[offset].hasRemaining()) {
                gather[offset++] = null;
            }
            shortWriteInBatch |= offset < gatherCount;
        }
        gatherCount = 0;
        staging.clear();
        segmentStart = 0;
    }
}
