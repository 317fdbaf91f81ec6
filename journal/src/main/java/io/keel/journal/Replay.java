package io.keel.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Walks the record chain from the header's tail at open (see "Replay" in docs/journal-format.md),
 * hands every valid record past the trimmed point to the handler, and reports where the chain
 * ended and why.
 */
final class Replay {

    private static final int WINDOW_BYTES = 1 << 20;

    private final JournalDevice device;
    private final JournalHeader header;
    private final long capacity;
    private final long maxRecordBytes;
    private final int block;
    private final CRC32C crc = new CRC32C();
    private final List<Journal.Segment> segments = new ArrayList<>();
    private final long segmentSpacing;

    private ByteBuffer window;
    private long windowStart = -1;
    private int windowLength;

    // Results.
    long lastSequence;
    long endPosition;
    long applied;
    long skipped;
    long firstApplied;
    String stopReason;

    Replay(final JournalDevice device, final JournalHeader header, final long maxRecordBytes,
            final long segmentSpacing) {
        this.device = device;
        this.header = header;
        this.capacity = header.regionEnd() - header.regionStart();
        this.maxRecordBytes = maxRecordBytes;
        this.block = header.blockSize();
        this.segmentSpacing = segmentSpacing;
        int windowBytes = (int) Math.min(WINDOW_BYTES, capacity);
        this.window = Aligned.allocate(windowBytes, block);
    }

    List<Journal.Segment> segments() {
        return segments;
    }

    /** Replays; afterwards the result fields describe the chain. */
    void run(final RecordHandler handler) throws IOException {
        long regionStart = header.regionStart();
        long tailBlock = Aligned.down(header.tailPosition(), block);
        long position = wrap(header.tailPosition());
        long consumed = header.tailPosition() - tailBlock;
        long expected = header.tailSequence();
        long previousGeneration = 0;
        boolean exact = true;
        endPosition = position;
        lastSequence = expected - 1;
        segments.add(new Journal.Segment(position, expected));
        long lastSegmentConsumed = consumed;
        while (true) {
            Candidate found = check(position, consumed, expected, previousGeneration);
            if (found.problem != null && !exact && position % block != 0) {
                long aligned = wrap(Aligned.up(position, block));
                long alignedConsumed = consumed + (Aligned.up(position, block) - position);
                Candidate fallback = check(aligned, alignedConsumed, expected, previousGeneration);
                if (fallback.problem == null) {
                    position = aligned;
                    consumed = alignedConsumed;
                    found = fallback;
                } else {
                    found = new Candidate(found.problem + "; at the next block " + aligned + ": "
                            + fallback.problem, (short) 0, 0, 0);
                }
            }
            if (found.problem != null) {
                stopReason = found.problem;
                return;
            }
            previousGeneration = found.generation;
            if (found.type == RecordFormat.PADDING_TYPE) {
                consumed += header.regionEnd() - position;
                position = regionStart;
                exact = true;
                endPosition = position;
                segments.add(new Journal.Segment(position, expected));
                lastSegmentConsumed = consumed;
                continue;
            }
            if (consumed - lastSegmentConsumed >= segmentSpacing) {
                segments.add(new Journal.Segment(position, expected));
                lastSegmentConsumed = consumed;
            }
            long recordBytes = RecordFormat.HEADER_SIZE + (long) found.bodyLength;
            if (expected > header.trimmedThrough()) {
                ByteBuffer body = bytesAt(position + RecordFormat.HEADER_SIZE, found.bodyLength).slice()
                        .asReadOnlyBuffer();
                handler.apply(new JournalRecord(expected, found.type, body));
                if (applied == 0) {
                    firstApplied = expected;
                }
                applied++;
            } else {
                skipped++;
            }
            lastSequence = expected;
            expected++;
            consumed += recordBytes;
            position = wrap(position + recordBytes);
            endPosition = position;
            exact = false;
        }
    }

    private long wrap(final long position) {
        return position == header.regionEnd() ? header.regionStart() : position;
    }

    /** What the bytes at one position hold: a usable record, or why not. */
    private record Candidate(String problem, short type, int bodyLength, long generation) {
    }

