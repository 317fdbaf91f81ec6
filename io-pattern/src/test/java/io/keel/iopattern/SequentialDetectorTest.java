package io.keel.iopattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SequentialDetectorTest {

    private static final long K = 4096;
    private static final long SECOND = 1_000_000_000L;
    private static final long KEY = 7;

    /** 4 streams per key, 3 keys, sequential after 3 I/Os or 1 MiB, 8 KiB gaps, 1 s idle timeout. */
    private static SequentialDetectorConfig config() {
        return new SequentialDetectorConfig(4, 3, 3, 1024 * K / 4, 2 * K, SECOND);
    }

    @Test
    void becomesSequentialOnlyAfterMinRunLength() {
        SequentialDetector d = new SequentialDetector(config());
        assertThat(d.observe(KEY, 0, K, 0).sequential()).isFalse();
        assertThat(d.observe(KEY, K, K, 1).sequential()).isFalse();
        assertThat(d.observe(KEY, 2 * K, K, 2).sequential()).isFalse();
        AccessPattern p = d.observe(KEY, 3 * K, K, 3);
        assertThat(p).isEqualTo(new AccessPattern(true, 0, 4 * K, 4));
    }

    @Test
    void oneLargeIoEstablishesAStreamByBytes() {
        SequentialDetector d = new SequentialDetector(config());
        assertThat(d.observe(KEY, 0, 256 * K, 0).sequential()).isFalse();
        assertThat(d.observe(KEY, 256 * K, K, 1).sequential()).isTrue();
    }

    @Test
    void smallForwardGapsContinueLargerOnesDoNot() {
        SequentialDetector d = new SequentialDetector(config());
        d.observe(KEY, 0, K, 0);
        d.observe(KEY, 3 * K, K, 0);
        d.observe(KEY, 6 * K, K, 0);
        assertThat(d.observe(KEY, 9 * K, K, 0).sequential()).isTrue();
        AccessPattern jump = d.observe(KEY, 13 * K, K, 0);
        assertThat(jump.sequential()).isFalse();
        assertThat(jump.runLength()).isEqualTo(1);
        assertThat(jump.streamStartOffset()).isEqualTo(13 * K);
    }

    @Test
    void rewritesAndBackwardStepsAreNotSequential() {
        SequentialDetector d = new SequentialDetector(config());
        for (int i = 0; i < 5; i++) {
            d.observe(KEY, i * K, K, 0);
        }
        assertThat(d.observe(KEY, 4 * K, K, 0).sequential()).as("rewrite of the last block").isFalse();
        assertThat(d.observe(KEY, 2 * K, K, 0).sequential()).as("step back").isFalse();
        // A reader going backwards block by block never continues a stream.
        for (long at = 100 * K; at > 90 * K; at -= K) {
            assertThat(d.observe(KEY, at, K, 0).sequential()).isFalse();
        }
    }

    @Test
    void oneOddIoDoesNotBreakAnEstablishedStream() {
        SequentialDetector d = new SequentialDetector(config());
        for (int i = 0; i < 5; i++) {
            d.observe(KEY, i * K, K, i);
        }
        assertThat(d.observe(KEY, 1000 * K, K, 6).sequential()).isFalse();
        AccessPattern back = d.observe(KEY, 5 * K, K, 7);
        assertThat(back.sequential()).isTrue();
        assertThat(back.runLength()).isEqualTo(6);
        assertThat(back.streamStartOffset()).isZero();
    }

    @Test
    void aTailRewriteThatEndsWhereTheStreamEndsDoesNotStealIt() {
        SequentialDetector d = new SequentialDetector(config());
        for (int i = 0; i < 5; i++) {
            d.observe(KEY, i * K, K, i);
        }
        d.observe(KEY, 4 * K + 512, K - 512, 5);
        AccessPattern next = d.observe(KEY, 5 * K, K, 6);
        assertThat(next.sequential()).isTrue();
        assertThat(next.runLength()).isEqualTo(6);
    }

    @Test
    void crossingBackToAnEarlierOffsetStartsANewStreamAndKeepsTheOld() {
        SequentialDetector d = new SequentialDetector(config());
        for (int i = 0; i < 5; i++) {
            d.observe(KEY, 100 * K + i * K, K, 0);
        }
        // The writer loops back to the start of its file: a new stream that has to earn its classification.
        for (int i = 0; i < 3; i++) {
            assertThat(d.observe(KEY, 100 * K + i * K, K, 0).sequential()).isFalse();
        }
        assertThat(d.observe(KEY, 103 * K, K, 0).sequential()).isTrue();
        assertThat(d.observe(KEY, 105 * K, K, 0).runLength()).isEqualTo(6);
    }

    @Test
    void interleavedStreamsAreRecognisedSeparately() {
        SequentialDetector d = new SequentialDetector(config());
        long[] bases = {0, 1L << 30, 1L << 31, 3L << 30};
        for (int round = 0; round < 6; round++) {
            for (long base : bases) {
                AccessPattern p = d.observe(KEY, base + round * K, K, round);
                assertThat(p.sequential()).isEqualTo(round >= 3);
                assertThat(p.streamStartOffset()).isEqualTo(base);
            }
        }
        assertThat(d.trackedStreams()).isEqualTo(4);
    }

    @Test
    void aNewStreamBeyondTheLimitEvictsTheLeastRecentlyUsed() {
        SequentialDetector d = new SequentialDetector(config());
        for (int s = 0; s < 5; s++) {
            d.observe(KEY, s * (1L << 30), K, s);
        }
        assertThat(d.trackedStreams()).isEqualTo(4);
        // Stream 0 was the least recently used, so continuing it starts over.
        assertThat(d.observe(KEY, K, K, 10).runLength()).isEqualTo(1);
        // Stream 2 survived.
        assertThat(d.observe(KEY, 2 * (1L << 30) + K, K, 10).runLength()).isEqualTo(2);
    }

    @Test
    void randomNoiseEvictsTentativeStreamsBeforeEstablishedOnes() {
        SequentialDetector d = new SequentialDetector(config());
        for (int i = 0; i < 4; i++) {
            d.observe(KEY, i * K, K, 0);
        }
        // Far more random I/Os than slots; the established stream is the least recently used throughout.
        for (int i = 0; i < 50; i++) {
            d.observe(KEY, (1000 + 7L * i) * 1024 * K, K, 0);
        }
        AccessPattern p = d.observe(KEY, 4 * K, K, 0);
        assertThat(p.sequential()).isTrue();
        assertThat(p.runLength()).isEqualTo(5);
        assertThat(d.trackedStreams()).isEqualTo(4);
    }

    @Test
    void whenEveryStreamIsEstablishedTheLeastRecentlyUsedGoes() {
        SequentialDetector d = new SequentialDetector(config());
        for (int s = 0; s < 4; s++) {
            for (int i = 0; i < 4; i++) {
                d.observe(KEY, s * (1L << 30) + i * K, K, 0);
            }
        }
        d.observe(KEY, 5L << 30, K, 0);
        assertThat(d.observe(KEY, 4 * K, K, 0).sequential()).as("stream 0 was evicted").isFalse();
        assertThat(d.observe(KEY, (1L << 30) + 4 * K, K, 0).sequential()).isTrue();
    }

    @Test
    void idleStreamsExpire() {
        SequentialDetector d = new SequentialDetector(config());
        for (int i = 0; i < 4; i++) {
            d.observe(KEY, i * K, K, i);
        }
        assertThat(d.observe(KEY, 4 * K, K, 3 + SECOND - 1).sequential()).isTrue();
        AccessPattern late = d.observe(KEY, 5 * K, K, 3 + SECOND - 1 + SECOND);
        assertThat(late.sequential()).isFalse();
        assertThat(late.runLength()).isEqualTo(1);
    }

    @Test
    void timeGoingBackwardsExpiresNothing() {
        SequentialDetector d = new SequentialDetector(config());
        for (int i = 0; i < 4; i++) {
            d.observe(KEY, i * K, K, 10 * SECOND);
        }
        assertThat(d.observe(KEY, 4 * K, K, 0).sequential()).isTrue();
        assertThat(d.observe(KEY, 5 * K, K, Long.MIN_VALUE).sequential()).isTrue();
        assertThat(d.observe(KEY, 6 * K, K, Long.MAX_VALUE).sequential()).as("idle since 10 s").isFalse();
    }

    @Test
    void keysAreIndependentAndBoundedByLeastRecentUse() {
        SequentialDetector d = new SequentialDetector(config());
        for (int i = 0; i < 4; i++) {
            d.observe(1, i * K, K, 0);
            d.observe(2, i * K, K, 0);
        }
        assertThat(d.observe(1, 4 * K, K, 0).sequential()).isTrue();
        assertThat(d.observe(2, 4 * K, K, 0).sequential()).isTrue();
        assertThat(d.observe(3, 4 * K, K, 0).sequential()).as("same offsets, other key").isFalse();
        d.observe(1, 5 * K, K, 0);
        d.observe(4, 0, K, 0);
        assertThat(d.trackedKeys()).isEqualTo(3);
        assertThat(d.observe(2, 5 * K, K, 0).sequential()).as("key 2 was least recently used").isFalse();
        assertThat(d.observe(1, 6 * K, K, 0).sequential()).isTrue();
        d.forget(1);
        assertThat(d.observe(1, 7 * K, K, 0).sequential()).isFalse();
    }

    @Test
    void aVolumeKeyedStreamCrossesExtentBoundaries() {
        long extent = 256L * 1024 * 1024;
        SequentialDetector d = new SequentialDetector(config());
        long at = extent - 4 * 64 * K;
        for (int i = 0; i < 8; i++, at += 64 * K) {
            assertThat(d.observe(KEY, at, 64 * K, 0).sequential()).isEqualTo(i >= 3);
        }
        assertThat(at).isGreaterThan(extent);
    }

    @Test
    void countersSaturateInsteadOfOverflowing() {
        SequentialDetector d = new SequentialDetector(config());
        long big = Long.MAX_VALUE / 2;
        d.observe(KEY, 0, big, 0);
        AccessPattern p = d.observe(KEY, big, Long.MAX_VALUE - big, 0);
        assertThat(p.streamBytes()).isEqualTo(Long.MAX_VALUE);
        assertThat(p.sequential()).isTrue();
    }

    @Test
    void rejectsBadArguments() {
        SequentialDetector d = new SequentialDetector(config());
        assertThatThrownBy(() -> d.observe(KEY, -1, K, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.observe(KEY, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.observe(KEY, 0, -K, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.observe(KEY, Long.MAX_VALUE, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SequentialDetector(null)).isInstanceOf(NullPointerException.class);
        assertThat(d.trackedStreams()).isZero();
    }

    @Test
    void configRejectsNonsense() {
        assertThatThrownBy(() -> new SequentialDetectorConfig(0, 1, 1, 1, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SequentialDetectorConfig(1, 0, 1, 1, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SequentialDetectorConfig(1, 1, 0, 1, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SequentialDetectorConfig(1, 1, 1, 0, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SequentialDetectorConfig(1, 1, 1, 1, -1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SequentialDetectorConfig(1, 1, 1, 1, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(SequentialDetectorConfig.defaults().minRunLength()).isEqualTo(4);
    }
}
