package io.keel.journal;

import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * One copy of the journal header (see docs/journal-format.md): identity, layout, the generation of
 * the current open, and the tail (where replay starts). Two copies alternate in the first two
 * blocks of the device; the valid copy with the higher counter wins.
 */
record JournalHeader(
        UUID journalId,
        int recordTag,
        int blockSize,
        long counter,
        long generation,
        long tailPosition,
        long tailSequence,
        long trimmedThrough,
        long regionStart,
        long regionEnd) {

    /** "KEELJRNL". */
    static final long MAGIC = 0x4B45454C4A524E4CL;
    /** The version this code writes. */
    static final int WRITE_VERSION = 2;
    /** The newest version this code reads. */
    static final int MAX_READ_VERSION = 2;
    /**
     * The oldest version this code reads. Version 1 records lack the durable-through field that
     * replay needs to tell damage from a torn tail; such journals are refused, not upgraded.
     */
    static final int MIN_READ_VERSION = 2;
    /** Bytes of a header (versions 1 and 2), checksum included. */
    static final int LENGTH = 128;

    private static final int OFF_VERSION = 8;
    private static final int OFF_LENGTH = 10;
    private static final int OFF_BLOCK_SIZE = 12;
    private static final int OFF_ID_HIGH = 16;
    private static final int OFF_ID_LOW = 24;
    private static final int OFF_COUNTER = 32;
    private static final int OFF_GENERATION = 40;
    private static final int OFF_TAIL_POSITION = 48;
    private static final int OFF_TAIL_SEQUENCE = 56;
    private static final int OFF_TRIMMED = 64;
    private static final int OFF_REGION_START = 72;
    private static final int OFF_REGION_END = 80;
    private static final int OFF_RECORD_TAG = 88;
    private static final int MIN_LENGTH = 16;

    /** What reading one header copy found. */
    enum Status { VALID, NOT_A_JOURNAL, CORRUPT, NEWER_VERSION, OLDER_VERSION }

    /** The outcome of decoding one copy: a header only when {@code status} is VALID. */
    record Decoded(Status status, JournalHeader header, int version, String problem) {
    }

    /** The position of the copy this header is written to. */
    long slotPosition() {
        return (counter & 1) * blockSize;
    }

    JournalHeader next(final long newGeneration, final long newTailPosition, final long newTailSequence,
            final long newTrimmedThrough) {
        return new JournalHeader(journalId, recordTag, blockSize, counter + 1, newGeneration, newTailPosition,
                newTailSequence, newTrimmedThrough, regionStart, regionEnd);
    }

    /** Writes this header at index 0 of {@code block} and zeroes the rest of the block. */
    void encode(final ByteBuffer block) {
        for (int i = 0; i < block.capacity(); i++) {
            block.put(i, (byte) 0);
        }
        block.putLong(0, MAGIC);
        block.putShort(OFF_VERSION, (short) WRITE_VERSION);
        block.putShort(OFF_LENGTH, (short) LENGTH);
        block.putInt(OFF_BLOCK_SIZE, blockSize);
        block.putLong(OFF_ID_HIGH, journalId.getMostSignificantBits());
        block.putLong(OFF_ID_LOW, journalId.getLeastSignificantBits());
        block.putLong(OFF_COUNTER, counter);
        block.putLong(OFF_GENERATION, generation);
        block.putLong(OFF_TAIL_POSITION, tailPosition);
        block.putLong(OFF_TAIL_SEQUENCE, tailSequence);
        block.putLong(OFF_TRIMMED, trimmedThrough);
        block.putLong(OFF_REGION_START, regionStart);
        block.putLong(OFF_REGION_END, regionEnd);
        block.putInt(OFF_RECORD_TAG, recordTag);
        block.putInt(LENGTH - 4, checksum(block, LENGTH - 4));
        block.clear();
    }

    /** Decodes the copy at index 0 of {@code block} (at least {@link #LENGTH} bytes). */
    static Decoded decode(final ByteBuffer block) {
        if (block.getLong(0) != MAGIC) {
            return new Decoded(Status.NOT_A_JOURNAL, null, 0, "no journal magic");
        }
        int version = Short.toUnsignedInt(block.getShort(OFF_VERSION));
        int length = Short.toUnsignedInt(block.getShort(OFF_LENGTH));
        // Every version keeps magic, version, length and a trailing checksum in place, so a copy
        // written by a newer Keel can be told apart from a damaged one before it is refused.
        if (length < MIN_LENGTH || length > block.capacity() || length % 4 != 0) {
            return new Decoded(Status.CORRUPT, null, version, "header length " + length + " out of range");
        }
        if (block.getInt(length - 4) != checksum(block, length - 4)) {
            return new Decoded(Status.CORRUPT, null, version, "header checksum mismatch");
        }
        if (version > MAX_READ_VERSION) {
            return new Decoded(Status.NEWER_VERSION, null, version, "format version " + version);
        }
        if (version >= 1 && version < MIN_READ_VERSION && length == LENGTH) {
            return new Decoded(Status.OLDER_VERSION, null, version, "format version " + version);
        }
        if (version < 1 || length != LENGTH) {
            return new Decoded(Status.CORRUPT, null, version, "version " + version + " with length " + length);
        }
        JournalHeader header = new JournalHeader(
                new UUID(block.getLong(OFF_ID_HIGH), block.getLong(OFF_ID_LOW)),
                block.getInt(OFF_RECORD_TAG),
                block.getInt(OFF_BLOCK_SIZE),
                block.getLong(OFF_COUNTER),
                block.getLong(OFF_GENERATION),
                block.getLong(OFF_TAIL_POSITION),
                block.getLong(OFF_TAIL_SEQUENCE),
                block.getLong(OFF_TRIMMED),
                block.getLong(OFF_REGION_START),
                block.getLong(OFF_REGION_END));
        String problem = header.layoutProblem();
        if (problem != null) {
            return new Decoded(Status.CORRUPT, null, version, problem);
        }
        return new Decoded(Status.VALID, header, version, null);
    }

    /** Fields a valid checksum cannot vouch for if a buggy writer produced them. */
    private String layoutProblem() {
        if (blockSize < LENGTH || Integer.bitCount(blockSize) != 1) {
            return "block size " + blockSize + " is not a power of two >= " + LENGTH;
        }
        if (regionStart != 2L * blockSize || regionEnd <= regionStart || regionEnd % blockSize != 0) {
            return "region [" + regionStart + ", " + regionEnd + ") does not fit block size " + blockSize;
        }
        if (tailPosition < regionStart || tailPosition > regionEnd || tailSequence < 1
                || trimmedThrough < tailSequence - 1 || generation < 0) {
            return "tail (position " + tailPosition + ", sequence " + tailSequence + ", trimmed through "
                    + trimmedThrough + ") out of range";
        }
        return null;
    }

    private static int checksum(final ByteBuffer block, final int length) {
        CRC32C crc = new CRC32C();
        crc.update(block.slice(0, length));
        return (int) crc.getValue();
    }
}
