package io.keel.chunk.device;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The one class that reads and writes a superblock copy: exactly {@value #BYTES} bytes,
 * big-endian, CRC32C in the last four bytes. The byte table is in docs/device-format.md.
 * Decoding never throws for bad contents; it says what it found.
 */
public final class SuperblockCodec {

    /** Bytes per superblock copy: one sector. */
    public static final int BYTES = 4096;
    /** Oldest format version this code reads. */
    public static final int MIN_READ_VERSION = 1;
    /** Newest format version this code reads. */
    public static final int MAX_READ_VERSION = 1;
    /** The format version this code writes. */
    public static final int WRITE_VERSION = 1;
    /**
     * Most bits in which the magic may differ and still count as a damaged Keel superblock rather
     * than none: a blank or foreign sector differs from "KEELDEV\0" in far more bits.
     */
    public static final int MAGIC_TOLERANCE_BITS = 4;

    static final byte[] MAGIC = "KEELDEV\0".getBytes(StandardCharsets.US_ASCII);

    static final int OFF_VERSION = 8;
    static final int OFF_COPY = 12;
    static final int OFF_ROLE = 16;
    static final int OFF_SECTOR = 20;
    static final int OFF_CLUSTER = 24;
    static final int OFF_NODE = 40;
    static final int OFF_DEVICE = 56;
    static final int OFF_JOURNAL_DEVICE = 72;
    static final int OFF_DEVICE_SIZE = 88;
    static final int OFF_CREATED = 96;
    static final int OFF_GENERATION = 104;
    static final int OFF_BLOCK = 112;
    static final int OFF_WORKERS = 116;
    static final int OFF_EXTENT = 120;
    static final int OFF_METADATA = 128;
    static final int OFF_JOURNAL_BYTES = 136;
    static final int OFF_JOURNAL_AREA = 144;
    static final int OFF_CHECKPOINT_AREA = 152;
    static final int OFF_SLOT_BYTES = 160;
    static final int OFF_DATA = 168;
    static final int OFF_BLOCKS_PER_GROUP = 176;
    static final int OFF_SUPERBLOCK_B = 184;
    static final int RESERVED_START = 192;
    static final int OFF_CRC = BYTES - 4;

    private SuperblockCodec() {
    }

    /** What one copy holds. */
    public sealed interface Decoded {
    }

    /** A valid copy of a version this code reads. */
    public record Valid(Superblock superblock) implements Decoded {
    }

    /** No Keel magic: never formatted, or overwritten by something else. */
    public record Blank() implements Decoded {
    }

    /** Keel magic (possibly damaged) but the copy fails a check; {@code problem} says which. */
    public record Damaged(String problem) implements Decoded {
    }

    /** An intact copy written by a newer format version than this code reads. */
    public record Newer(int version) implements Decoded {
    }

    /** The 4096 bytes of {@code superblock}, checksum included. */
    public static byte[] encode(Superblock superblock) {
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        DeviceLayout l = superblock.layout();
        b.put(0, MAGIC);
        b.putInt(OFF_VERSION, superblock.formatVersion());
        b.putInt(OFF_COPY, superblock.copyIndex());
        b.putInt(OFF_ROLE, superblock.role().code());
        b.putInt(OFF_SECTOR, l.sectorSize());
        putUuid(b, OFF_CLUSTER, superblock.identity().clusterId());
        putUuid(b, OFF_NODE, superblock.identity().nodeId());
        putUuid(b, OFF_DEVICE, superblock.identity().deviceId());
        putUuid(b, OFF_JOURNAL_DEVICE, superblock.journalDeviceId());
        b.putLong(OFF_DEVICE_SIZE, l.deviceSize());
        b.putLong(OFF_CREATED, superblock.createdAtMillis());
        b.putLong(OFF_GENERATION, superblock.generation());
        b.putInt(OFF_BLOCK, l.blockSize());
        b.putInt(OFF_WORKERS, l.workers());
        b.putLong(OFF_EXTENT, l.extentSize());
        b.putInt(OFF_METADATA, l.metadataBytesPerBlock());
        b.putLong(OFF_JOURNAL_BYTES, l.journalBytes());
        b.putLong(OFF_JOURNAL_AREA, l.journalAreaOffset());
        b.putLong(OFF_CHECKPOINT_AREA, l.checkpointAreaOffset());
        b.putLong(OFF_SLOT_BYTES, l.checkpointSlotBytes());
        b.putLong(OFF_DATA, l.dataOffset());
        b.putLong(OFF_BLOCKS_PER_GROUP, l.blocksPerGroup());
        b.putLong(OFF_SUPERBLOCK_B, l.superblockBOffset());
        b.putInt(OFF_CRC, crc(b.array()));
        return b.array();
    }

    /** Decodes the copy read from where copy {@code expectedCopyIndex} belongs. */
    public static Decoded decode(byte[] bytes, int expectedCopyIndex) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("a superblock copy is " + BYTES + " bytes, got " + bytes.length);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int magicBits = magicDistance(bytes);
        if (magicBits > MAGIC_TOLERANCE_BITS) {
            return new Blank();
        }
        int stored = b.getInt(OFF_CRC);
        int computed = crc(bytes);
        if (stored != computed) {
            return new Damaged(String.format("checksum mismatch (stored 0x%08x, computed 0x%08x)%s", stored, computed,
                    magicBits == 0 ? "" : ", magic damaged in " + magicBits + " bit(s)"));
        }
        if (magicBits != 0) {
            return new Damaged("magic damaged in " + magicBits + " bit(s) under a valid checksum");
        }
        // The version is read only after the checksum: every version keeps the magic, the version
        // and a CRC32C over bytes 0..4091 in place, so a flipped version bit cannot pose as a newer format.
        int version = b.getInt(OFF_VERSION);
        if (version > MAX_READ_VERSION) {
            return new Newer(version);
        }
        if (version < MIN_READ_VERSION) {
            return new Damaged("format version " + version + " is older than any this Keel reads ("
                    + MIN_READ_VERSION + ")");
        }
        int copy = b.getInt(OFF_COPY);
        if (copy != expectedCopyIndex) {
            return new Damaged("copy index " + copy + " found where copy " + expectedCopyIndex + " belongs");
        }
        int roleCode = b.getInt(OFF_ROLE);
        DeviceRole role = DeviceRole.fromCode(roleCode);
        if (role == null) {
            return new Damaged("unknown role code " + roleCode);
        }
        try {
            DeviceLayout layout = new DeviceLayout(b.getLong(OFF_DEVICE_SIZE), b.getInt(OFF_SECTOR),
                    b.getInt(OFF_BLOCK), b.getLong(OFF_EXTENT), b.getInt(OFF_WORKERS), b.getInt(OFF_METADATA),
                    b.getLong(OFF_JOURNAL_BYTES), b.getLong(OFF_JOURNAL_AREA), b.getLong(OFF_CHECKPOINT_AREA),
                    b.getLong(OFF_SLOT_BYTES), b.getLong(OFF_DATA), b.getLong(OFF_BLOCKS_PER_GROUP),
                    b.getLong(OFF_SUPERBLOCK_B));
            DeviceIdentity identity = new DeviceIdentity(getUuid(b, OFF_CLUSTER), getUuid(b, OFF_NODE),
                    getUuid(b, OFF_DEVICE));
            return new Valid(new Superblock(version, copy, role, identity, layout, getUuid(b, OFF_JOURNAL_DEVICE),
                    b.getLong(OFF_CREATED), b.getLong(OFF_GENERATION)));
        } catch (IllegalArgumentException e) {
            return new Damaged("inconsistent contents under a valid checksum: " + e.getMessage());
        }
    }

    /** Bits in which the first 8 bytes differ from the magic. */
    static int magicDistance(byte[] bytes) {
        int bits = 0;
        for (int i = 0; i < MAGIC.length; i++) {
            bits += Integer.bitCount((bytes[i] ^ MAGIC[i]) & 0xFF);
        }
        return bits;
    }

    static int crc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, OFF_CRC);
        return (int) crc.getValue();
    }

    private static void putUuid(ByteBuffer b, int offset, UUID id) {
        b.putLong(offset, id.getMostSignificantBits());
        b.putLong(offset + 8, id.getLeastSignificantBits());
    }

    private static UUID getUuid(ByteBuffer b, int offset) {
        return new UUID(b.getLong(offset), b.getLong(offset + 8));
    }
}
