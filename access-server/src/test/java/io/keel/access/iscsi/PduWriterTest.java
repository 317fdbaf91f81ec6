package io.keel.access.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.pdu.PduCodec;
import io.keel.access.iscsi.pdu.PduWriter;
import io.keel.access.iscsi.pdu.PduInput;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The batching writer: what it writes decodes to the PDUs added, in order, whatever the channel takes per call. */
class PduWriterTest {

    /** Moves at most {@code limit} bytes of {@code parts[first..first+count)}, in order, into {@code into}. */
    private static long take(final ByteBuffer[] parts, final int first, final int count, final long limit,
            final ByteArrayOutputStream into) {
        long taken = 0;
        for (int i = first; i < first + count && taken < limit; i++) {
            int n = (int) Math.min(parts[i].remaining(), limit - taken);
            byte[] part = new byte[n];
            parts[i].get(part);
            into.writeBytes(part);
            taken += n;
        }
        return taken;
    }

    /** A channel that takes at most {@code perCall} bytes per write and records the bytes and the calls. */
    private static final class RecordingChannel implements GatheringByteChannel {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final int perCall;
        int calls;

        RecordingChannel(final int perCall) {
            this.perCall = perCall;
        }

        @Override
        public long write(final ByteBuffer[] srcs, final int offset, final int length) {
            calls++;
            return take(srcs, offset, length, perCall, bytes);
        }

