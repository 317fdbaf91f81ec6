package io.keel.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Walks the record chain from the header's tail at open (see "Replay" in docs/journal-format.md),
 * hands every valid record past the trimmed point to the handler, and reports where the chain
 * ended and why. Where the chain ends, it checks the rest of the region for a later record that
 * proves records from there on had been durable, and then throws {@link JournalCorruptException}
 * instead of treating the end as a torn tail ("Damage or torn tail" in the same document).
 */
final class Replay {

    private static final int WINDOW_BYTES = 1 << 20;

    private final JournalDevice device;
    private final String name;
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
    /** Bytes of the region after the end of the chain that were checked for later records. */
    long checkedBytes;

    Replay(final JournalDevice device, final String name, final JournalHeader header, final long maxRecordBytes,
            final long segmentSpacing) {
        this.device = device;
        this.name = name;
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
            long damagedAt = position;
            if (found.problem != null && !exact && position % block != 0) {
                long aligned = wrap(Aligned.up(position, block));
                long alignedConsumed = consumed + (Aligned.up(position, block) - position);
                Candidate fallback = check(aligned, alignedConsumed, expected, previousGeneration);
                if (fallback.problem == null) {
                    position = aligned;
                    consumed = alignedConsumed;
                    found = fallback;
                } else {
                    if (!found.damaged && fallback.damaged) {
                        // Nothing at the exact end, something damaged at the boundary: the
                        // first record of the next batch is what is damaged.
                        damagedAt = aligned;
                    }
                    found = problem(found.problem + "; at the next block " + aligned + ": " + fallback.problem);
                }
            }
            if (found.problem != null) {
                stopReason = found.problem;
                refuseIfDurableRecordsFollow(damagedAt, consumed, expected);
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

    /**
     * What the bytes at one position hold: a usable record, or why not; {@code damaged} when they
     * hold a record magic but a header or body checksum does not match.
     */
    private record Candidate(String problem, boolean damaged, short type, int bodyLength, long generation) {
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
        if (!headerChecksumMatches(bytes, at)) {
            return damaged("record header checksum mismatch at " + position);
        }
        String headerProblem = headerProblem(bytes, at, position);
        if (headerProblem != null) {
            return problem(headerProblem);
        }
        short type = bytes.getShort(at + RecordFormat.OFF_TYPE);
        long length = Integer.toUnsignedLong(bytes.getInt(at + RecordFormat.OFF_LENGTH));
        long sequence = bytes.getLong(at + RecordFormat.OFF_SEQUENCE);
        long generation = bytes.getLong(at + RecordFormat.OFF_GENERATION);
        int bodyCrc = bytes.getInt(at + RecordFormat.OFF_BODY_CRC);
        String where = " at " + position;
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
            return new Candidate(null, false, type, 0, generation);
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
            return damaged("record body checksum mismatch (sequence " + sequence + ")" + where);
        }
        return new Candidate(null, false, type, (int) length, generation);
    }

    private boolean headerChecksumMatches(final ByteBuffer bytes, final int at) {
        int stored = bytes.getInt(at + RecordFormat.OFF_HEADER_CRC);
        return stored == RecordFormat.crcOf(bytes, at, RecordFormat.OFF_HEADER_CRC, crc);
    }

    /**
     * Why the record header at {@code at} of {@code bytes}, whose magic and checksum are right,
     * is not one of this journal's, or null.
     */
    private String headerProblem(final ByteBuffer bytes, final int at, final long position) {
        int version = Byte.toUnsignedInt(bytes.get(at + RecordFormat.OFF_VERSION));
        if (version != RecordFormat.VERSION) {
            return "record version " + version + " at " + position;
        }
        int tag = bytes.getInt(at + RecordFormat.OFF_TAG);
        if (tag != header.recordTag()) {
            return "record of another journal (tag " + Integer.toHexString(tag) + ") at " + position;
        }
        return null;
    }

    // ---------------------------------------------------------------- damage or torn tail

    /** A valid record after the end of the chain whose batch was written when {@code durableThrough} was durable. */
    private record Evidence(long position, long sequence, long generation, long durableThrough) {
    }

    /**
     * The chain ended at {@code stopPosition} ({@code stopConsumed} bytes after the tail's block)
     * where {@code expected} was due. Reads the rest of the region, one block boundary after the
     * other, for a valid record of this journal whose durable-through reaches the first record
     * lost there that was not trimmed; throws {@link JournalCorruptException} if there is one.
     * Batches start at block boundaries and the committer writes the best durable-through it
     * knows into each batch's first record (and padding), so block boundaries suffice.
     */
    private void refuseIfDurableRecordsFollow(final long stopPosition, final long stopConsumed, final long expected)
            throws IOException {
        long firstLost = Math.max(expected, header.trimmedThrough() + 1);
        long tailBlock = Aligned.down(header.tailPosition(), block);
        Evidence best = null;
        long highestSequence = 0;
        for (long distance = Aligned.up(stopConsumed, block); distance < capacity; distance += block) {
            long position = tailBlock + distance;
            if (position >= header.regionEnd()) {
                position -= capacity;
            }
            checkedBytes += block;
            Evidence found = evidenceAt(position, firstLost);
            if (found != null) {
                highestSequence = Math.max(highestSequence, found.sequence());
                if (best == null || found.durableThrough() > best.durableThrough()) {
                    best = found;
                }
            }
        }
        if (best == null) {
            return;
        }
        String message = "journal " + name + ": the record chain breaks at position " + stopPosition
                + " where sequence " + expected + " was expected (" + stopReason + "), but the valid record at "
                + "position " + best.position() + " (sequence " + best.sequence() + ", generation " + best.generation()
                + ") was written after every record through sequence " + best.durableThrough()
                + " was durable: sequences " + firstLost + ".." + best.durableThrough()
                + " were acknowledged and cannot be recovered (records up to sequence " + highestSequence
                + " follow the damage); refusing to open rather than drop them";
        throw new JournalCorruptException(message, stopPosition, firstLost, best.durableThrough(), best.sequence(),
                best.position());
    }

    /**
     * The record at block boundary {@code position} if it is a fully valid record (or padding) of
     * this journal, from an open no newer than the header's, whose durable-through is at least
     * {@code firstLost}; otherwise null. Records left from before a crash or from an earlier lap
     * only ever vouch for sequences older than where any later chain can end, so they never qualify.
     */
    private Evidence evidenceAt(final long position, final long firstLost) throws IOException {
        ByteBuffer bytes = bytesAt(position, RecordFormat.HEADER_SIZE);
        int at = bytes.position();
        if (bytes.getInt(at) != RecordFormat.MAGIC || !headerChecksumMatches(bytes, at)
                || headerProblem(bytes, at, position) != null) {
            return null;
        }
        long durableThrough = bytes.getLong(at + RecordFormat.OFF_DURABLE_THROUGH);
        long sequence = bytes.getLong(at + RecordFormat.OFF_SEQUENCE);
        long generation = bytes.getLong(at + RecordFormat.OFF_GENERATION);
        short type = bytes.getShort(at + RecordFormat.OFF_TYPE);
        long length = Integer.toUnsignedLong(bytes.getInt(at + RecordFormat.OFF_LENGTH));
        int bodyCrc = bytes.getInt(at + RecordFormat.OFF_BODY_CRC);
        if (durableThrough < firstLost || sequence <= durableThrough || generation > header.generation()) {
            return null;
        }
        if (type == RecordFormat.PADDING_TYPE) {
            boolean reachesEnd = length == header.regionEnd() - position - RecordFormat.HEADER_SIZE;
            return reachesEnd ? new Evidence(position, sequence, generation, durableThrough) : null;
        }
        long recordBytes = RecordFormat.HEADER_SIZE + length;
        if (type < 1 || recordBytes > maxRecordBytes || position + recordBytes > header.regionEnd()) {
            return null;
        }
        ByteBuffer body = bytesAt(position + RecordFormat.HEADER_SIZE, (int) length);
        if (bodyCrc != RecordFormat.crcOf(body, body.position(), (int) length, crc)) {
            return null;
        }
        return new Evidence(position, sequence, generation, durableThrough);
    }

    private static Candidate problem(final String why) {
        return new Candidate(why, false, (short) 0, 0, 0);
    }

    /** A record magic, but a checksum does not match. */
    private static Candidate damaged(final String why) {
        return new Candidate(why, true, (short) 0, 0, 0);
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
