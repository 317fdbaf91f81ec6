package io.keel.iopattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.iopattern.WritePlan.Route;
import io.keel.iopattern.WritePlan.Segment;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockAlignmentTest {

    private static final long B = 64 * 1024;
    private static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;

    @Test
    void coversWholeBlocksOnlyWhenBothEdgesAreAligned() {
        assertThat(BlockAlignment.coversWholeBlocks(0, B, B)).isTrue();
        assertThat(BlockAlignment.coversWholeBlocks(3 * B, 2 * B, B)).isTrue();
        assertThat(BlockAlignment.coversWholeBlocks(4096, B, B)).isFalse();
        assertThat(BlockAlignment.coversWholeBlocks(0, B - 1, B)).isFalse();
        assertThat(BlockAlignment.coversWholeBlocks(0, 4096, B)).isFalse();
        assertThat(BlockAlignment.coversWholeBlocks(3, 6, 3)).isTrue();
    }

    @Test
    void alignsUpAndDown() {
        assertThat(BlockAlignment.alignDown(B + 1, B)).isEqualTo(B);
        assertThat(BlockAlignment.alignDown(B, B)).isEqualTo(B);
        assertThat(BlockAlignment.alignUp(B + 1, B)).isEqualTo(2 * B);
        assertThat(BlockAlignment.alignUp(0, B)).isZero();
        assertThat(BlockAlignment.wholeBlocks(4096, 2 * B, B)).isEqualTo(1);
        assertThat(BlockAlignment.wholeBlocks(4096, B, B)).isZero();
        assertThat(BlockAlignment.wholeBlocks(0, 3 * B, B)).isEqualTo(3);
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> BlockAlignment.coversWholeBlocks(-1, B, B)).isInstanceOf(IAE);
        assertThatThrownBy(() -> BlockAlignment.coversWholeBlocks(0, 0, B)).isInstanceOf(IAE);
        assertThatThrownBy(() -> BlockAlignment.coversWholeBlocks(0, -5, B)).isInstanceOf(IAE);
        assertThatThrownBy(() -> BlockAlignment.coversWholeBlocks(0, B, 0)).isInstanceOf(IAE);
        assertThatThrownBy(() -> BlockAlignment.coversWholeBlocks(Long.MAX_VALUE - 10, 11, B))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BlockAlignment.alignUp(Long.MAX_VALUE - 1, B))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BlockAlignment.alignDown(0, -B)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sequentialWriteSendsAlignedMiddleDirectAndEdgesToTheJournal() {
        WritePlan plan = WritePlan.of(4096, 3 * B, B, true);
        assertThat(plan.segments()).containsExactly(
                new Segment(4096, B - 4096, Route.JOURNAL),
                new Segment(B, 2 * B, Route.DIRECT_NEW_BLOCKS),
                new Segment(3 * B, 4096, Route.JOURNAL));
        assertThat(plan.directBytes()).isEqualTo(2 * B);
        assertThat(plan.journaledBytes()).isEqualTo(B);
        assertThat(plan.isFullyDirect()).isFalse();
    }

    @Test
    void alignedSequentialWriteIsFullyDirect() {
        WritePlan plan = WritePlan.of(2 * B, 4 * B, B, true);
        assertThat(plan.segments()).containsExactly(new Segment(2 * B, 4 * B, Route.DIRECT_NEW_BLOCKS));
        assertThat(plan.isFullyDirect()).isTrue();
    }

    @Test
    void sequentialWriteWithOnlyOneUnalignedEdge() {
        assertThat(WritePlan.of(0, B + 512, B, true).segments()).containsExactly(
                new Segment(0, B, Route.DIRECT_NEW_BLOCKS), new Segment(B, 512, Route.JOURNAL));
        assertThat(WritePlan.of(512, 2 * B - 512, B, true).segments()).containsExactly(
                new Segment(512, B - 512, Route.JOURNAL), new Segment(B, B, Route.DIRECT_NEW_BLOCKS));
    }

    @Test
    void writeWithoutAWholeBlockOrNotSequentialIsJournaledWhole() {
        assertThat(WritePlan.of(4096, B, B, true).segments()).containsExactly(new Segment(4096, B, Route.JOURNAL));
        assertThat(WritePlan.of(0, 4 * B, B, false).segments()).containsExactly(new Segment(0, 4 * B, Route.JOURNAL));
        assertThat(WritePlan.of(0, 4096, B, true).directBytes()).isZero();
    }

    @Test
    void planWorksAtTheTopOfTheAddressSpace() {
        long offset = BlockAlignment.alignDown(Long.MAX_VALUE - 3 * B, B) + 7;
        WritePlan plan = WritePlan.of(offset, Long.MAX_VALUE - offset, B, true);
        assertThat(plan.directBytes()).isEqualTo(2 * B);
        assertThat(plan.segments()).hasSize(3);
    }

    @Test
    void planRejectsSegmentsThatDoNotTile() {
        assertThatThrownBy(() -> new WritePlan(0, 10, B, List.of(new Segment(0, 5, Route.JOURNAL))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WritePlan(0, 10, B,
                List.of(new Segment(0, 5, Route.JOURNAL), new Segment(6, 4, Route.JOURNAL))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WritePlan.of(0, 0, B, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void randomPlansTileTheWriteAndRouteOnlyWholeBlocksDirect() {
        Seeds.forEachCase(2000, random -> {
            long blockSize = 1L << (9 + random.nextInt(10));
            long offset = random.nextLong(1L << 40);
            long length = 1 + random.nextLong(8 * blockSize);
            boolean sequential = random.nextBoolean();
            WritePlan plan = WritePlan.of(offset, length, blockSize, sequential);
            long at = offset;
            Route previous = null;
            for (Segment s : plan.segments()) {
                assertThat(s.offset()).isEqualTo(at);
                assertThat(s.route()).isNotEqualTo(previous);
                if (s.route() == Route.DIRECT_NEW_BLOCKS) {
                    assertThat(sequential).isTrue();
                    assertThat(BlockAlignment.coversWholeBlocks(s.offset(), s.length(), blockSize)).isTrue();
                }
                previous = s.route();
                at = s.end();
            }
            assertThat(at).isEqualTo(offset + length);
            long expectedDirect = sequential ? BlockAlignment.wholeBlocks(offset, length, blockSize) * blockSize : 0;
            assertThat(plan.directBytes()).isEqualTo(expectedDirect);
        });
    }
}