        @Override
        public long write(final ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(final ByteBuffer src) {
            return (int) write(new ByteBuffer[] {src});
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @ParameterizedTest
    @CsvSource({"false,false,2147483647", "true,true,2147483647", "true,false,1000", "false,true,7"})
    void mixedSegmentsDecodeInOrderAndStayUnchanged(final boolean hd, final boolean dd, final int perCall)
            throws Exception {
        Random random = new Random(42);
        RecordingChannel channel = new RecordingChannel(perCall);
        PduWriter writer = new PduWriter(channel, 16 * 1024);
        List<Pdu> added = new ArrayList<>();
        List<byte[]> segments = new ArrayList<>();
        // Empty, odd-sized, heap segments that fit and that do not fit in the staging buffer, direct ones.
        int[] lengths = {0, 1, 4096, 3, 70_000, 8192, 5, 0, 20_000};
        for (int i = 0; i < 60; i++) {
            int length = lengths[i % lengths.length];
            byte[] data = new byte[length];
            random.nextBytes(data);
            Pdu pdu = Pdu.of(Opcode.DATA_IN).itt(i).putInt32(36, i);
            if (i % 3 == 0 && length > 0) {
                ByteBuffer direct = ByteBuffer.allocateDirect(length + 8).position(8);
                direct.put(data).position(8);
                pdu.data(direct);
            } else {
                pdu.data(data);
            }
            writer.add(pdu, hd, dd);
            added.add(pdu);
            segments.add(data);
        }
        writer.flush();
        PduInput wire = PduInput.of(new ByteArrayInputStream(channel.bytes.toByteArray()));
        for (int i = 0; i < added.size(); i++) {
            Pdu back = PduCodec.read(wire, hd, dd, 1 << 20);
            assertThat(back.itt()).isEqualTo(i);
            assertThat(back.data()).isEqualTo(segments.get(i));
            assertThat(added.get(i).data()).as("the PDU keeps its data").isEqualTo(segments.get(i));
        }
        assertThat(wire.read()).isEqualTo(-1);
    }

    @ParameterizedTest
    @CsvSource({"4096", "1048576"})
    void aResponseWithDirectDataLeavesInOneCall(final int length) throws Exception {
        RecordingChannel channel = new RecordingChannel(Integer.MAX_VALUE);
        PduWriter writer = new PduWriter(channel, 64 * 1024);
        ByteBuffer data = ByteBuffer.allocateDirect(length);
        for (int offset = 0; offset < length; offset += 262_144) {
            ByteBuffer segment = data.slice(offset, Math.min(262_144, length - offset));
            writer.add(Pdu.of(Opcode.DATA_IN).data(segment), true, false);
        }
        writer.add(Pdu.of(Opcode.SCSI_RESPONSE), true, false);
        writer.flush();
        assertThat(channel.calls).isEqualTo(1);
        writer.flush();
        assertThat(channel.calls).as("nothing added, nothing written").isEqualTo(1);
    }
    /** An immediate write that takes at most {@code budget} bytes in all, then reports the socket full. */
    private static final class FillingSocket implements PduWriter.ImmediateWrite {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long budget;
        int calls;

        FillingSocket(final long budget) {
            this.budget = budget;
        }

        @Override
        public long writeNow(final ByteBuffer[] parts, final int first, final int count) {
            calls++;
            for (int i = first; i < first + count; i++) {
                assertThat(parts[i].isDirect()).as("only direct memory goes to the system").isTrue();
            }
            long taken = take(parts, first, count, budget, bytes);
            budget -= taken;
            return taken;
        }
    }

    @ParameterizedTest
    @CsvSource({"0", "1", "47", "4096", "10000", "100000000"})
    void whatASocketDoesNotTakeAtOnceFollowsInOrder(final long room) throws Exception {
        Random random = new Random(7);
        RecordingChannel channel = new RecordingChannel(Integer.MAX_VALUE);
        PduWriter writer = new PduWriter(channel, 64 * 1024);
        FillingSocket socket = new FillingSocket(room);
        List<byte[]> segments = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            byte[] data = new byte[i % 2 == 0 ? 4096 : 13];
            random.nextBytes(data);
            ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
            List<Pdu> pdus = List.of(Pdu.of(Opcode.DATA_IN).itt(i).data(i % 2 == 0 ? direct : ByteBuffer.wrap(data)));
            assertThat(writer.hasRoomFor(pdus)).isTrue();
            writer.add(pdus.get(0), true, true);
            segments.add(data);
            if (i == 5) {
                boolean all = writer.flushNow(socket);
                assertThat(writer.hasUnwritten()).isEqualTo(!all);
                assertThat(all).isEqualTo(room >= 100_000);
            }
        }
        boolean all = writer.flushNow(socket);
        assertThat(writer.hasUnwritten()).isEqualTo(!all);
        writer.flush();
        assertThat(writer.hasUnwritten()).isFalse();
        ByteArrayOutputStream wireBytes = new ByteArrayOutputStream();
        wireBytes.writeBytes(socket.bytes.toByteArray());
        wireBytes.writeBytes(channel.bytes.toByteArray());
        PduInput wire = PduInput.of(new ByteArrayInputStream(wireBytes.toByteArray()));
        for (int i = 0; i < segments.size(); i++) {
            Pdu back = PduCodec.read(wire, true, true, 1 << 20);
            assertThat(back.itt()).isEqualTo(i);
            assertThat(back.data()).isEqualTo(segments.get(i));
        }
        assertThat(wire.read()).isEqualTo(-1);
        if (room >= 100_000) {
            assertThat(channel.bytes.size()).as("everything went at once").isZero();
        }
    }

    @Test
    void anArraySegmentOfItsOwnWaitsForAWriterThatMayWait() throws Exception {
        RecordingChannel channel = new RecordingChannel(Integer.MAX_VALUE);
        PduWriter writer = new PduWriter(channel, 8 * 1024);
        List<Pdu> large = List.of(Pdu.of(Opcode.DATA_IN).data(new byte[20_000]));
        assertThat(writer.hasRoomFor(large)).as("counted as staged, it does not fit").isFalse();
        writer.add(large.get(0), false, false);
        FillingSocket socket = new FillingSocket(Long.MAX_VALUE);
        assertThat(writer.flushNow(socket)).isFalse();
        assertThat(socket.calls).isZero();
        writer.flush();
        assertThat(channel.bytes.size()).isEqualTo(Pdu.BHS_LENGTH + 20_000);
    }
}
