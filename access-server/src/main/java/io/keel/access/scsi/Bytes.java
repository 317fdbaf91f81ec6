package io.keel.access.scsi;

/** Big-endian field access for CDBs, parameter lists and parameter data. */
final class Bytes {

    private Bytes() {
    }

    static int u8(final byte[] b, final int i) {
        return b[i] & 0xff;
    }

    static int u16(final byte[] b, final int i) {
        return (u8(b, i) << 8) | u8(b, i + 1);
    }

    static int u24(final byte[] b, final int i) {
        return (u8(b, i) << 16) | u16(b, i + 1);
    }

    static long u32(final byte[] b, final int i) {
        return ((long) u16(b, i) << 16) | u16(b, i + 2);
    }

    /** A 64-bit field; values of 2^63 and more come back negative, which every range check rejects. */
    static long u64(final byte[] b, final int i) {
        return (u32(b, i) << 32) | u32(b, i + 4);
    }

    static void put16(final byte[] b, final int i, final int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static void put32(final byte[] b, final int i, final long v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }

    static void put64(final byte[] b, final int i, final long v) {
        put32(b, i, v >>> 32);
        put32(b, i + 4, v);
    }

    /** Copies {@code s} as space-padded ASCII into {@code len} bytes at {@code i}. */
    static void putAscii(final byte[] b, final int i, final int len, final String s) {
        for (int k = 0; k < len; k++) {
            char c = k < s.length() ? s.charAt(k) : ' ';
            b[i + k] = (byte) (c >= 0x20 && c < 0x7f ? c : ' ');
        }
    }
}
