package io.keel.iopattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReadAheadAdvisorTest {

    private static final long K = 4096;
    private static final long SECOND = 1_000_000_000L;
    private static final long KEY = 9;

    private static ReadAheadAdvisor advisor() {
        SequentialDetectorConfig streams = new SequentialDetectorConfig(4, 4, 1, 1L << 40, 0, SECOND);
        return new ReadAheadAdvisor(new ReadAheadConfig(streams, 4 * K, 16 * K));
    }

    @Test
    void theFirstReadOfAStreamGetsNoHintTheSecondGetsTheInitialWindow() {
        ReadAheadAdvisor a = advisor();
        assertThat(a.observe(KEY, 0, K, 0)).isEqualTo(ReadAheadHint.NONE);
        assertThat(a.observe(KEY, K, K, 0)).isEqualTo(new ReadAheadHint(2 * K, 4 * K));
    }

    @Test
    void theWindowDoublesWhenTheReaderNearsItsEndAndStopsAtTheMaximum() {
        ReadAheadAdvisor a = advisor();
        a.observe(KEY, 0, K, 0);
        assertThat(a.observe(KEY, K, K, 0)).isEqualTo(new ReadAheadHint(2 * K, 4 * K));
        assertThat(a.observe(KEY, 2 * K, K, 0).isNone()).as("3 KiB of a 4 KiB window still ahead").isTrue();
        assertThat(a.observe(KEY, 3 * K, K, 0).isNone()).isTrue();
        // Reader at 5K, prefetched to 6K: less than half a window ahead, so the window doubles to 8K.
        assertThat(a.observe(KEY, 4 * K, K, 0)).isEqualTo(new ReadAheadHint(6 * K, 7 * K));
        long end = 5 * K;
        long prefetched = 13 * K;
        long window = 8 * K;
        for (int i = 0; i < 100; i++) {
            ReadAheadHint hint = a.observe(KEY, end, K, 0);
            end += K;
            if (!hint.isNone()) {
                assertThat(hint.offset()).as("hints continue where the last one ended").isEqualTo(prefetched);
                window = Math.min(2 * window, 16 * K);
                assertThat(hint.end()).isEqualTo(end + window);
                prefetched = hint.end();
            }
            assertThat(prefetched).isGreaterThan(end);
        }
        assertThat(window).isEqualTo(16 * K);
    }

    @Test
    void readsLargerThanTheWindowGetAHintEachTime() {
        ReadAheadAdvisor a = advisor();
        a.observe(KEY, 0, 64 * K, 0);
        assertThat(a.observe(KEY, 64 * K, 64 * K, 0)).isEqualTo(new ReadAheadHint(128 * K, 4 * K));
        assertThat(a.observe(KEY, 128 * K, 64 * K, 0)).isEqualTo(new ReadAheadHint(192 * K, 8 * K));
        assertThat(a.observe(KEY, 192 * K, 64 * K, 0)).isEqualTo(new ReadAheadHint(256 * K, 16 * K));
        assertThat(a.observe(KEY, 256 * K, 64 * K, 0)).isEqualTo(new ReadAheadHint(320 * K, 16 * K));
    }

    @Test
    void randomAccessGetsNoHintAndANewStreamStartsWithTheInitialWindow() {
        ReadAheadAdvisor a = advisor();
        for (int i = 0; i < 20; i++) {
            a.observe(KEY, i * K, K, 0);
        }
        assertThat(a.observe(KEY, 1000 * K, K, 0).isNone()).isTrue();
        assertThat(a.observe(KEY, 500 * K, K, 0).isNone()).isTrue();
        assertThat(a.observe(KEY, 501 * K, K, 0)).isEqualTo(new ReadAheadHint(502 * K, 4 * K));
    }

    @Test
    void interleavedReadersKeepTheirOwnWindows() {
        ReadAheadAdvisor a = advisor();
        long other = 1L << 30;
        a.observe(KEY, 0, K, 0);
        a.observe(KEY, other, K, 0);
        assertThat(a.observe(KEY, K, K, 0)).isEqualTo(new ReadAheadHint(2 * K, 4 * K));
        assertThat(a.observe(KEY, other + K, K, 0)).isEqualTo(new ReadAheadHint(other + 2 * K, 4 * K));
    }

    @Test
    void anIdleStreamStartsOver() {
        ReadAheadAdvisor a = advisor();
        a.observe(KEY, 0, K, 0);
        a.observe(KEY, K, K, 0);
        assertThat(a.observe(KEY, 2 * K, K, 2 * SECOND).isNone()).isTrue();
        assertThat(a.observe(KEY, 3 * K, K, 2 * SECOND)).isEqualTo(new ReadAheadHint(4 * K, 4 * K));
    }

    @Test
    void hintsStopAtTheEndOfTheAddressSpace() {
        ReadAheadAdvisor a = advisor();
        long at = Long.MAX_VALUE - 3 * K;
        a.observe(KEY, at - K, K, 0);
        assertThat(a.observe(KEY, at, K, 0)).isEqualTo(new ReadAheadHint(at + K, 2 * K));
        assertThat(a.observe(KEY, at + K, K, 0).isNone()).isTrue();
        assertThat(a.observe(KEY, at + 2 * K, K, 0).isNone()).isTrue();
    }

    @Test
    void rejectsBadArguments() {
        ReadAheadAdvisor a = advisor();
        assertThatThrownBy(() -> a.observe(KEY, -1, K, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.observe(KEY, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.observe(KEY, Long.MAX_VALUE, K, 0)).isInstanceOf(IllegalArgumentException.class);
        SequentialDetectorConfig streams = SequentialDetectorConfig.defaults();
        assertThatThrownBy(() -> new ReadAheadConfig(streams, 0, K)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReadAheadConfig(streams, 2 * K, K)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReadAheadConfig(null, K, K)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new ReadAheadHint(5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReadAheadHint(0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ReadAheadHint.NONE.isNone()).isTrue();
        assertThat(ReadAheadConfig.defaults().streams().minRunLength()).isEqualTo(1);
    }
}
