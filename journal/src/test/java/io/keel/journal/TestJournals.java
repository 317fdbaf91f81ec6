package io.keel.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;

/** Helpers shared by the journal tests: configs, bodies, and replay into a list. */
final class TestJournals {

    static final UUID ID = UUID.fromString("6b8f2a0e-3c1d-4e5f-9a7b-0c1d2e3f4a5b");

    /** One replayed record, body copied out. */
    record Replayed(long sequence, short type, byte[] body) {
        @Override
        public boolean equals(final Object other) {
            return other instanceof Replayed r && r.sequence == sequence && r.type == type
                    && Arrays.equals(r.body, body);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(sequence) * 31 + Arrays.hashCode(body);
        }

        @Override
        public String toString() {
            return "Replayed[" + sequence + ", type " + type + ", " + body.length + " bytes]";
        }
    }

    private TestJournals() {
    }

    static JournalConfig config() {
        return JournalConfig.defaults("test");
    }

    static JournalConfig config(final int maxBatchBytes) {
        return JournalConfig.defaults("test").withBatching(maxBatchBytes, Duration.ZERO);
    }

    static CrashingDevice formatted(final long size, final int alignment) throws IOException {
        CrashingDevice device = new CrashingDevice(size, alignment);
        Journal.format(device, ID);
        return device;
    }

    /** Opens and collects what was replayed into {@code into}. */
    static Journal open(final JournalDevice device, final JournalConfig config, final List<Replayed> into)
            throws IOException {
        return Journal.open(device, config, ID, record -> into.add(copy(record)));
    }

    /** Opens, closes, and returns what was replayed. */
    static List<Replayed> replay(final JournalDevice device) throws IOException {
        List<Replayed> replayed = new ArrayList<>();
        try (Journal journal = open(device, config(), replayed)) {
            return replayed;
        }
    }

    static Replayed copy(final JournalRecord record) {
        ByteBuffer body = record.body();
        byte[] bytes = new byte[body.remaining()];
        body.duplicate().get(bytes);
        return new Replayed(record.sequence(), record.type(), bytes);
    }

    /**
     * Where records 1..{@code records} start in {@code image}: found by magic, valid header
     * checksum and sequence, scanning every byte after the two header blocks.
     */
    static long[] recordPositions(final byte[] image, final int alignment, final int records) {
        long[] positions = new long[records];
        ByteBuffer buffer = ByteBuffer.wrap(image);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        int found = 0;
        for (int at = 2 * alignment; at + RecordFormat.HEADER_SIZE <= image.length && found < records; at++) {
            if (buffer.getInt(at) != RecordFormat.MAGIC) {
                continue;
            }
            crc.reset();
            crc.update(image, at, RecordFormat.OFF_HEADER_CRC);
            if ((int) crc.getValue() == buffer.getInt(at + RecordFormat.OFF_HEADER_CRC)
                    && buffer.getLong(at + RecordFormat.OFF_SEQUENCE) == found + 1) {
                positions[found++] = at;
            }
        }
        if (found != records) {
            throw new AssertionError("found " + found + " of " + records + " records");
        }
        return positions;
    }

    /** The durable-through field of the record header at {@code position} of {@code image}. */
    static long durableThrough(final byte[] image, final long position) {
        return ByteBuffer.wrap(image).getLong((int) position + RecordFormat.OFF_DURABLE_THROUGH);
    }

    static byte[] bytes(final Random random, final int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** A heap body split into up to three parts, to exercise gathering. */
    static ByteBuffer[] parts(final byte[] body, final Random random) {
        int cut1 = body.length == 0 ? 0 : random.nextInt(body.length + 1);
        int cut2 = cut1 + (body.length - cut1 == 0 ? 0 : random.nextInt(body.length - cut1 + 1));
        return new ByteBuffer[] {
            ByteBuffer.wrap(body, 0, cut1),
            ByteBuffer.allocateDirect(cut2 - cut1).put(body, cut1, cut2 - cut1).flip(),
            ByteBuffer.wrap(body, cut2, body.length - cut2).slice(),
        };
    }

    /** Runs {@code property} for {@code cases} seeds; a failure names its seed. */
    static void forEachSeed(final int cases, final Consumer<Random> property) {
        long base = Long.getLong("keel.test.seed", System.nanoTime());
        for (int i = 0; i < cases; i++) {
            long seed = base + i;
            try {
                property.accept(new Random(seed));
            } catch (AssertionError | RuntimeException failure) {
                throw new AssertionError("case failed with seed " + seed + " (replay: -Dkeel.test.seed=" + seed
                        + " runs it first)", failure);
            }
        }
    }

    /** A checked exception turned unchecked, for lambdas. */
    interface IoAction {
        void run() throws Exception;
    }

    static void unchecked(final IoAction action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
