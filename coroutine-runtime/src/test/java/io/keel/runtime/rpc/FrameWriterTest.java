package io.keel.runtime.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.GatheringByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class FrameWriterTest {

    /** Records what is written, a few bytes short of everything per call, and can block the first write. */
    static final class RecordingChannel implements GatheringByteChannel {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final AtomicInteger writeCalls = new AtomicInteger();
        final List<Thread> writers = new CopyOnWriteArrayList<>();
        final CountDownLatch firstWriteEntered = new CountDownLatch(1);
        volatile CountDownLatch gate;
        volatile boolean open = true;
        /** When positive, the write call with this number (1 = first) fails as a reset connection would. */
        volatile int failingCall;

        @Override
        public synchronized long write(final ByteBuffer[] srcs, final int offset, final int length)
                throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            if (writeCalls.incrementAndGet() == failingCall) {
                throw new IOException("Connection reset by peer");
            }
            writers.add(Thread.currentThread());
            firstWriteEntered.countDown();
            CountDownLatch waitFor = gate;
            if (waitFor != null) {
                gate = null;
                try {
                    waitFor.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            long written = 0;
            // Short writes: at most 1000 bytes per call, so partial gathers are exercised.
            for (int i = offset; i < offset + length && written < 1000; i++) {
                ByteBuffer src = srcs[i];
                int take = (int) Math.min(src.remaining(), 1000 - written);
                byte[] chunk = new byte[take];
                src.get(chunk);
                bytes.write(chunk, 0, take);
                written += take;
            }
            return written;
        }

        @Override
        public long write(final ByteBuffer[] srcs) throws IOException {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(final ByteBuffer src) throws IOException {
            return (int) write(new ByteBuffer[] {src});
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    private final RecordingChannel channel = new RecordingChannel();
    private final AtomicReference<IOException> failure = new AtomicReference<>();
    private final FrameWriter writer = new FrameWriter(channel, failure::set, bytes -> { });

    @Test
    void aLoneFrameIsWrittenBeforeSendReturns() {
        OutboundFrame frame = OutboundFrame.of(FrameKind.REQUEST, 3, 1, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        writer.send(frame);

        assertThat(channel.bytes.toByteArray()).isEqualTo(TestFrames.frame(FrameKind.REQUEST, 1, 3,
                new byte[] {1, 2, 3}));
        assertThat(frame.awaitSettled()).isTrue();
    }

    @Test
    void framesQueuedWhileAWriteIsBlockedGoOutTogetherAndWhole() throws Exception {
        channel.gate = new CountDownLatch(1);
        CountDownLatch gate = channel.gate;
        int senders = 64;
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < senders; i++) {
            payloads.add(payload(i));
        }
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            threads.submit(() -> writer.send(OutboundFrame.of(FrameKind.REQUEST, 0, 0, ByteBuffer.wrap(payload(0)))));
            channel.firstWriteEntered.await();
            List<OutboundFrame> frames = new ArrayList<>();
            for (int i = 1; i < senders; i++) {
                OutboundFrame frame = OutboundFrame.of(FrameKind.REQUEST, i, i, ByteBuffer.wrap(payloads.get(i)));
                frames.add(frame);
                threads.submit(() -> writer.send(frame));
            }
            Thread.sleep(50);
            int callsBeforeRelease = channel.writeCalls.get();
            gate.countDown();
            for (OutboundFrame frame : frames) {
                assertThat(frame.awaitSettled()).isTrue();
            }
            assertThat(callsBeforeRelease).isEqualTo(1);
        }

        List<Frame> decoded = decodeAll(channel.bytes.toByteArray());
        assertThat(decoded).hasSize(senders);
        for (Frame frame : decoded) {
            int id = (int) frame.header().requestId();
            assertThat(TestFrames.bytesOf(frame.payload())).isEqualTo(payloads.get(id));
        }
        int totalBytes = channel.bytes.size();
        // Every write but the short-write remainder moves a full 1000 bytes: frames were batched, not trickled.
        assertThat(channel.writeCalls.get()).isLessThanOrEqualTo(1 + (totalBytes + 999) / 1000 + 2);
    }

    @Test
    void largePayloadsArePassedThroughUncopiedAndSplitAcrossShortWrites() throws Exception {
        byte[] big = new byte[FrameWriter.COALESCE_MAX_BYTES * 3 + 17];
        new Random(1).nextBytes(big);
        ByteBuffer direct = ByteBuffer.allocateDirect(big.length).put(big).flip();

        writer.send(OutboundFrame.of(FrameKind.RESPONSE, 9, 5, direct));

        List<Frame> decoded = decodeAll(channel.bytes.toByteArray());
        assertThat(decoded).hasSize(1);
        assertThat(TestFrames.bytesOf(decoded.getFirst().payload())).isEqualTo(big);
        assertThat(direct.position()).isZero();
    }

    @Test
    void anInterruptedSenderLeavesTheWritingToTheWritersOwnThread() {
        OutboundFrame frame = OutboundFrame.of(FrameKind.REQUEST, 1, 1, ByteBuffer.allocate(16));
        Thread.currentThread().interrupt();
        writer.send(frame);
        boolean stillInterrupted = Thread.interrupted();

        assertThat(stillInterrupted).as("the sender's interrupt is left alone").isTrue();
        assertThat(frame.awaitSettled()).isTrue();
        assertThat(channel.writers).hasSize(1).doesNotContain(Thread.currentThread());
        assertThat(failure.get()).isNull();
    }

    @Test
    void afterAShortWriteSendersNoLongerWriteThemselves() throws InterruptedException {
        OutboundFrame large = OutboundFrame.of(FrameKind.REQUEST, 1, 1, ByteBuffer.allocateDirect(5000));
        writer.send(large);
        assertThat(large.awaitSettled()).isTrue();
        assertThat(channel.writers).containsOnly(Thread.currentThread());

        OutboundFrame next = OutboundFrame.of(FrameKind.REQUEST, 1, 2, ByteBuffer.allocate(8));
        writer.send(next);
        assertThat(next.awaitSettled()).isTrue();
        Thread handedTo = channel.writers.getLast();
        assertThat(handedTo).isNotSameAs(Thread.currentThread());
        // The frame is settled before that thread gives up the writer role; once it has ended, the role is free.
        handedTo.join();

        OutboundFrame afterRecovery = OutboundFrame.of(FrameKind.REQUEST, 1, 3, ByteBuffer.allocate(8));
        writer.send(afterRecovery);
        assertThat(afterRecovery.awaitSettled()).isTrue();
        assertThat(channel.writers.getLast()).as("a batch taken at once clears the congestion")
                .isSameAs(Thread.currentThread());
    }

    @Test
    void aFailedWriteFailsTheFrameAndReportsOnce() {
        channel.close();
        OutboundFrame frame = OutboundFrame.of(FrameKind.REQUEST, 1, 1, ByteBuffer.allocate(4));
        writer.send(frame);

        assertThat(frame.awaitSettled()).isFalse();
        assertThat(failure.get()).isInstanceOf(ClosedChannelException.class);

        OutboundFrame after = OutboundFrame.of(FrameKind.REQUEST, 1, 2, ByteBuffer.allocate(4));
        writer.send(after);
        assertThat(after.awaitSettled()).isFalse();
    }

    @Test
    void aFrameWhoseBytesAllLeftBeforeAWriteFailedCountsAsWritten() {
        // Both frames go out in one batch: the first write call (1000 bytes) carries all of the small frame and
        // part of the large one, the second fails. The small frame may have reached the peer and run there.
        OutboundFrame small = OutboundFrame.of(FrameKind.REQUEST, 1, 1, ByteBuffer.allocate(100));
        OutboundFrame large = OutboundFrame.of(FrameKind.REQUEST, 1, 2, ByteBuffer.allocateDirect(5000));
        channel.failingCall = 2;
        writer.enqueue(small);
        writer.enqueue(large);
        writer.flush();

        assertThat(failure.get()).isNotNull();
        assertThat(small.awaitSettled()).as("the small frame reached the socket").isTrue();
        assertThat(large.awaitSettled()).as("the large frame never fully left").isFalse();
    }

    @Test
    void aCancelledFrameIsNeverWritten() throws Exception {
        channel.gate = new CountDownLatch(1);
        CountDownLatch gate = channel.gate;
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            threads.submit(() -> writer.send(OutboundFrame.of(FrameKind.PING, 0, 1)));
            channel.firstWriteEntered.await();
            OutboundFrame withdrawn = OutboundFrame.of(FrameKind.REQUEST, 1, 2, ByteBuffer.allocate(8));
            writer.send(withdrawn);
            assertThat(withdrawn.cancel()).isTrue();
            gate.countDown();
        }
        List<Frame> decoded = decodeAll(channel.bytes.toByteArray());
        assertThat(decoded).extracting(frame -> frame.header().requestId()).containsExactly(1L);
    }

    private static byte[] payload(final int id) {
        byte[] bytes = new byte[id * 37 % 300];
        Arrays.fill(bytes, (byte) id);
        return bytes;
    }

    private static List<Frame> decodeAll(final byte[] stream) throws RpcProtocolException {
        FrameDecoder decoder = new FrameDecoder(1 << 20, ByteBuffer::allocate);
        ByteBuffer input = ByteBuffer.wrap(stream);
        List<Frame> frames = new ArrayList<>();
        Frame frame;
        while ((frame = decoder.decode(input)) != null) {
            frames.add(frame);
        }
        assertThat(decoder.isBetweenFrames()).isTrue();
        return frames;
    }
}
