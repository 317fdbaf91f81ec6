package io.keel.iopattern;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How one write reaches the device: its whole-block middle may go to newly allocated blocks with only the
 * mapping journaled, while an unaligned head or tail (a partial block that must merge with old data) and
 * any non-sequential write go through the data journal. Segments are in offset order, contiguous, non-empty
 * and cover the write exactly; neighbouring segments always differ in route.
 *
 * @param offset    first byte of the write
 * @param length    bytes in the write
 * @param blockSize the store's allocation unit
 * @param segments  the routed pieces
 */
public record WritePlan(long offset, long length, long blockSize, List<Segment> segments) {

    /** Where the bytes of a segment go. */
    public enum Route {
        /** Data is journaled (group commit) and applied in place later. */
        JOURNAL,
        /** Data is written to newly allocated blocks; only the mapping change is journaled. */
        DIRECT_NEW_BLOCKS
    }

    /**
     * One routed piece of a write.
     *
     * @param offset first byte
     * @param length bytes, at least one
     * @param route  where it goes
     */
    public record Segment(long offset, long length, Route route) {

        /** Validates the piece. */
        public Segment {
            Args.rangeEnd(offset, length);
            Objects.requireNonNull(route, "route");
        }

        /** Exclusive end of the piece. */
        public long end() {
            return offset + length;
        }
    }

    /** Validates that the segments tile the write. */
    public WritePlan {
        long end = Args.rangeEnd(offset, length);
        Args.positive("blockSize", blockSize);
        segments = List.copyOf(segments);
        long at = offset;
        for (Segment segment : segments) {
            if (segment.offset() != at) {
                throw new IllegalArgumentException("segments do not tile the write at " + at + ": " + segments);
            }
            at = segment.end();
        }
        if (at != end) {
            throw new IllegalArgumentException("segments end at " + at + ", the write at " + end);
        }
    }

    /**
     * Plans a write. A sequential write sends its whole blocks {@link Route#DIRECT_NEW_BLOCKS} and its
     * unaligned edges to the {@link Route#JOURNAL}; a non-sequential write is journaled whole.
     */
    public static WritePlan of(final long offset, final long length, final long blockSize, final boolean sequential) {
        long end = Args.rangeEnd(offset, length);
        Args.positive("blockSize", blockSize);
        if (!sequential || BlockAlignment.wholeBlocks(offset, length, blockSize) == 0) {
            return new WritePlan(offset, length, blockSize, List.of(new Segment(offset, length, Route.JOURNAL)));
        }
        // wholeBlocks > 0 means both boundaries below lie inside [offset, end], so neither overflows.
        long middleStart = BlockAlignment.alignUp(offset, blockSize);
        long middleEnd = BlockAlignment.alignDown(end, blockSize);
        List<Segment> segments = new ArrayList<>(3);
        if (middleStart > offset) {
            segments.add(new Segment(offset, middleStart - offset, Route.JOURNAL));
        }
        segments.add(new Segment(middleStart, middleEnd - middleStart, Route.DIRECT_NEW_BLOCKS));
        if (end > middleEnd) {
            segments.add(new Segment(middleEnd, end - middleEnd, Route.JOURNAL));
        }
        return new WritePlan(offset, length, blockSize, segments);
    }

    /** Bytes that go to newly allocated blocks. */
    public long directBytes() {
        return segments.stream().filter(s -> s.route() == Route.DIRECT_NEW_BLOCKS).mapToLong(Segment::length).sum();
    }

    /** Bytes whose data is journaled. */
    public long journaledBytes() {
        return length - directBytes();
    }

    /** Whether no data of this write goes through the journal. */
    public boolean isFullyDirect() {
        return journaledBytes() == 0;
    }
}
