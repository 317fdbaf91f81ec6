package io.keel.access.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.access.iscsi.pdu.DataPlacement;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.pdu.PduCodec;
import io.keel.access.iscsi.pdu.PduException;
import io.keel.access.iscsi.pdu.PduInput;
import io.keel.access.iscsi.session.Lun;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The wire encoding: round trips, padding, digests, limits and garbage. */
class PduCodecTest {

    private static byte[] encode(final Pdu pdu, final boolean hd, final boolean dd) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PduCodec.write(out, pdu, hd, dd);
        return out.toByteArray();
    }

    private static Pdu decode(final byte[] bytes, final boolean hd, final boolean dd, final int max)
            throws IOException, PduException {
        return PduCodec.read(PduInput.of(new ByteArrayInputStream(bytes)), hd, dd, max);
    }

    @ParameterizedTest
    @CsvSource({"0,false,false", "1,false,false", "5,true,false", "4096,true,true", "4097,false,true",
        "0,true,true"})
    void roundTrip(final int length, final boolean hd, final boolean dd) throws Exception {
        byte[] data = new byte[length];
        new Random(length).nextBytes(data);
        Pdu pdu = Pdu.of(Opcode.SCSI_COMMAND).flags(0xa1).lun(Lun.encode(3)).itt(0x1234).putInt32(20, 4096)
                .data(data).ahs(new byte[] {0, 5, 1, 0, 1, 2, 3, 4});
        byte[] wire = encode(pdu, hd, dd);
        int padded = (length + 3) & ~3;
        assertThat(wire).hasSize(48 + 8 + (hd ? 4 : 0) + padded + (dd && length > 0 ? 4 : 0));
        Pdu back = decode(wire, hd, dd, 1 << 20);
        assertThat(back.bhs()).isEqualTo(pdu.bhs());
        assertThat(back.ahs()).isEqualTo(pdu.ahs());
        assertThat(back.data()).isEqualTo(data);
        assertThat(back.lun()).isEqualTo(Lun.encode(3));
        assertThat(back.declaredDataLength()).isEqualTo(length);
    }

    @Test
    void aDataSegmentTakenFromPartOfAnArrayGoesOutAsThatPartAlone() throws Exception {
        byte[] array = new byte[100];
        for (int i = 0; i < array.length; i++) {
            array[i] = (byte) i;
        }
        Pdu sent = Pdu.of(Opcode.DATA_IN).itt(7).data(array, 10, 21);
        assertThat(sent.dataLength()).isEqualTo(21);
        for (boolean digests : new boolean[] {false, true}) {
            Pdu back = decode(encode(sent, digests, digests), digests, digests, 1 << 16);
            assertThat(back.data()).isEqualTo(java.util.Arrays.copyOfRange(array, 10, 31));
        }
        assertThat(sent.data()).isEqualTo(java.util.Arrays.copyOfRange(array, 10, 31));
        assertThatThrownBy(() -> Pdu.of(Opcode.DATA_IN).data(array, 90, 11))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void digestIsCrc32cLeastSignificantByteFirst() throws Exception {
        Pdu pdu = Pdu.of(Opcode.NOP_IN).itt(1);
        byte[] wire = encode(pdu, true, false);
        CRC32C crc = new CRC32C();
        crc.update(wire, 0, 48);
        long value = crc.getValue();
        assertThat(wire[48] & 0xff).isEqualTo((int) (value & 0xff));
        assertThat(wire[51] & 0xff).isEqualTo((int) (value >>> 24));
    }

    @Test
    void headerDigestErrorIsFatalDataDigestErrorIsRejected() throws Exception {
        byte[] wire = encode(Pdu.of(Opcode.NOP_OUT).itt(1).data(new byte[] {1, 2, 3, 4}), true, true);
        byte[] badHeader = wire.clone();
        badHeader[20] ^= 1;
        assertThatThrownBy(() -> decode(badHeader, true, true, 8192)).isInstanceOfSatisfying(PduException.class,
                e -> assertThat(e.fatal()).isTrue());
        byte[] badData = wire.clone();
        badData[48 + 4] ^= 1;
        assertThatThrownBy(() -> decode(badData, true, true, 8192)).isInstanceOfSatisfying(PduException.class,
                e -> assertThat(e.rejectReason()).isEqualTo(Opcode.REJECT_DATA_DIGEST));
    }

    @ParameterizedTest
    @CsvSource({"false", "true"})
    void aPlacedDataSegmentIsReadIntoTheCallersBufferPartlyFromReadAheadAndTheNextPduIsIntact(
            final boolean dd) throws Exception {
        byte[] data = new byte[1000];
        new Random(9).nextBytes(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PduCodec.write(out, Pdu.of(Opcode.DATA_OUT).itt(1).data(data), false, dd);
        PduCodec.write(out, Pdu.of(Opcode.NOP_OUT).itt(2).data(new byte[] {7, 7, 7}), false, dd);
        // A read-ahead of 100 bytes: the header and the first bytes of data come through it, the rest straight.
        PduInput in = new PduInput(Channels.newChannel(new ByteArrayInputStream(out.toByteArray())), () -> { }, 100);
        ByteBuffer target = ByteBuffer.allocateDirect(1200);
        List<String> calls = new ArrayList<>();
        DataPlacement placement = new DataPlacement() {
            @Override
            public ByteBuffer destination(final Pdu header) {
                calls.add("destination " + header.itt());
                return header.opcode() == Opcode.DATA_OUT ? target.slice(100, header.declaredDataLength()) : null;
            }

            @Override
            public void settled(final Pdu header) {
                calls.add("settled " + header.itt());
            }
        };
        Pdu placed = PduCodec.read(in, false, dd, 4096, placement);
        assertThat(placed.dataPlaced()).isTrue();
        byte[] landed = new byte[1000];
        target.get(100, landed);
        assertThat(landed).isEqualTo(data);
        assertThat(placed.data()).isEqualTo(data);
        Pdu next = PduCodec.read(in, false, dd, 4096, placement);
        assertThat(next.dataPlaced()).isFalse();
        assertThat(next.data()).containsExactly(7, 7, 7);
        assertThat(calls).containsExactly("destination 1", "settled 1", "destination 2");
        assertThat(PduCodec.read(in, false, dd, 4096, placement)).isNull();
    }

    @Test
    void overlongDataSegmentIsSkippedAndRejected() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PduCodec.write(out, Pdu.of(Opcode.NOP_OUT).itt(1).data(new byte[1001]), false, false);
        PduCodec.write(out, Pdu.of(Opcode.NOP_OUT).itt(2), false, false);
        PduInput in = PduInput.of(new ByteArrayInputStream(out.toByteArray()));
        assertThatThrownBy(() -> PduCodec.read(in, false, false, 1000)).isInstanceOfSatisfying(PduException.class,
                e -> assertThat(e.rejectReason()).isEqualTo(Opcode.REJECT_PROTOCOL_ERROR));
        assertThat(PduCodec.read(in, false, false, 1000).itt()).isEqualTo(2);
        assertThat(PduCodec.read(in, false, false, 1000)).isNull();
    }

    @Test
    void truncatedPduIsEndOfStream() {
        assertThatThrownBy(() -> decode(new byte[20], false, false, 8192)).isInstanceOf(EOFException.class);
    }

    @Test
    void randomBytesNeverThrowAnythingElse() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] junk = new byte[random.nextInt(200)];
            random.nextBytes(junk);
            boolean hd = random.nextBoolean();
            try {
                decode(junk, hd, random.nextBoolean(), 8192);
            } catch (IOException | PduException e) {
                assertThat(e).isNotNull();
            }
        }
    }

    @Test
    void lunAddressing() {
        assertThat(Lun.decode(0)).isZero();
        assertThat(Lun.decode(0x0005_0000_0000_0000L)).isEqualTo(5);
        assertThat(Lun.decode(0x4123_0000_0000_0000L)).isEqualTo(0x123);
        assertThat(Lun.decode(Lun.encode(300))).isEqualTo(300);
        assertThat(Lun.decode(0x0105_0000_0000_0000L)).isEqualTo(Lun.UNKNOWN);
        assertThat(Lun.decode(0x8000_0000_0000_0000L)).isEqualTo(Lun.UNKNOWN);
        assertThat(Lun.decode(0x0001_0002_0000_0000L)).isEqualTo(Lun.UNKNOWN);
        assertThat(Lun.decode(0xc000_0000_0000_0000L)).isEqualTo(Lun.UNKNOWN);
    }
}
