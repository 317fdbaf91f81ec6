package io.keel.access.iscsi.session;

/**
 * The 8-byte LUN field (SAM-5 §4.7): single-level peripheral (00b) and flat (01b) addressing
 * decode to a LUN number; anything else decodes to {@link #UNKNOWN}, which no logical unit has.
 */
public final class Lun {

    /** What an address the target cannot decode becomes (outside 0–16383). */
    public static final int UNKNOWN = 0xffff;

    private Lun() {
    }

    /** The LUN number the 8-byte field names. */
    public static int decode(final long field) {
        int method = (int) (field >>> 62) & 3;
        boolean singleLevel = (field & 0x0000ffffffffffffL) == 0;
        if (!singleLevel) {
            return UNKNOWN;
        }
        return switch (method) {
            case 0 -> ((field >>> 56) & 0x3f) == 0 ? (int) (field >>> 48) & 0xff : UNKNOWN;
            case 1 -> (int) (field >>> 48) & 0x3fff;
            default -> UNKNOWN;
        };
    }

    /** The field for {@code lun}: peripheral addressing below 256, flat above. */
    public static long encode(final int lun) {
        if (lun < 256) {
            return (long) lun << 48;
        }
        return (0x4000L | (lun & 0x3fff)) << 48;
    }
}
