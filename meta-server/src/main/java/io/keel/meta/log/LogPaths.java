package io.keel.meta.log;

import java.util.Optional;

/** The znode layout of one replicated log under its base path (docs/meta-log-format.md). */
final class LogPaths {

    static final String DONE = "done";

    final String base;
    final String election;
    final String term;
    final String log;
    final String snapshots;

    LogPaths(final String base) {
        this.base = base;
        this.election = base + "/election";
        this.term = base + "/term";
        this.log = base + "/log";
        this.snapshots = base + "/snapshots";
    }

    /** A batch znode is named by the index of its first entry, zero-padded so names sort by index. */
    String batch(final long firstIndex) {
        return log + "/" + batchName(firstIndex);
    }

    static String batchName(final long firstIndex) {
        return String.format("b-%019d", firstIndex);
    }

    /** The first index a batch name stands for, or empty for a name that is not a batch. */
    static Optional<Long> parseBatch(final String name) {
        if (name.length() != 21 || !name.startsWith("b-")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(name.substring(2)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** A snapshot directory is named by the index it reflects and the term of the leader that wrote it. */
    String snapshot(final long index, final long termOfWriter) {
        return snapshots + "/" + snapshotName(index, termOfWriter);
    }

    static String snapshotName(final long index, final long termOfWriter) {
        return String.format("s-%019d-%019d", index, termOfWriter);
    }

    /** {index, term} of a snapshot name, or empty for a name that is not a snapshot. */
    static Optional<long[]> parseSnapshot(final String name) {
        if (name.length() != 41 || !name.startsWith("s-") || name.charAt(21) != '-') {
            return Optional.empty();
        }
        try {
            return Optional.of(new long[] {Long.parseLong(name.substring(2, 21)), Long.parseLong(name.substring(22))});
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    static String chunkName(final int chunk) {
        return String.format("c-%06d", chunk);
    }
}
