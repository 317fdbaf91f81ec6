package io.keel.iopattern;

/**
 * Limits of {@link WriteCoalescer}.
 *
 * @param targetBytes       alignment and size a held run aims for (the store's block size); a run is released as
 *                          soon as it ends on a multiple of this or contains a whole aligned block
 * @param maxHoldNanos      longest a run is held, counted from its first write
 * @param maxPendingBytes   bytes held over all keys, never exceeded
 * @param maxWritesPerBatch writes merged into one batch at most
 */
public record CoalescerConfig(int targetBytes, long maxHoldNanos, long maxPendingBytes, int maxWritesPerBatch) {

    /** Validates the limits. */
    public CoalescerConfig {
        Args.positive("targetBytes", targetBytes);
        Args.nonNegative("maxHoldNanos", maxHoldNanos);
        Args.positive("maxPendingBytes", maxPendingBytes);
        Args.positive("maxWritesPerBatch", maxWritesPerBatch);
    }

    /** 64 KiB blocks, held at most 1 ms, 32 MiB held overall, 256 writes per batch (enough for 512 B writes). */
    public static CoalescerConfig defaults() {
        return new CoalescerConfig(64 * 1024, 1_000_000L, 32L * 1024 * 1024, 256);
    }
}
