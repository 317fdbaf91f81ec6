package io.keel.access.scsi;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * INQUIRY parameter data: the standard data and the vital product data pages 00h, 80h, 83h,
 * B0h, B1h and B2h. Identifiers derive only from the volume id so that every node presents the
 * same logical unit to multipath initiators.
 */
final class InquiryData {

    private static final int BLOCK_BYTES = 512;

    /**
     * OPTIMAL TRANSFER LENGTH (4 MiB), below the maximum: Linux sizes its requests (max_sectors)
     * by it, and every request in flight is a buffer in the transport.
     */
    private static final int OPTIMAL_TRANSFER_BLOCKS = 8192;

    private static final int[] SUPPORTED_PAGES = {0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2};

    /** SAM-5, iSCSI, SPC-4, SBC-3 version descriptors. */
    private static final int[] VERSION_DESCRIPTORS = {0x00a0, 0x0960, 0x0460, 0x04c0};

    /** What the pages describe: the unit's volume and the limits it enforces. */
    record Unit(BlockBackend backend, TargetOptions options, long maxWriteSameBlocks, int maxAtomicBlocks) {
    }

    private InquiryData() {
    }

    /** Standard INQUIRY data for a logical unit that exists. */
    static ByteBuffer standard(final TargetOptions options) {
        byte[] b = new byte[96];
        b[0] = 0x00; // peripheral qualifier 000b, direct access block device
        b[2] = 0x06; // SPC-4
        b[3] = 0x12; // HISUP, response data format 2
        b[4] = (byte) (b.length - 5);
        b[5] = 0x08; // 3PC: EXTENDED COPY
        b[7] = 0x02; // CMDQUE
        Bytes.putAscii(b, 8, 8, options.vendorId());
        Bytes.putAscii(b, 16, 16, options.productId());
        Bytes.putAscii(b, 32, 4, options.productRevision());
        for (int i = 0; i < VERSION_DESCRIPTORS.length; i++) {
            Bytes.put16(b, 58 + 2 * i, VERSION_DESCRIPTORS[i]);
        }
        return ByteBuffer.wrap(b);
    }

    /** Standard INQUIRY data for a LUN with no logical unit: qualifier 011b, type 1Fh. */
    static ByteBuffer noUnit(final TargetOptions options, final boolean evpd, final int page) {
        if (evpd) {
            return ByteBuffer.wrap(new byte[] {0x7f, (byte) page, 0, 0});
        }
        ByteBuffer b = standard(options);
        b.put(0, (byte) 0x7f);
        return b;
    }

    /** The VPD page {@code page}, or INVALID FIELD IN CDB when it is not supported. */
    static ByteBuffer vpd(final int page, final Unit unit, final ItNexus nexus) {
        byte[] b = switch (page) {
            case 0x00 -> supportedPages();
            case 0x80 -> serialNumber(unit.backend().volumeId());
            case 0x83 -> deviceIdentification(unit, nexus);
            case 0xb0 -> blockLimits(unit);
            case 0xb1 -> blockDeviceCharacteristics(unit.backend().thinProvisioned());
            case 0xb2 -> logicalBlockProvisioning(unit.backend().thinProvisioned());
            default -> throw SenseException.invalidCdb(2, -1);
        };
        b[1] = (byte) page;
        Bytes.put16(b, 2, b.length - 4);
        return ByteBuffer.wrap(b);
    }

    private static byte[] supportedPages() {
        byte[] b = new byte[4 + SUPPORTED_PAGES.length];
        for (int i = 0; i < SUPPORTED_PAGES.length; i++) {
            b[4 + i] = (byte) SUPPORTED_PAGES[i];
        }
        return b;
    }

    /** The unit serial number: the volume id's printable ASCII. */
    static String serial(final String volumeId) {
        StringBuilder s = new StringBuilder();
        for (char c : volumeId.toCharArray()) {
            if (c > 0x20 && c < 0x7f && s.length() < 240) {
                s.append(c);
            }
        }
        return s.toString();
    }

    private static byte[] serialNumber(final String volumeId) {
        byte[] serial = serial(volumeId).getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[4 + serial.length];
        System.arraycopy(serial, 0, b, 4, serial.length);
        return b;
    }

