package io.keel.chunk.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Reads and writes one worker's metadata checkpoint: a 4 KiB header (magic, version, which
 * journal sequence the checkpoint covers, payload length and CRC32C, header CRC32C) followed by
 * the payload (extents with their block maps, then every allocated block's written-sector mask and
 * sector checksums). Reference counts are not stored: they are recounted from the block maps. The
 * layout is in docs/chunk-metadata-format.md.
 */
final class CheckpointCodec {

    static final int HEADER_BYTES = 4096;
    static final int FORMAT_VERSION = 1;
    private static final byte[] MAGIC = "KEELCKPT".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER_CRC_OFFSET = HEADER_BYTES - 4;

    private CheckpointCodec() {
    }

    /** What a checkpoint header says. */
    record Header(int worker, long counter, long journalSequence, long payloadBytes, int payloadCrc) {
    }

    /** Bytes the payload of {@code state} takes, to check it fits a slot. */
    static long payloadBytes(final WorkerState state, final long allocatedBlocks) {
        return 4L + state.extents().size() * 28L + state.mappedReferences() * 8L + 4L
                + allocatedBlocks * (12L + 4L * state.sectorsPerBlock());
    }

    /** Encodes header and payload into one buffer of {@code HEADER_BYTES + payload} bytes, header first. */
    static ByteBuffer encode(final WorkerState state, final int worker, final long counter,
            final long journalSequence) {
        var blocks = state.mappedBlocks();
        int payloadBytes = Math.toIntExact(payloadBytes(state, blocks.size()));
        ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + payloadBytes);
        out.position(HEADER_BYTES);
        out.putInt(state.extents().size());
        for (ExtentState extent : state.extents()) {
            out.putLong(extent.id()).putLong(extent.epoch()).putLong(extent.version()).putInt(extent.mappedBlocks());
            for (int index = 0; index < extent.blockCount(); index++) {
                int block = extent.block(index);
                if (block != ExtentState.UNMAPPED) {
                    out.putInt(index).putInt(block);
                }
            }
        }
        BlockGroup group = state.group();
        out.putInt(blocks.size());
        for (int block : blocks) {
            out.putInt(block).putLong(group.writtenSectors(block));
            for (int sector = 0; sector < group.sectorsPerBlock(); sector++) {
                out.putInt(group.sectorCrc(block, sector));
            }
        }
        if (out.hasRemaining()) {
            throw new IllegalStateException("checkpoint payload size miscounted by " + out.remaining() + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(out.duplicate().position(HEADER_BYTES));
        out.position(0);
        out.put(MAGIC).putInt(FORMAT_VERSION).putInt(worker).putLong(counter).putLong(journalSequence)
                .putLong(payloadBytes).putInt((int) crc.getValue());
        out.putInt(HEADER_CRC_OFFSET, headerCrc(out));
        return out.position(0);
    }

    /**
     * Decodes a header; returns null when the sector is all zeros (a slot never written). Throws
     * with the reason when it is not a valid header.
     */
    static Header decodeHeader(final ByteBuffer sector) throws IOException {
        ByteBuffer in = sector.duplicate();
        boolean zero = true;
        for (int i = 0; i < HEADER_BYTES && zero; i++) {
            zero = in.get(i) == 0;
        }
        if (zero) {
            return null;
        }
        byte[] magic = new byte[MAGIC.length];
        in.get(0, magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IOException("not a checkpoint header (bad magic)");
        }
        int version = in.getInt(8);
        if (in.getInt(HEADER_CRC_OFFSET) != headerCrc(in)) {
            throw new IOException("checkpoint header checksum mismatch");
        }
        if (version > FORMAT_VERSION) {
            throw new IOException("checkpoint written by metadata format version " + version
                    + "; this Keel reads up to " + FORMAT_VERSION);
        }
        return new Header(in.getInt(12), in.getLong(16), in.getLong(24), in.getLong(32), in.getInt(40));
    }

    /** Verifies the payload checksum and rebuilds {@code state} (which must be empty) from it. */
    static void decodePayload(final Header header, final ByteBuffer payload, final WorkerState state)
            throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(payload.duplicate());
        if ((int) crc.getValue() != header.payloadCrc()) {
            throw new IOException("checkpoint payload checksum mismatch");
        }
        ByteBuffer in = payload.duplicate();
        BlockGroup group = state.group();
        try {
            int extents = in.getInt();
            for (int e = 0; e < extents; e++) {
                long id = in.getLong();
                long epoch = in.getLong();
                long version = in.getLong();
                int mapped = in.getInt();
                if (mapped < 0 || mapped > state.blocksPerExtent()) {
                    throw new IOException("checkpoint extent " + Long.toUnsignedString(id, 16) + " maps " + mapped
                            + " blocks");
                }
                int[] indexes = new int[mapped];
                int[] blocks = new int[mapped];
                for (int i = 0; i < mapped; i++) {
                    indexes[i] = in.getInt();
                    blocks[i] = in.getInt();
                    if (indexes[i] < 0 || indexes[i] >= state.blocksPerExtent() || !group.contains(blocks[i])) {
                        throw new IOException("checkpoint extent " + Long.toUnsignedString(id, 16)
                                + " maps index " + indexes[i] + " to block " + blocks[i] + " outside its range");
                    }
                    if (group.references(blocks[i]) == 0) {
                        group.claim(blocks[i]);
                    } else {
                        group.addReference(blocks[i]);
                    }
                }
                state.restoreExtent(id, epoch, version, indexes, blocks);
            }
            int allocated = in.getInt();
            for (int b = 0; b < allocated; b++) {
                int block = in.getInt();
                long written = in.getLong();
                if (!group.contains(block) || group.references(block) == 0) {
                    throw new IOException("checkpoint lists block " + block + " that no extent maps");
                }
                for (int sector = 0; sector < group.sectorsPerBlock(); sector++) {
                    int sectorCrc = in.getInt();
                    if ((written & (1L << sector)) != 0) {
                        group.setSector(block, sector, sectorCrc);
                    }
                }
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException("checkpoint payload is truncated", e);
        }
        if (in.hasRemaining()) {
            throw new IOException("checkpoint payload has " + in.remaining() + " extra bytes");
        }
    }

    private static int headerCrc(final ByteBuffer header) {
        CRC32C crc = new CRC32C();
        crc.update(header.duplicate().position(0).limit(HEADER_CRC_OFFSET));
        return (int) crc.getValue();
    }
}
