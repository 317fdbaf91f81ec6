package io.keel.iopattern;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random workloads against {@link WriteCoalescer}: interleaved sequential streams, random and overlapping writes,
 * time passing and expiry, with small byte budgets so every release path is exercised. Checked after every call
 * against a model of what was offered.
 */
class WriteCoalescerPropertyTest {

    private static final int CASES = 300;

    /** One offered write; the handle the coalescer carries. */
    private record Write(int id, long key, long offset, int length, boolean sequential, long offeredAt) {
        long end() {
            return offset + length;
        }
    }

    /** The model: what is held, and where each write came out. */
    private static final class Model {
        final CoalescerConfig config;
        final List<Write> offered = new ArrayList<>();
        final Map<Integer, Write> held = new LinkedHashMap<>();
        final Map<Integer, Integer> batchOf = new HashMap<>();
        int batches;

        Model(final CoalescerConfig config) {
            this.config = config;
        }

        void released(final List<WriteBatch<Write>> out) {
            for (WriteBatch<Write> batch : out) {
                int index = batches++;
                assertThat(batch.handles()).isNotEmpty().hasSizeLessThanOrEqualTo(config.maxWritesPerBatch());
                long at = batch.offset();
                for (Write w : batch.handles()) {
                    assertThat(batchOf.putIfAbsent(w.id(), index)).as("write %s released twice", w).isNull();
                    assertThat(w.key()).isEqualTo(batch.streamKey());
                    assertThat(w.offset()).as("batch %s is contiguous", batch).isEqualTo(at);
                    assertThat(w.sequential()).isEqualTo(batch.sequential());
                    at = w.end();
                    held.remove(w.id());
                }
                assertThat(at).isEqualTo(batch.end());
                if (!batch.sequential()) {
                    assertThat(batch.handles()).hasSize(1);
                }
            }
        }

        void checkHeld(final WriteCoalescer<Write> c) {
            long bytes = held.values().stream().mapToLong(Write::length).sum();
            assertThat(c.pendingBytes()).isEqualTo(bytes).isLessThanOrEqualTo(config.maxPendingBytes());
            assertThat(c.pendingWrites()).isEqualTo(held.size());
            long oldest = held.values().stream().mapToLong(Write::offeredAt).min().orElse(Long.MAX_VALUE);
            long expected = held.isEmpty() ? Long.MAX_VALUE : oldest + config.maxHoldNanos();
            assertThat(c.nextDeadlineNanos()).isEqualTo(expected);
        }
    }

    @Test
    void handlesAreNeverLostDuplicatedOrReorderedAndLimitsHold() {
        Seeds.forEachCase(CASES, random -> run(random, config(random)));
    }

    private static CoalescerConfig config(final Random random) {
        int target = 512 << random.nextInt(8);
        long hold = 1 + random.nextInt(5_000);
        long pending = 512L + random.nextInt(256 * 1024);
        int maxWrites = 1 + random.nextInt(40);
        return new CoalescerConfig(target, hold, pending, maxWrites);
    }

    private static void run(final Random random, final CoalescerConfig config) {
        WriteCoalescer<Write> c = new WriteCoalescer<>(config);
        Model model = new Model(config);
        int keys = 1 + random.nextInt(3);
        long[][] cursors = new long[keys][1 + random.nextInt(3)];
        for (long[] perKey : cursors) {
            for (int s = 0; s < perKey.length; s++) {
                perKey[s] = s * 256L * 1024 + 512L * random.nextInt(64);
            }
        }
        long now = random.nextInt(1000);
        int steps = 100 + random.nextInt(400);
        for (int step = 0; step < steps; step++) {
            now += random.nextInt((int) Math.min(config.maxHoldNanos(), 2_000)) / 3;
            int action = random.nextInt(100);
            if (action < 12) {
                List<WriteBatch<Write>> out = c.expire(now);
                for (WriteBatch<Write> batch : out) {
                    long first = batch.handles().stream().mapToLong(Write::offeredAt).min().orElseThrow();
                    assertThat(first + config.maxHoldNanos()).as("released before its deadline")
                            .isLessThanOrEqualTo(now);
                }
                model.released(out);
                for (Write w : model.held.values()) {
                    assertThat(w.offeredAt() + config.maxHoldNanos()).as("%s held past its deadline", w)
                            .isGreaterThan(now);
                }
            } else if (action < 16) {
                long key = random.nextInt(keys);
                long from = 512L * random.nextInt(2048);
                long length = 512L * (1 + random.nextInt(64));
                List<WriteBatch<Write>> out = c.flush(key, from, length);
                model.released(out);
                for (Write w : model.held.values()) {
                    assertThat(w.key() == key && w.offset() < from + length && from < w.end())
                            .as("%s overlaps the flushed range", w).isFalse();
                }
            } else {
                Write w = nextWrite(random, model.offered.size(), cursors, now);
                model.offered.add(w);
                model.held.put(w.id(), w);
                List<WriteBatch<Write>> out = c.offer(w.key(), w.offset(), w.length(), w, w.sequential(), now);
                model.released(out);
                if (!w.sequential()) {
                    assertThat(model.batchOf).as("non-sequential %s passes through", w).containsKey(w.id());
                }
            }
            model.checkHeld(c);
        }
        model.released(c.drain());
        model.checkHeld(c);
        assertThat(model.held).isEmpty();
        assertThat(model.batchOf).hasSize(model.offered.size());
        checkOverlapOrder(model);
    }

    private static Write nextWrite(final Random random, final int id, final long[][] cursors, final long now) {
        int key = random.nextInt(cursors.length);
        int length = 512 * (1 + random.nextInt(random.nextInt(10) < 8 ? 16 : 300));
        int kind = random.nextInt(100);
        if (kind < 65) {
            int s = random.nextInt(cursors[key].length);
            long offset = cursors[key][s];
            cursors[key][s] += length;
            return new Write(id, key, offset, length, random.nextInt(10) != 0, now);
        }
        if (kind < 85) {
            // Rewrite near a stream's end: overlaps held runs.
            int s = random.nextInt(cursors[key].length);
            long offset = Math.max(0, cursors[key][s] - 512L * random.nextInt(64));
            return new Write(id, key, offset, length, random.nextBoolean(), now);
        }
        return new Write(id, key, 512L * random.nextInt(2048), length, random.nextBoolean(), now);
    }

    /** Writes of one key that overlap come out in the order they were offered (never in one batch). */
    private static void checkOverlapOrder(final Model model) {
        List<Write> all = model.offered;
        for (int i = 0; i < all.size(); i++) {
            Write a = all.get(i);
            for (int j = i + 1; j < all.size(); j++) {
                Write b = all.get(j);
                if (a.key() == b.key() && a.offset() < b.end() && b.offset() < a.end()) {
                    assertThat(model.batchOf.get(a.id())).as("%s before %s", a, b)
                            .isLessThan(model.batchOf.get(b.id()));
                }
            }
        }
    }
}
