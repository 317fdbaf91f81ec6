package io.keel.iopattern;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random interleavings of sequential streams, with and without random noise, against {@link SequentialDetector}. */
class SequentialDetectorPropertyTest {

    private static final int CASES = 300;
    private static final long SPACING = 1L << 36;

    private static SequentialDetectorConfig config(final Random random) {
        return new SequentialDetectorConfig(2 + random.nextInt(8), 1 + random.nextInt(4), 1 + random.nextInt(8),
                4096L * (1 + random.nextInt(512)), 512L * random.nextInt(64), 1_000_000_000L);
    }

    /** State of one generated stream. */
    private static final class Cursor {
        final long start;
        long end;
        long bytes;
        int ios;
        boolean established;

        Cursor(final long start) {
            this.start = start;
            this.end = start;
        }
    }

    @Test
    void interleavedStreamsAreEachRecognisedExactlyAfterTheirThreshold() {
        Seeds.forEachCase(CASES, random -> {
            SequentialDetectorConfig config = config(random);
            SequentialDetector d = new SequentialDetector(config);
            long key = random.nextLong();
            Cursor[] streams = cursors(1 + random.nextInt(config.maxStreamsPerKey()), random);
            long now = random.nextLong(1L << 50);
            for (int step = 0; step < 400; step++) {
                now += random.nextInt(1000);
                Cursor s = streams[random.nextInt(streams.length)];
                long gap = s.ios == 0 || config.maxGapBytes() == 0 || random.nextBoolean()
                        ? 0 : random.nextLong(config.maxGapBytes() + 1);
                long length = 512L * (1 + random.nextInt(128));
                boolean expected = s.ios >= config.minRunLength() || s.bytes >= config.minRunBytes();
                AccessPattern p = d.observe(key, s.end + gap, length, now);
                s.end += gap + length;
                s.bytes += length;
                s.ios++;
                assertThat(p.sequential()).as("I/O %d of the stream at %d", s.ios, s.start).isEqualTo(expected);
                assertThat(p.streamStartOffset()).isEqualTo(s.start);
                assertThat(p.runLength()).isEqualTo(s.ios);
                assertThat(p.streamBytes()).isEqualTo(s.bytes);
            }
            assertThat(d.trackedStreams()).isEqualTo(streams.length);
        });
    }

    @Test
    void anEstablishedStreamStaysSequentialThroughRandomNoise() {
        Seeds.forEachCase(CASES, random -> {
            SequentialDetectorConfig config = config(random);
            SequentialDetector d = new SequentialDetector(config);
            // One slot stays free for the noise, so noise never has to evict an established stream.
            Cursor[] streams = cursors(1 + random.nextInt(config.maxStreamsPerKey() - 1), random);
            long now = 0;
            for (int step = 0; step < 600; step++) {
                now += random.nextInt(1000);
                if (random.nextInt(3) == 0) {
                    long noise = (1L << 40) * (1 + random.nextInt(1 << 20)) + 512L * random.nextInt(1 << 20);
                    assertThat(d.observe(0, noise, 512, now).sequential()).isFalse();
                    continue;
                }
                Cursor s = streams[random.nextInt(streams.length)];
                long length = 512L * (1 + random.nextInt(16));
                AccessPattern p = d.observe(0, s.end, length, now);
                s.end += length;
                if (s.established) {
                    assertThat(p.sequential()).as("established stream at %d", s.start).isTrue();
                }
                s.established |= p.sequential();
            }
            assertThat(d.trackedStreams()).isLessThanOrEqualTo(config.maxStreamsPerKey());
        });
    }

    @Test
    void memoryStaysBoundedAcrossManyKeys() {
        Seeds.forEachCase(50, random -> {
            SequentialDetectorConfig config = config(random);
            SequentialDetector d = new SequentialDetector(config);
            for (int i = 0; i < 2000; i++) {
                d.observe(random.nextInt(64), 512L * random.nextInt(1 << 20), 512, i);
                assertThat(d.trackedKeys()).isLessThanOrEqualTo(config.maxKeys());
                assertThat(d.trackedStreams()).isLessThanOrEqualTo(config.maxKeys() * config.maxStreamsPerKey());
            }
        });
    }

    private static Cursor[] cursors(final int count, final Random random) {
        Cursor[] streams = new Cursor[count];
        for (int i = 0; i < count; i++) {
            streams[i] = new Cursor(i * SPACING + 512L * random.nextInt(1 << 20));
        }
        return streams;
    }
}