    private static byte[] deviceIdentification(final Unit unit, final ItNexus nexus) {
        ByteBuffer d = ByteBuffer.allocate(1024);
        byte[] naa = UnitIdentifier.naa(unit.backend().volumeId());
        designator(d, 0x01, 0x03, naa);
        byte[] t10 = new byte[8 + serial(unit.backend().volumeId()).length()];
        Bytes.putAscii(t10, 0, 8, unit.options().vendorId());
        Bytes.putAscii(t10, 8, t10.length - 8, serial(unit.backend().volumeId()));
        designator(d, 0x02, 0x01, t10);
        byte[] port = new byte[4];
        int relative = nexus.portalGroupTag() & 0xffff;
        Bytes.put16(port, 2, relative == 0 ? 1 : relative);
        designator(d, 0x51, 0x94, port);
        designator(d, 0x53, 0x98, nameString(nexus.targetPortName()));
        designator(d, 0x53, 0xa8, nameString(nexus.targetName()));
        byte[] b = new byte[4 + d.position()];
        System.arraycopy(d.array(), 0, b, 4, d.position());
        return b;
    }

    /** A SCSI name string: UTF-8, null-terminated, padded to a multiple of 4, at most 252 bytes. */
    private static byte[] nameString(final String name) {
        byte[] s = name.getBytes(StandardCharsets.UTF_8);
        int len = Math.min(252, (s.length + 4) & ~3);
        byte[] b = new byte[len];
        System.arraycopy(s, 0, b, 0, Math.min(s.length, len - 1));
        return b;
    }

    private static void designator(final ByteBuffer d, final int codeSet, final int type, final byte[] value) {
        d.put((byte) codeSet).put((byte) type).put((byte) 0).put((byte) value.length).put(value);
    }

    private static byte[] blockLimits(final Unit unit) {
        TargetOptions o = unit.options();
        boolean thin = unit.backend().thinProvisioned();
        byte[] b = new byte[64];
        // WSNZ=0: a WRITE SAME of zero blocks runs to the end of the medium (within MAXIMUM WRITE SAME LENGTH).
        b[5] = (byte) o.maxCompareAndWriteBlocks();
        Bytes.put16(b, 6, unit.backend().physicalBlockSize() / 512);
        Bytes.put32(b, 8, o.maxTransferBlocks());
        Bytes.put32(b, 12, Math.min(o.maxTransferBlocks(), OPTIMAL_TRANSFER_BLOCKS));
        if (thin) {
            Bytes.put32(b, 20, o.maxUnmapBlocks());
            Bytes.put32(b, 24, o.maxUnmapDescriptors());
            Bytes.put32(b, 28, Math.max(1, unit.backend().unmapGranularity() / 512));
            Bytes.put32(b, 32, 0x80000000L); // UGAVALID, alignment 0
        }
        Bytes.put64(b, 36, unit.maxWriteSameBlocks());
        Bytes.put32(b, 44, unit.maxAtomicBlocks());
        // Atomic writes come in whole store blocks (4 KiB, even on a volume reporting 512-byte physical
        // blocks): ATOMIC ALIGNMENT and ATOMIC TRANSFER LENGTH GRANULARITY; no boundary limits.
        int storeBlock = unit.backend().physicalBlockSize() / BLOCK_BYTES;
        Bytes.put32(b, 48, storeBlock);
        Bytes.put32(b, 52, storeBlock);
        return b;
    }

    private static byte[] blockDeviceCharacteristics(final boolean thin) {
        byte[] b = new byte[64];
        Bytes.put16(b, 4, 0x0001); // non-rotating medium
        if (thin) {
            b[7] = 0x50; // WABEREQ, WACEREQ 01b: blocks read as zeros after a SANITIZE erase
        }
        return b;
    }

    private static byte[] logicalBlockProvisioning(final boolean thin) {
        byte[] b = new byte[8];
        if (thin) {
            b[5] = (byte) 0xe4; // LBPU, LBPWS, LBPWS10, LBPRZ (unmapped blocks read as zeros)
            b[6] = 0x02; // thin provisioned
        }
        return b;
    }
}
