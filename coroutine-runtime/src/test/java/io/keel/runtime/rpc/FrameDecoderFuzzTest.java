package io.keel.runtime.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the frame decoder: valid streams cut anywhere, corrupted, truncated and mutated streams. Whatever
 * arrives, the decoder yields frames, asks for more bytes, or throws its one typed exception; it never
 * allocates more than the maximum, and never allocates for a header whose checksum fails.
 *
 * <p>Method: each property runs {@value #TRIES} cases, each from its own seed derived from a base
 * seed ({@code -Dkeel.test.seed=N} replays a run); a failure names the seed of its case.
 */
class FrameDecoderFuzzTest {

    private static final int MAX = 600;
    private static final int TRIES = 300;

    /** A frame as the test means it, before encoding. */
    record Spec(FrameKind kind, long requestId, int code, byte[] payload) {
        byte[] encode() {
            return TestFrames.frame(kind, requestId, code, payload);
        }
    }

    /** What a decoder made of a stream. */
    record Outcome(List<Frame> frames, RpcProtocolException error, boolean betweenFrames) {
    }

    private static final long BASE_SEED = Long.getLong("keel.test.seed", System.nanoTime());

    /** Runs {@code property} once per seed, with a fresh stream of specs and the seed's random. */
    private static void forEachCase(final BiConsumer<List<Spec>, Random> property) {
        for (int i = 0; i < TRIES; i++) {
            long seed = BASE_SEED + i;
            Random random = new Random(seed);
            try {
                property.accept(streamOf(random), random);
            } catch (AssertionError failure) {
                throw new AssertionError("case failed with seed " + seed + " (replay: -Dkeel.test.seed=" + seed
                        + " finds it as the first case)", failure);
            }
        }
    }

    private static List<Spec> streamOf(final Random random) {
        int frames = 1 + random.nextInt(6);
        FrameKind[] kinds = FrameKind.values();
        List<Spec> specs = new ArrayList<>();
        for (int f = 0; f < frames; f++) {
            int length = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> MAX - 10 + random.nextInt(11);
                default -> random.nextInt(41);
            };
            byte[] payload = new byte[length];
            random.nextBytes(payload);
            long requestId = random.nextInt(8) == 0 ? Long.MIN_VALUE + random.nextInt(2) : random.nextLong();
            specs.add(new Spec(kinds[random.nextInt(kinds.length)], requestId, random.nextInt(), payload));
        }
        return specs;
    }

    @Test
    void validStreamsDecodeIdenticallyWhereverTheyAreCut() {
        forEachCase(FrameDecoderFuzzTest::validStreamDecodesIdentically);
    }

    private static void validStreamDecodesIdentically(final List<Spec> specs, final Random random) {
        Outcome outcome = decodeInRandomPieces(encode(specs), random, new ArrayList<>());

        assertThat(outcome.error()).isNull();
        assertThat(outcome.betweenFrames()).isTrue();
        assertSameFrames(outcome.frames(), specs);
    }

    @Test
    void anyChangedByteIsCaughtAtTheFrameItHits() {
        forEachCase(FrameDecoderFuzzTest::changedByteIsCaught);
    }

    private static void changedByteIsCaught(final List<Spec> specs, final Random random) {
        byte[] stream = encode(specs);
        int position = random.nextInt(stream.length);
        stream[position] ^= (byte) (1 + random.nextInt(255));
        int hitFrame = frameIndexAt(specs, position);

        Outcome outcome = decodeInRandomPieces(stream, random, new ArrayList<>());

        assertThat(outcome.error()).as("a changed byte at %d must be detected", position).isNotNull();
        assertSameFrames(outcome.frames(), specs.subList(0, hitFrame));
    }

    @Test
    void aTruncatedStreamYieldsTheWholeFramesAndWaitsForTheRest() {
        forEachCase(FrameDecoderFuzzTest::truncatedStreamWaits);
    }

    private static void truncatedStreamWaits(final List<Spec> specs, final Random random) {
        byte[] stream = encode(specs);
        int cut = random.nextInt(stream.length + 1);
        byte[] truncated = Arrays.copyOf(stream, cut);

        Outcome outcome = decodeInRandomPieces(truncated, random, new ArrayList<>());

        assertThat(outcome.error()).isNull();
        int complete = completeFramesBefore(specs, cut);
        assertSameFrames(outcome.frames(), specs.subList(0, complete));
        assertThat(outcome.betweenFrames()).isEqualTo(frameStart(specs, complete) == cut);
    }

    @Test
    void mutatedStreamsEndInFramesOrATypedErrorAndNeverOverAllocate() {
        forEachCase(FrameDecoderFuzzTest::mutatedStreamIsSafe);
    }

    private static void mutatedStreamIsSafe(final List<Spec> specs, final Random random) {
        byte[] stream = mutate(encode(specs), random);
        List<Integer> allocations = new ArrayList<>();

        decodeInRandomPieces(stream, random, allocations);

        assertThat(allocations).allSatisfy(length -> assertThat(length).isBetween(1, MAX));
        assertThat(allocations.stream().mapToLong(Integer::longValue).sum())
                .isLessThanOrEqualTo(stream.length);
    }

    @Test
    void headersWithValidChecksumsButArbitraryFieldsNeverOverAllocate() {
        forEachCase((unused, random) -> arbitraryHeaderIsSafe(random));
    }

    private static void arbitraryHeaderIsSafe(final Random random) {
        byte[] header = new byte[FrameCodec.HEADER_BYTES];
        random.nextBytes(header);
        ByteBuffer.wrap(header).putInt(FrameCodec.MAGIC_OFFSET, FrameCodec.MAGIC);
        header[FrameCodec.VERSION_OFFSET] = (byte) FrameCodec.WRITE_VERSION;
        TestFrames.resealHeader(header);
        List<Integer> allocations = new ArrayList<>();

        Outcome outcome = decodeInRandomPieces(header, random, allocations);

        long declared = Integer.toUnsignedLong(ByteBuffer.wrap(header).getInt(FrameCodec.PAYLOAD_LENGTH_OFFSET));
        boolean knownKind = FrameKind.fromCode(header[FrameCodec.KIND_OFFSET] & 0xFF) != null;
        if (!knownKind) {
            assertThat(outcome.error().error()).isEqualTo(ProtocolError.UNKNOWN_KIND);
        } else if (declared > MAX) {
            assertThat(outcome.error().error()).isEqualTo(ProtocolError.OVERSIZED_PAYLOAD);
        } else if (declared > 0) {
            assertThat(outcome.error()).isNull();
            assertThat(allocations).containsExactly((int) declared);
        }
        assertThat(allocations).allSatisfy(length -> assertThat(length).isBetween(1, MAX));
    }

    private static Outcome decodeInRandomPieces(final byte[] stream, final Random random,
            final List<Integer> allocations) {
        FrameDecoder decoder = new FrameDecoder(MAX, length -> {
            allocations.add(length);
            return ByteBuffer.allocate(length);
        });
        List<Frame> frames = new ArrayList<>();
        int at = 0;
        try {
            while (at < stream.length) {
                int piece = 1 + random.nextInt(random.nextBoolean() ? 8 : 200);
                ByteBuffer input = ByteBuffer.wrap(stream, at, Math.min(piece, stream.length - at));
                Frame frame;
                while ((frame = decoder.decode(input)) != null) {
                    frames.add(frame);
                }
                assertThat(input.hasRemaining()).as("null means the input was used up").isFalse();
                at += piece;
            }
            return new Outcome(frames, null, decoder.isBetweenFrames());
        } catch (RpcProtocolException typed) {
            return new Outcome(frames, typed, false);
        } catch (RuntimeException untyped) {
            return fail("the decoder threw an untyped exception", untyped);
        }
    }

    private static byte[] mutate(final byte[] stream, final Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int mutations = 1 + random.nextInt(4);
        List<Integer> points = new ArrayList<>();
        for (int i = 0; i < mutations; i++) {
            points.add(random.nextInt(stream.length));
        }
        for (int i = 0; i < stream.length; i++) {
            if (!points.contains(i)) {
                out.write(stream[i]);
                continue;
            }
            switch (random.nextInt(3)) {
                case 0 -> out.write(random.nextInt(256));
                case 1 -> {
                    out.write(stream[i]);
                    out.write(random.nextInt(256));
                }
                default -> {
                    // dropped
                }
            }
        }
        return out.toByteArray();
    }

    private static byte[] encode(final List<Spec> specs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        specs.forEach(spec -> out.writeBytes(spec.encode()));
        return out.toByteArray();
    }

    private static int frameStart(final List<Spec> specs, final int index) {
        int start = 0;
        for (int i = 0; i < index; i++) {
            start += FrameCodec.HEADER_BYTES + specs.get(i).payload().length;
        }
        return start;
    }

    private static int frameIndexAt(final List<Spec> specs, final int position) {
        int index = 0;
        while (frameStart(specs, index + 1) <= position) {
            index++;
        }
        return index;
    }

    private static int completeFramesBefore(final List<Spec> specs, final int cut) {
        int complete = 0;
        while (complete < specs.size() && frameStart(specs, complete + 1) <= cut) {
            complete++;
        }
        return complete;
    }

    private static void assertSameFrames(final List<Frame> frames, final List<Spec> specs) {
        assertThat(frames).hasSameSizeAs(specs);
        for (int i = 0; i < specs.size(); i++) {
            Spec spec = specs.get(i);
            FrameHeader header = frames.get(i).header();
            assertThat(header.kind()).isEqualTo(spec.kind());
            assertThat(header.requestId()).isEqualTo(spec.requestId());
            assertThat(header.code()).isEqualTo(spec.code());
            assertThat(TestFrames.bytesOf(frames.get(i).payload())).isEqualTo(spec.payload());
        }
    }
}
