package io.keel.bench.store;

/**
 * A log-linear latency histogram in nanoseconds: exact below 128 ns, then 64 buckets per power of
 * two (at most 1.6 % relative error). One per load thread, merged at the end; not thread-safe.
 */
public final class LatencyHistogram {

    private static final int LINEAR = 128;
    private static final int SUB_BUCKETS = 64;
    private static final int BUCKETS = LINEAR + 57 * SUB_BUCKETS;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long max;
    private long sum;

    /** Records one latency of {@code nanos} nanoseconds (negative values count as zero). */
    public void record(final long nanos) {
        long value = Math.max(0, nanos);
        counts[index(value)]++;
        total++;
        sum += value;
        max = Math.max(max, value);
    }

    /** Adds every sample of {@code other} to this histogram. */
    public void add(final LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        sum += other.sum;
        max = Math.max(max, other.max);
    }

    /** How many samples were recorded. */
    public long count() {
        return total;
    }

    /** The largest sample, in nanoseconds. */
    public long max() {
        return max;
    }

    /** The mean sample, in nanoseconds (zero when empty). */
    public double mean() {
        return total == 0 ? 0 : (double) sum / total;
    }

    /** The {@code quantile} (0..1) in nanoseconds: the middle of the bucket holding that rank. */
    public long quantile(final double quantile) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(quantile * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(max, middle(i));
            }
        }
        return max;
    }

    static int index(final long value) {
        if (value < LINEAR) {
            return (int) value;
        }
        int msb = 63 - Long.numberOfLeadingZeros(value);
        int shift = msb - 6;
        int sub = (int) (value >>> shift);
        return Math.min(BUCKETS - 1, LINEAR + (shift - 1) * SUB_BUCKETS + (sub - SUB_BUCKETS));
    }

    static long middle(final int index) {
        if (index < LINEAR) {
            return index;
        }
        int shift = (index - LINEAR) / SUB_BUCKETS + 1;
        long sub = (index - LINEAR) % SUB_BUCKETS + SUB_BUCKETS;
        return (sub << shift) + (1L << shift) / 2;
    }
}
