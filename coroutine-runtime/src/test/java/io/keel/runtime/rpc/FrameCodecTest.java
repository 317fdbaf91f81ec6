package io.keel.runtime.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    private static final int MAX = 4096;

    private final List<Integer> allocations = new ArrayList<>();
    private final FrameDecoder decoder = new FrameDecoder(MAX, length -> {
        allocations.add(length);
        return ByteBuffer.allocate(length);
    });

    @Test
    void headerFieldsTileThe32ByteHeaderWithoutGapsOrOverlap() {
        int[][] fields = {
            {FrameCodec.MAGIC_OFFSET, 4}, {FrameCodec.VERSION_OFFSET, 1}, {FrameCodec.KIND_OFFSET, 1},
            {FrameCodec.FLAGS_OFFSET, 2}, {FrameCodec.REQUEST_ID_OFFSET, 8}, {FrameCodec.CODE_OFFSET, 4},
            {FrameCodec.PAYLOAD_LENGTH_OFFSET, 4}, {FrameCodec.PAYLOAD_CRC_OFFSET, 4},
            {FrameCodec.HEADER_CRC_OFFSET, 4},
        };
        int next = 0;
        for (int[] field : fields) {
            assertThat(field[0]).isEqualTo(next);
            next += field[1];
        }
        assertThat(next).isEqualTo(FrameCodec.HEADER_BYTES).isEqualTo(32);
        assertThat(FrameCodec.REQUEST_ID_OFFSET % 8).isZero();
        assertThat(FrameCodec.HEADER_CHECKSUMMED_BYTES).isEqualTo(28);
    }

    @Test
    void versionRangeContainsTheWrittenVersion() {
        assertThat(FrameCodec.MIN_READ_VERSION).isBetween(1, FrameCodec.WRITE_VERSION);
        assertThat(FrameCodec.MAX_READ_VERSION).isGreaterThanOrEqualTo(FrameCodec.WRITE_VERSION);
        assertThat(FrameCodec.MAX_READ_VERSION).isLessThanOrEqualTo(255);
    }

    @Test
    void headerIsBigEndianWithTheMagicKeel() {
        byte[] payload = "hello".getBytes(StandardCharsets.US_ASCII);
        byte[] frame = TestFrames.frame(FrameKind.ERROR_RESPONSE, 0x0102030405060708L, 0x0A0B0C0D, payload);

        ByteBuffer expected = ByteBuffer.allocate(28)
                .put("KEEL".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 1).put((byte) 3).putShort((short) 0)
                .put(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})
                .put(new byte[] {0x0A, 0x0B, 0x0C, 0x0D})
                .put(new byte[] {0, 0, 0, 5});
        CRC32C payloadCrc = new CRC32C();
        payloadCrc.update(payload);
        expected.putInt((int) payloadCrc.getValue());
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(expected.array(), 0, 28);

        assertThat(Arrays.copyOf(frame, 28)).isEqualTo(expected.array());
        assertThat(ByteBuffer.wrap(frame).getInt(28)).isEqualTo((int) headerCrc.getValue());
        assertThat(Arrays.copyOfRange(frame, 32, frame.length)).isEqualTo(payload);
    }

    @Test
    void framesRoundTripThroughTheDecoder() throws RpcProtocolException {
        byte[] first = TestFrames.frame(FrameKind.REQUEST, 42, 7, "abc".getBytes(StandardCharsets.UTF_8));
        byte[] second = TestFrames.frame(FrameKind.PING, -1, 0, new byte[0]);
        byte[] third = TestFrames.frame(FrameKind.RESPONSE, Long.MAX_VALUE, -5, new byte[MAX]);
        ByteBuffer input = ByteBuffer.wrap(TestFrames.concat(first, second, third));

        Frame a = decoder.decode(input);
        Frame b = decoder.decode(input);
        Frame c = decoder.decode(input);

        assertThat(a.header()).isEqualTo(new FrameHeader(1, FrameKind.REQUEST, 0, 42, 7, 3,
                TestFrames.crc("abc".getBytes(StandardCharsets.UTF_8))));
        assertThat(TestFrames.bytesOf(a.payload())).isEqualTo("abc".getBytes(StandardCharsets.UTF_8));
        assertThat(b.header().kind()).isEqualTo(FrameKind.PING);
        assertThat(b.header().requestId()).isEqualTo(-1);
        assertThat(b.payload().remaining()).isZero();
        assertThat(c.header().requestId()).isEqualTo(Long.MAX_VALUE);
        assertThat(c.header().code()).isEqualTo(-5);
        assertThat(c.payload().remaining()).isEqualTo(MAX);
        assertThat(decoder.decode(input)).isNull();
        assertThat(decoder.isBetweenFrames()).isTrue();
        assertThat(allocations).containsExactly(3, MAX);
    }

    @Test
    void decodesAFrameFedOneByteAtATime() throws RpcProtocolException {
        byte[] frame = TestFrames.frame(FrameKind.REQUEST, 9, 1, "fragmented".getBytes(StandardCharsets.UTF_8));
        Frame decoded = null;
        for (int i = 0; i < frame.length; i++) {
            assertThat(decoded).as("frame complete before its last byte").isNull();
            decoded = decoder.decode(ByteBuffer.wrap(frame, i, 1));
        }
        assertThat(decoded).isNotNull();
        assertThat(TestFrames.bytesOf(decoded.payload())).isEqualTo("fragmented".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void rejectsABadMagicAtItsFirstWrongByte() {
        ByteBuffer http = ByteBuffer.wrap("G".getBytes(StandardCharsets.US_ASCII));
        assertProtocolError(http, ProtocolError.BAD_MAGIC);
    }

    @Test
    void rejectsAVersionNewerThanItReads() {
        byte[] future = TestFrames.frame(FrameCodec.MAX_READ_VERSION + 1, FrameKind.REQUEST, 1, 1, new byte[8]);
        // Only magic and version are needed to refuse it: a newer header may have another size.
        assertProtocolError(ByteBuffer.wrap(future, 0, 5), ProtocolError.UNSUPPORTED_VERSION);
    }

    @Test
    void rejectsVersionZero() {
        byte[] ancient = TestFrames.frame(0, FrameKind.REQUEST, 1, 1, new byte[8]);
        assertProtocolError(ByteBuffer.wrap(ancient), ProtocolError.UNSUPPORTED_VERSION);
    }

    @Test
    void rejectsACorruptedHeader() {
        byte[] frame = TestFrames.frame(FrameKind.REQUEST, 1, 1, new byte[8]);
        frame[FrameCodec.REQUEST_ID_OFFSET + 3] ^= 0x10;
        assertProtocolError(ByteBuffer.wrap(frame), ProtocolError.BAD_HEADER_CHECKSUM);
    }

    @Test
    void rejectsACorruptedLengthBeforeAllocatingIt() {
        byte[] frame = TestFrames.frame(FrameKind.REQUEST, 1, 1, new byte[8]);
        frame[FrameCodec.PAYLOAD_LENGTH_OFFSET] = 0x7F;
        assertProtocolError(ByteBuffer.wrap(frame), ProtocolError.BAD_HEADER_CHECKSUM);
        assertThat(allocations).isEmpty();
    }

    @Test
    void rejectsAnUnknownKind() {
        byte[] frame = TestFrames.withHeaderByte(TestFrames.frame(FrameKind.REQUEST, 1, 1, new byte[0]),
                FrameCodec.KIND_OFFSET, 99);
        assertProtocolError(ByteBuffer.wrap(frame), ProtocolError.UNKNOWN_KIND);
    }

    @Test
    void rejectsAnOversizedLengthWithoutAllocating() {
        byte[] justOver = TestFrames.withHeaderInt(TestFrames.frame(FrameKind.REQUEST, 1, 1, new byte[0]),
                FrameCodec.PAYLOAD_LENGTH_OFFSET, MAX + 1);
        assertProtocolError(ByteBuffer.wrap(justOver), ProtocolError.OVERSIZED_PAYLOAD);

        FrameDecoder fresh = new FrameDecoder(MAX, length -> {
            allocations.add(length);
            return ByteBuffer.allocate(length);
        });
        byte[] fourGigabytes = TestFrames.withHeaderInt(TestFrames.frame(FrameKind.REQUEST, 1, 1, new byte[0]),
                FrameCodec.PAYLOAD_LENGTH_OFFSET, -1);
        assertThatThrownBy(() -> fresh.decode(ByteBuffer.wrap(fourGigabytes)))
                .isInstanceOfSatisfying(RpcProtocolException.class,
                        e -> assertThat(e.error()).isEqualTo(ProtocolError.OVERSIZED_PAYLOAD))
                .hasMessageContaining("4294967295");
        assertThat(allocations).isEmpty();
    }

    @Test
    void rejectsACorruptedPayload() {
        byte[] frame = TestFrames.frame(FrameKind.RESPONSE, 1, 1, "payload".getBytes(StandardCharsets.UTF_8));
        frame[frame.length - 1] ^= 0x01;
        assertProtocolError(ByteBuffer.wrap(frame), ProtocolError.BAD_PAYLOAD_CHECKSUM);
    }

    @Test
    void staysFailedAfterAnError() {
        assertProtocolError(ByteBuffer.wrap(new byte[] {'X'}), ProtocolError.BAD_MAGIC);
        byte[] valid = TestFrames.frame(FrameKind.PING, 1, 0, new byte[0]);
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(valid)))
                .isInstanceOfSatisfying(RpcProtocolException.class,
                        e -> assertThat(e.error()).isEqualTo(ProtocolError.BAD_MAGIC));
    }

    @Test
    void ignoresFlagsItDoesNotKnow() throws RpcProtocolException {
        byte[] frame = TestFrames.withHeaderByte(TestFrames.frame(FrameKind.PING, 3, 0, new byte[0]),
                FrameCodec.FLAGS_OFFSET + 1, 0x80);
        Frame decoded = decoder.decode(ByteBuffer.wrap(frame));
        assertThat(decoded.header().flags()).isEqualTo(0x80);
        assertThat(decoded.header().requestId()).isEqualTo(3);
    }

    private void assertProtocolError(final ByteBuffer input, final ProtocolError expected) {
        assertThatThrownBy(() -> decoder.decode(input))
                .isInstanceOfSatisfying(RpcProtocolException.class, e -> assertThat(e.error()).isEqualTo(expected));
    }
}