    private Candidate check(final long position, final long consumed, final long expected,
            final long previousGeneration) throws IOException {
        if (position + RecordFormat.HEADER_SIZE > header.regionEnd()) {
            return problem("no room for a record header at " + position);
        }
        if (consumed + RecordFormat.HEADER_SIZE > capacity) {
            return problem("chain reached the tail again at " + position);
        }
        ByteBuffer bytes = bytesAt(position, RecordFormat.HEADER_SIZE);
        int at = bytes.position();
        if (bytes.getInt(at) != RecordFormat.MAGIC) {
            return problem("no record magic at " + position);
        }
        int storedHeaderCrc = bytes.getInt(at + RecordFormat.OFF_HEADER_CRC);
        if (storedHeaderCrc != RecordFormat.crcOf(bytes, at, RecordFormat.OFF_HEADER_CRC, crc)) {
            return problem("record header checksum mismatch at " + position);
        }
        int version = Byte.toUnsignedInt(bytes.get(at + RecordFormat.OFF_VERSION));
        short type = bytes.getShort(at + RecordFormat.OFF_TYPE);
        int tag = bytes.getInt(at + RecordFormat.OFF_TAG);
        long length = Integer.toUnsignedLong(bytes.getInt(at + RecordFormat.OFF_LENGTH));
        long sequence = bytes.getLong(at + RecordFormat.OFF_SEQUENCE);
        long generation = bytes.getLong(at + RecordFormat.OFF_GENERATION);
        int bodyCrc = bytes.getInt(at + RecordFormat.OFF_BODY_CRC);
        String where = " at " + position;
        if (version != RecordFormat.VERSION) {
            return problem("record version " + version + where);
        }
        if (tag != header.recordTag()) {
            return problem("record of another journal (tag " + Integer.toHexString(tag) + ")" + where);
        }
        if (sequence != expected) {
            return problem("sequence " + sequence + " where " + expected + " was expected" + where);
        }
        if (generation < previousGeneration || generation > header.generation()) {
            return problem("generation " + generation + " outside [" + previousGeneration + ", "
                    + header.generation() + "]" + where);
        }
        if (type == RecordFormat.PADDING_TYPE) {
            if (length != header.regionEnd() - position - RecordFormat.HEADER_SIZE) {
                return problem("padding of " + length + " bytes does not reach the region end" + where);
            }
            return new Candidate(null, type, 0, generation);
        }
        if (type < 1) {
            return problem("reserved record type " + Integer.toHexString(type & 0xFFFF) + where);
        }
        long recordBytes = RecordFormat.HEADER_SIZE + length;
        if (recordBytes > maxRecordBytes || position + recordBytes > header.regionEnd()
                || consumed + recordBytes > capacity) {
            return problem("record length " + length + " does not fit" + where);
        }
        ByteBuffer body = bytesAt(position + RecordFormat.HEADER_SIZE, (int) length);
        if (bodyCrc != RecordFormat.crcOf(body, body.position(), (int) length, crc)) {
            return problem("record body checksum mismatch (sequence " + sequence + ")" + where);
        }
        return new Candidate(null, type, (int) length, generation);
    }

    private static Candidate problem(final String why) {
        return new Candidate(why, (short) 0, 0, 0);
    }

    /**
     * The window buffer, positioned at {@code position} with at least {@code length} bytes
     * readable from there (its limit). Reads from the device when the window does not cover them.
     */
    private ByteBuffer bytesAt(final long position, final int length) throws IOException {
        if (windowStart < 0 || position < windowStart || position + length > windowStart + windowLength) {
            long start = Aligned.down(position, block);
            long end = Math.min(header.regionEnd(), Math.max(start + window.capacity(),
                    Aligned.up(position + length, block)));
            int bytes = (int) (end - start);
            if (bytes > window.capacity()) {
                window = Aligned.allocate(bytes, block);
            }
            window.clear().limit(bytes);
            device.read(start, window);
            windowStart = start;
            windowLength = bytes;
        }
        int offset = (int) (position - windowStart);
        window.clear();
        window.limit(offset + length).position(offset);
        return window;
    }
}
