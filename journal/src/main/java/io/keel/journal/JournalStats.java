package io.keel.journal;

/**
 * A snapshot of one journal's counters since it was opened: records appended, bytes appended
 * (record headers and bodies), batches written, device flushes and data-barrier flushes issued by
 * the committer, and the size of the last batch and the average batch.
 */
public record JournalStats(
        long appends,
        long appendedBytes,
        long batches,
        long flushes,
        long barrierFlushes,
        long lastBatchRecords,
        long lastBatchBytes,
        double averageBatchRecords,
        double averageBatchBytes) {
}
