package io.keel.chunk.store;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A chunk-store mutation as it is written to a worker's journal. Replay decodes the same records
 * and applies them through the same code as the live path, so what recovery rebuilds is what the
 * live store had. Bodies are big-endian; the layouts are in docs/chunk-metadata-format.md.
 */
sealed interface StoreRecord {

    short CREATE = 1;
    short DELETE = 2;
    short ADVANCE_EPOCH = 3;
    short WRITE = 4;
    short MAP = 5;
    short UNMAP = 6;
    short CLEAR_SECTORS = 7;
    short SNAPSHOT = 8;

    /** The journal record type. */
    short type();

    /** The fixed part of the body (everything but a write's sector data). */
    ByteBuffer header();

    /** Decodes a record body; a malformed body is reported, never half-applied. */
    static StoreRecord decode(final short type, final ByteBuffer body, final int sectorSize,
            final int sectorsPerBlock) throws IOException {
        ByteBuffer in = body.duplicate();
        try {
            StoreRecord record = switch (type) {
                case CREATE -> new Create(in.getLong(), in.getLong());
                case DELETE -> new Delete(in.getLong(), in.getLong());
                case ADVANCE_EPOCH -> new AdvanceEpoch(in.getLong(), in.getLong());
                case WRITE -> decodeWrite(in, sectorSize, sectorsPerBlock);
                case MAP -> decodeMap(in, sectorsPerBlock);
                case UNMAP -> new Unmap(in.getLong(), in.getLong(), in.getInt(), in.getInt());
                case CLEAR_SECTORS -> new ClearSectors(in.getLong(), in.getLong(), in.getInt(),
                        Short.toUnsignedInt(in.getShort()), Short.toUnsignedInt(in.getShort()));
                case SNAPSHOT -> new Snapshot(in.getLong(), in.getLong(), in.getLong());
                default -> throw new IOException("unknown chunk-store record type " + type);
            };
            if (in.hasRemaining()) {
                throw new IOException("chunk-store record type " + type + " has " + in.remaining() + " extra bytes");
            }
            return record;
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException("chunk-store record type " + type + " is truncated (" + body.remaining() + " bytes)",
                    e);
        }
    }

    private static Write decodeWrite(final ByteBuffer in, final int sectorSize, final int sectorsPerBlock)
            throws IOException {
        long extentId = in.getLong();
        long version = in.getLong();
        int blockIndex = in.getInt();
        int block = in.getInt();
        int firstSector = Short.toUnsignedInt(in.getShort());
        int count = Short.toUnsignedInt(in.getShort());
        if (count == 0 || firstSector + count > sectorsPerBlock) {
            throw new IOException("write record covers sectors " + firstSector + "+" + count + " of a block of "
                    + sectorsPerBlock);
        }
        int[] crcs = new int[count];
        for (int i = 0; i < count; i++) {
            crcs[i] = in.getInt();
        }
        if (in.remaining() != count * sectorSize) {
            throw new IOException("write record holds " + in.remaining() + " data bytes for " + count + " sectors");
        }
        byte[][] sectors = new byte[count][];
        for (int i = 0; i < count; i++) {
            sectors[i] = new byte[sectorSize];
            in.get(sectors[i]);
        }
        return new Write(extentId, version, blockIndex, block, firstSector, crcs, sectors);
    }

    private static Map decodeMap(final ByteBuffer in, final int sectorsPerBlock) {
        long extentId = in.getLong();
        long version = in.getLong();
        int blockIndex = in.getInt();
        int block = in.getInt();
        long written = in.getLong();
        int[] crcs = new int[sectorsPerBlock];
        for (int i = 0; i < sectorsPerBlock; i++) {
            crcs[i] = in.getInt();
        }
        return new Map(extentId, version, blockIndex, block, written, crcs);
    }

    /** A new, empty extent. */
    record Create(long extentId, long epoch) implements StoreRecord {
        @Override
        public short type() {
            return CREATE;
        }

