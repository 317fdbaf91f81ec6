package io.keel.iopattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class WriteCoalescerTest {

    private static final int K = 4096;
    private static final int B = 16 * K;
    private static final long HOLD = 1_000_000;
    private static final long KEY = 3;

    private static WriteCoalescer<String> coalescer() {
        return new WriteCoalescer<>(new CoalescerConfig(B, HOLD, 64L * K, 32));
    }

    @Test
    void nonSequentialWritesPassThroughAtOnce() {
        WriteCoalescer<String> c = coalescer();
        assertThat(c.offer(KEY, 5 * K, K, "a", false, 0))
                .containsExactly(new WriteBatch<>(KEY, 5 * K, K, List.of("a"), false));
        assertThat(c.pendingBytes()).isZero();
        assertThat(c.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void sequentialWritesAreHeldUntilTheyReachABlockBoundary() {
        WriteCoalescer<String> c = coalescer();
        for (int i = 0; i < 15; i++) {
            assertThat(c.offer(KEY, (long) i * K, K, "w" + i, true, i)).isEmpty();
        }
        assertThat(c.pendingBytes()).isEqualTo(15L * K);
        assertThat(c.pendingWrites()).isEqualTo(15);
        assertThat(c.nextDeadlineNanos()).isEqualTo(HOLD);
        List<WriteBatch<String>> out = c.offer(KEY, 15L * K, K, "w15", true, 15);
        assertThat(out).hasSize(1);
        WriteBatch<String> batch = out.get(0);
        assertThat(batch.offset()).isZero();
        assertThat(batch.length()).isEqualTo(B);
        assertThat(batch.sequential()).isTrue();
        assertThat(batch.handles()).hasSize(16).startsWith("w0", "w1").endsWith("w15");
        assertThat(c.pendingBytes()).isZero();
        assertThat(c.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aRunStartingMidBlockIsReleasedAtTheFirstBoundary() {
        WriteCoalescer<String> c = coalescer();
        assertThat(c.offer(KEY, 13L * K, K, "a", true, 0)).isEmpty();
        assertThat(c.offer(KEY, 14L * K, K, "b", true, 0)).isEmpty();
        assertThat(c.offer(KEY, 15L * K, K, "c", true, 0))
                .containsExactly(new WriteBatch<>(KEY, 13L * K, 3L * K, List.of("a", "b", "c"), true));
    }

    @Test
    void aRunThatCannotEndAlignedIsReleasedOnceItHoldsAWholeBlock() {
        WriteCoalescer<String> c = coalescer();
        // 12 KiB writes from 512: no write ends on a block boundary; the run goes once it contains [B, 2B).
        long at = 512;
        List<WriteBatch<String>> out = List.of();
        int n = 0;
        while (out.isEmpty()) {
            out = c.offer(KEY, at, 3 * K, "w" + n++, true, 0);
            at += 3 * K;
        }
        WriteBatch<String> batch = out.get(0);
        assertThat(batch.offset()).isEqualTo(512);
        assertThat(batch.end()).isEqualTo(at).isGreaterThanOrEqualTo(2L * B);
        assertThat(batch.end() - 3 * K).isLessThan(2L * B);
        assertThat(BlockAlignment.wholeBlocks(batch.offset(), batch.length(), B)).isEqualTo(1);
    }

    @Test
    void largeAlignedWritesAreNotHeld() {
        WriteCoalescer<String> c = coalescer();
        assertThat(c.offer(KEY, 0, B, "a", true, 0)).containsExactly(new WriteBatch<>(KEY, 0, B, List.of("a"), true));
        assertThat(c.offer(KEY, B + K, 2 * B, "b", true, 0)).hasSize(1);
        assertThat(c.pendingBytes()).isZero();
    }

    @Test
    void aNonContiguousSequentialWriteStartsAnotherRunAndInterleavedStreamsBothCoalesce() {
        WriteCoalescer<String> c = coalescer();
        long other = 100L * B;
        for (int i = 0; i < 15; i++) {
            assertThat(c.offer(KEY, (long) i * K, K, "a" + i, true, 0)).isEmpty();
            assertThat(c.offer(KEY, other + (long) i * K, K, "b" + i, true, 0)).isEmpty();
        }
        assertThat(c.offer(KEY, 15L * K, K, "a15", true, 0)).singleElement()
                .satisfies(b -> assertThat(b.handles()).hasSize(16).allMatch(h -> h.startsWith("a")));
        assertThat(c.offer(KEY, other + 15L * K, K, "b15", true, 0)).singleElement()
                .satisfies(b -> assertThat(b.handles()).hasSize(16).allMatch(h -> h.startsWith("b")));
    }

    @Test
    void anOverlappingWriteReleasesTheHeldRunFirst() {
        WriteCoalescer<String> c = coalescer();
        c.offer(KEY, 0, K, "a", true, 0);
        c.offer(KEY, K, K, "b", true, 0);
        List<WriteBatch<String>> out = c.offer(KEY, K + 512, 512, "x", false, 0);
        assertThat(out).containsExactly(
                new WriteBatch<>(KEY, 0, 2L * K, List.of("a", "b"), true),
                new WriteBatch<>(KEY, K + 512, 512, List.of("x"), false));
        assertThat(c.pendingBytes()).isZero();
    }

    @Test
    void anOverlappingSequentialWriteIsHeldAfterTheRunItDisplaced() {
        WriteCoalescer<String> c = coalescer();
        c.offer(KEY, 0, 2 * K, "a", true, 0);
        List<WriteBatch<String>> out = c.offer(KEY, K, K, "b", true, 5);
        assertThat(out).containsExactly(new WriteBatch<>(KEY, 0, 2L * K, List.of("a"), true));
        assertThat(c.pendingBytes()).isEqualTo(K);
        assertThat(c.nextDeadlineNanos()).isEqualTo(5 + HOLD);
    }

    @Test
    void aWriteAppendedToOneRunReleasesAnotherRunItOverlaps() {
        WriteCoalescer<String> c = coalescer();
        c.offer(KEY, 0, K, "a", true, 0);
        c.offer(KEY, 3L * K, K, "z", true, 0);
        List<WriteBatch<String>> out = c.offer(KEY, K, 3 * K, "b", true, 0);
        assertThat(out).containsExactly(new WriteBatch<>(KEY, 3L * K, K, List.of("z"), true));
        assertThat(c.drain()).containsExactly(new WriteBatch<>(KEY, 0, 4L * K, List.of("a", "b"), true));
    }

    @Test
    void writesThatOnlyTouchARunDoNotReleaseIt() {
        WriteCoalescer<String> c = coalescer();
        c.offer(KEY, 4L * K, K, "a", true, 0);
        assertThat(c.offer(KEY, 3L * K, K, "before", false, 0)).hasSize(1);
        assertThat(c.offer(KEY, 6L * K, K, "after", false, 0)).hasSize(1);
        assertThat(c.offer(KEY + 1, 4L * K, K, "other key", false, 0)).hasSize(1);
        assertThat(c.pendingBytes()).isEqualTo(K);
    }

    @Test
    void expireReleasesRunsWhoseHoldTimeIsUpOldestFirst() {
        WriteCoalescer<String> c = coalescer();
        c.offer(KEY, 0, K, "a", true, 10);
        c.offer(KEY, K, K, "a2", true, 10 + HOLD - 1);
        c.offer(KEY + 1, 0, K, "b", true, 20);
        assertThat(c.nextDeadlineNanos()).isEqualTo(10 + HOLD);
        assertThat(c.expire(10 + HOLD - 1)).isEmpty();
        assertThat(c.expire(20 + HOLD)).containsExactly(
                new WriteBatch<>(KEY, 0, 2L * K, List.of("a", "a2"), true),
                new WriteBatch<>(KEY + 1, 0, K, List.of("b"), true));
        assertThat(c.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(c.expire(Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void deadlinesSaturateAtTheEndOfTime() {
        WriteCoalescer<String> c = coalescer();
        c.offer(KEY, 0, K, "a", true, Long.MAX_VALUE - 1);
        assertThat(c.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(c.expire(Long.MAX_VALUE)).hasSize(1);
    }

    @Test
    void zeroHoldTimeReleasesOnTheNextExpire() {
        WriteCoalescer<String> c = new WriteCoalescer<>(new CoalescerConfig(B, 0, B, 8));
        assertThat(c.offer(KEY, 0, K, "a", true, 7)).isEmpty();
        assertThat(c.expire(7)).hasSize(1);
    }

    @Test
    void maxWritesPerBatchBoundsARun() {
        WriteCoalescer<String> c = new WriteCoalescer<>(new CoalescerConfig(B, HOLD, 1L << 20, 4));
        for (int i = 0; i < 3; i++) {
            assertThat(c.offer(KEY, i * 512L, 512, "w" + i, true, 0)).isEmpty();
        }
        assertThat(c.offer(KEY, 3 * 512L, 512, "w3", true, 0)).singleElement()
                .satisfies(b -> assertThat(b.handles()).containsExactly("w0", "w1", "w2", "w3"));
    }

    @Test
    void pendingBytesNeverExceedTheLimit() {
        WriteCoalescer<String> c = new WriteCoalescer<>(new CoalescerConfig(B, HOLD, 3L * K, 32));
        c.offer(1, 0, K, "a", true, 1);
        c.offer(2, 0, K, "b", true, 2);
        c.offer(3, 0, K, "c", true, 3);
        assertThat(c.pendingBytes()).isEqualTo(3L * K);
        // A new run makes room by releasing the oldest run.
        assertThat(c.offer(4, 0, K, "d", true, 4)).containsExactly(new WriteBatch<>(1, 0, K, List.of("a"), true));
        // A contiguous write that does not fit is merged and its run released.
        assertThat(c.offer(2, K, K, "b2", true, 5))
                .containsExactly(new WriteBatch<>(2, 0, 2L * K, List.of("b", "b2"), true));
        assertThat(c.pendingBytes()).isEqualTo(2L * K);
        // A write bigger than the whole budget passes through.
        assertThat(c.offer(5, K, 4 * K, "huge", true, 6))
                .containsExactly(new WriteBatch<>(5, K, 4L * K, List.of("huge"), true));
        assertThat(c.pendingBytes()).isEqualTo(2L * K);
    }

    @Test
    void flushReleasesOnlyTheRunsOverlappingTheRange() {
        WriteCoalescer<String> c = coalescer();
        c.offer(KEY, 0, K, "a", true, 0);
        c.offer(KEY, 10L * K, K, "b", true, 0);
        c.offer(KEY + 1, 0, K, "c", true, 0);
        assertThat(c.flush(KEY, K, 9L * K)).isEmpty();
        assertThat(c.flush(KEY, 512, 20L * K)).containsExactly(
                new WriteBatch<>(KEY, 0, K, List.of("a"), true), new WriteBatch<>(KEY, 10L * K, K, List.of("b"), true));
        assertThat(c.pendingBytes()).isEqualTo(K);
        assertThatThrownBy(() -> c.flush(KEY, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void drainReleasesEverythingAndLeavesNothing() {
        WriteCoalescer<String> c = coalescer();
        c.offer(KEY, 0, K, "a", true, 5);
        c.offer(KEY, 10L * K, K, "b", true, 1);
        assertThat(c.drain()).containsExactly(
                new WriteBatch<>(KEY, 10L * K, K, List.of("b"), true),
                new WriteBatch<>(KEY, 0, K, List.of("a"), true));
        assertThat(c.drain()).isEmpty();
        assertThat(c.pendingBytes()).isZero();
        assertThat(c.pendingWrites()).isZero();
    }

    @Test
    void rejectsBadArguments() {
        WriteCoalescer<String> c = coalescer();
        assertThatThrownBy(() -> c.offer(KEY, -1, K, "a", true, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.offer(KEY, 0, 0, "a", true, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.offer(KEY, 0, -1, "a", true, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.offer(KEY, Long.MAX_VALUE - 1, K, "a", true, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.offer(KEY, 0, K, null, true, 0)).isInstanceOf(NullPointerException.class);
        assertThat(c.pendingBytes()).isZero();
        assertThatThrownBy(() -> new CoalescerConfig(0, 1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CoalescerConfig(1, -1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CoalescerConfig(1, 1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CoalescerConfig(1, 1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WriteBatch<>(KEY, 0, K, List.of(), true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(CoalescerConfig.defaults().targetBytes()).isEqualTo(64 * 1024);
    }
}
