package io.keel.access.scsi;

import java.nio.ByteBuffer;
import java.util.List;

/** EXTENDED COPY (LID1) commands for tests: identification CSCD descriptors by NAA and block-to-block segments. */
public final class CopyParameters {

    private CopyParameters() {
    }

    /** The EXTENDED COPY CDB for a parameter list of {@code length} bytes. */
    public static byte[] cdb(final int length) {
        return new byte[] {(byte) 0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) (length >>> 24), (byte) (length >>> 16),
            (byte) (length >>> 8), (byte) length, 0, 0};
    }

    /**
     * A parameter list: one identification descriptor (E4h) per NAA identifier in {@code units}, and
     * one block-to-block segment (02h) per row of {@code segments}: source index, destination index,
     * blocks, source LBA, destination LBA.
     */
    public static byte[] list(final int listId, final int usage, final List<byte[]> units, final long[][] segments) {
        ByteBuffer b = ByteBuffer.allocate(16 + 32 * units.size() + 28 * segments.length);
        b.put((byte) listId).put((byte) (usage << 3)).putShort((short) (32 * units.size())).putInt(0);
        b.putInt(28 * segments.length).putInt(0);
        for (byte[] naa : units) {
            b.put((byte) 0xe4).put((byte) 0).putShort((short) 0);
            b.put((byte) 0x01).put((byte) 0x03).put((byte) 0).put((byte) 16).put(naa);
            b.put(new byte[4]).put((byte) 0).put((byte) 0).put((byte) 2).put((byte) 0);
        }
        for (long[] s : segments) {
            b.put((byte) 0x02).put((byte) 0).putShort((short) 0x18).putShort((short) s[0]).putShort((short) s[1]);
            b.putShort((short) 0).putShort((short) s[2]).putLong(s[3]).putLong(s[4]);
        }
        return b.array();
    }
}