        @Override
        public ByteBuffer header() {
            return ByteBuffer.allocate(16).putLong(extentId).putLong(epoch).flip();
        }
    }

    /** The extent is gone; its blocks lose one reference each. */
    record Delete(long extentId, long epoch) implements StoreRecord {
        @Override
        public short type() {
            return DELETE;
        }

        @Override
        public ByteBuffer header() {
            return ByteBuffer.allocate(16).putLong(extentId).putLong(epoch).flip();
        }
    }

    /** The extent's epoch rises. */
    record AdvanceEpoch(long extentId, long epoch) implements StoreRecord {
        @Override
        public short type() {
            return ADVANCE_EPOCH;
        }

        @Override
        public ByteBuffer header() {
            return ByteBuffer.allocate(16).putLong(extentId).putLong(epoch).flip();
        }
    }

    /**
     * Sectors written through the journal into {@code block} (allocated by this record when the
     * extent did not map {@code blockIndex} yet). The data follows the checksums in the body.
     */
    record Write(long extentId, long version, int blockIndex, int block, int firstSector, int[] crcs,
            byte[][] sectors) implements StoreRecord {
        @Override
        public short type() {
            return WRITE;
        }

        @Override
        public ByteBuffer header() {
            ByteBuffer out = ByteBuffer.allocate(28 + 4 * crcs.length);
            out.putLong(extentId).putLong(version).putInt(blockIndex).putInt(block)
                    .putShort((short) firstSector).putShort((short) crcs.length);
            for (int crc : crcs) {
                out.putInt(crc);
            }
            return out.flip();
        }

        /** Header and sector data as the parts of one journal record. */
        ByteBuffer[] parts() {
            ByteBuffer[] parts = new ByteBuffer[1 + sectors.length];
            parts[0] = header();
            for (int i = 0; i < sectors.length; i++) {
                parts[i + 1] = ByteBuffer.wrap(sectors[i]);
            }
            return parts;
        }
    }

    /**
     * {@code blockIndex} now points at {@code block}, whose data was written and flushed before
     * this record (the journal's data barrier); the block it pointed at before loses a reference.
     */
    record Map(long extentId, long version, int blockIndex, int block, long writtenSectors, int[] crcs)
            implements StoreRecord {
        @Override
        public short type() {
            return MAP;
        }

        @Override
        public ByteBuffer header() {
            ByteBuffer out = ByteBuffer.allocate(32 + 4 * crcs.length);
            out.putLong(extentId).putLong(version).putInt(blockIndex).putInt(block).putLong(writtenSectors);
            for (int crc : crcs) {
                out.putInt(crc);
            }
            return out.flip();
        }
    }

    /** Whole blocks leave the extent's map. */
    record Unmap(long extentId, long version, int firstBlockIndex, int blockCount) implements StoreRecord {
        @Override
        public short type() {
            return UNMAP;
        }

        @Override
        public ByteBuffer header() {
            return ByteBuffer.allocate(24).putLong(extentId).putLong(version).putInt(firstBlockIndex)
                    .putInt(blockCount).flip();
        }
    }

    /** Sectors of a block only this extent maps read as zeros from now on. */
    record ClearSectors(long extentId, long version, int blockIndex, int firstSector, int sectorCount)
            implements StoreRecord {
        @Override
        public short type() {
            return CLEAR_SECTORS;
        }

        @Override
        public ByteBuffer header() {
            return ByteBuffer.allocate(24).putLong(extentId).putLong(version).putInt(blockIndex)
                    .putShort((short) firstSector).putShort((short) sectorCount).flip();
        }
    }

    /** {@code childId} is created sharing every block of {@code parentId}. */
    record Snapshot(long parentId, long childId, long epoch) implements StoreRecord {
        @Override
        public short type() {
            return SNAPSHOT;
        }

        @Override
        public ByteBuffer header() {
            return ByteBuffer.allocate(24).putLong(parentId).putLong(childId).putLong(epoch).flip();
        }
    }
}
