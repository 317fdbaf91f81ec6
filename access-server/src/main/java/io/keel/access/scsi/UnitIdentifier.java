package io.keel.access.scsi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The NAA identifier of the logical unit a volume is, derived only from the volume id so that
 * every node and every target presents the same unit to multipath initiators, and admins can
 * match a hypervisor's device (ESXi's {@code naa.…}, Linux's {@code wwn-0x…}) to its volume.
 */
public final class UnitIdentifier {

    /**
     * IEEE company id in the NAA identifier. Keel has no registered OUI yet; the 100 bits below it
     * come from a hash of the volume id, which is what makes the identifier unique.
     */
    static final int IEEE_COMPANY_ID = 0x000000;

    private UnitIdentifier() {
    }

    /** The 16-byte NAA IEEE Registered Extended (6h) identifier of {@code volumeId}. */
    public static byte[] naa(final String volumeId) {
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-256").digest(volumeId.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always present", e);
        }
        byte[] b = new byte[16];
        long vendorSpecific = (Bytes.u32(h, 0) << 4) | (Bytes.u8(h, 4) >>> 4);
        long hi = (6L << 60) | ((long) IEEE_COMPANY_ID << 36) | vendorSpecific;
        Bytes.put64(b, 0, hi);
        System.arraycopy(h, 8, b, 8, 8);
        return b;
    }

    /** The identifier as hypervisors name the device: {@code naa.} and 32 lower-case hex digits. */
    public static String name(final String volumeId) {
        return "naa." + HexFormat.of().formatHex(naa(volumeId));
    }
}
