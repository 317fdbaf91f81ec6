package io.keel.meta.log;

import io.keel.runtime.time.Clock;
import io.keel.runtime.time.Deadline;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reading side of the log: brings the local state machine up to the end of the log in
 * ZooKeeper (restoring a snapshot when the batches it needs are trimmed), is the only path by
 * which anything is applied, and lets callers wait for an index.
 */
final class LogReader {

    private static final Logger LOG = LoggerFactory.getLogger(LogReader.class);
    /** Rounds of a catch-up that restart because a trim removed what was being read. */
    private static final int MAX_ROUNDS = 20;

    /** A complete snapshot in ZooKeeper. */
    record SnapshotRef(long index, long term, String path) {
    }

    /** Where the log ends after a catch-up, and the newest complete snapshot's index (0 for none). */
    record CatchUp(long logEnd, long snapshotIndex) {
    }

    private final CuratorFramework client;
    private final LogStateMachine stateMachine;
    private final LogPaths paths;
    private final MetaLogMetrics metrics;
    private final Clock clock;
    private final String memberId;
    private final ReentrantLock applyLock = new ReentrantLock();
    private final ReentrantLock appliedLock = new ReentrantLock();
    private final Condition appliedAdvanced = appliedLock.newCondition();
    private volatile long applied;
    private long lastTerm;

    LogReader(final CuratorFramework client, final LogStateMachine stateMachine, final LogPaths paths,
            final MetaLogMetrics metrics, final Clock clock, final String memberId) {
        this.client = client;
        this.stateMachine = stateMachine;
        this.paths = paths;
        this.metrics = metrics;
        this.clock = clock;
        this.memberId = memberId;
        this.applied = stateMachine.appliedIndex();
    }

    long appliedIndex() {
        return applied;
    }

    boolean awaitApplied(final long index, final Duration timeout) throws InterruptedException {
        Deadline deadline = Deadline.after(clock, timeout);
        appliedLock.lock();
        try {
            while (applied < index) {
                long left = deadline.remainingNanos();
                if (left <= 0) {
                    return false;
                }
                appliedAdvanced.awaitNanos(left);
            }
            return true;
        } finally {
            appliedLock.unlock();
        }
    }

    /**
     * Applies one batch's entries after what is applied already; entries at or below the applied
     * index are skipped, a gap is refused.
     */
    void apply(final long firstIndex, final long term, final List<byte[]> entries) {
        applyLock.lock();
        try {
            long done = stateMachine.appliedIndex();
            long last = firstIndex + entries.size() - 1;
            if (last <= done) {
                return;
            }
            if (firstIndex > done + 1) {
                throw new MetaLogException("gap in the log at member " + memberId + ": applied up to " + done
                        + " but the next batch starts at " + firstIndex);
            }
            if (term < lastTerm) {
                throw new LogFormatException("batch at index " + firstIndex + " has term " + term
                        + ", below the term " + lastTerm + " of the batch before it");
            }
            int skip = (int) (done + 1 - firstIndex);
            stateMachine.apply(done + 1, skip == 0 ? entries : entries.subList(skip, entries.size()));
            long now = stateMachine.appliedIndex();
            if (now != last) {
                throw new MetaLogException("state machine reports applied index " + now + " after applying up to "
                        + last);
            }
            lastTerm = term;
            publish(now);
        } finally {
            applyLock.unlock();
        }
    }

    /**
     * Follows the log by name: applies the batch named applied + 1 while there is one, then
     * leaves {@code watcher} on that name so that its creation wakes the caller. This is the
     * steady state of a follower: two reads per batch, however long the log.
     */
    void follow(final Watcher watcher) throws Exception {
        do {
            while (true) {
                String path = paths.batch(applied + 1);
                byte[] data;
                try {
                    data = client.getData().forPath(path);
                } catch (KeeperException.NoNodeException none) {
                    break;
                }
                BatchCodec.Batch batch = decodeChecked(path, data, applied + 1, -1);
                apply(batch.firstIndex(), batch.term(), batch.entries());
            }
        } while (client.checkExists().usingWatcher(watcher).forPath(paths.batch(applied + 1)) != null);
    }

    /**
     * Applies everything the log holds beyond the local state, from wherever the local state is
     * (in the middle of a batch, behind the oldest batch, ahead of nothing), by listing the log.
     */
    CatchUp catchUp() throws Exception {
        for (int round = 0; round < MAX_ROUNDS; round++) {
            List<String> children = client.getChildren().forPath(paths.log);
            long[] firsts = children.stream().map(LogPaths::parseBatch).flatMap(Optional::stream)
                    .mapToLong(Long::longValue).sorted().toArray();
            Optional<SnapshotRef> snap = newestCompleteSnapshot();
            long snapIndex = snap.map(SnapshotRef::index).orElse(0L);
            long done = applied;
            int start = -1;
            for (int i = 0; i < firsts.length && firsts[i] <= done + 1; i++) {
                start = i;
            }
            if (start < 0) {
                boolean covers = snapIndex > done && (firsts.length == 0 || snapIndex + 1 >= firsts[0]);
                if (covers) {
                    // whether it restored or the snapshot was replaced meanwhile, look at the log again
                    restore(snap.get());
                    continue;
                }
                if (firsts.length == 0) {
                    checkNotAhead(done, snapIndex);
                    return new CatchUp(Math.max(done, snapIndex), snapIndex);
                }
                throw new MetaLogException("gap in the log at member " + memberId + ": applied up to " + done
                        + ", the oldest batch starts at " + firsts[0] + " and the newest complete snapshot ("
                        + (snap.isPresent() ? "index " + snapIndex : "none") + ") does not cover the entries between");
            }
            long end = readFrom(firsts, start);
            if (end < 0) {
                continue;
            }
            long logEnd = Math.max(end, snapIndex);
            checkNotAhead(applied, logEnd);
            return new CatchUp(logEnd, snapIndex);
        }
        throw new MetaLogException("catch-up at member " + memberId + " kept losing batches to trims; will retry");
    }

    /** Reads and applies batches from {@code firsts[start]} on; the last index read, or -1 when one vanished. */
    private long readFrom(final long[] firsts, final int start) throws Exception {
        long end = 0;
        for (int i = start; i < firsts.length; i++) {
            String path = paths.batch(firsts[i]);
            byte[] data;
            try {
                data = client.getData().forPath(path);
            } catch (KeeperException.NoNodeException trimmed) {
                return -1;
            }
            BatchCodec.Batch batch = decodeChecked(path, data, firsts[i], i + 1 < firsts.length ? firsts[i + 1] : -1);
            apply(batch.firstIndex(), batch.term(), batch.entries());
            end = batch.lastIndex();
        }
        return end;
    }

    /** Decodes a batch and checks it starts where its name says and ends where the next one starts (-1: unknown). */
    private BatchCodec.Batch decodeChecked(final String path, final byte[] data, final long first, final long next) {
        try {
            BatchCodec.Batch batch = BatchCodec.decode(path, data);
            if (batch.firstIndex() != first) {
                throw new LogFormatException("batch " + path + " holds first index " + batch.firstIndex());
            }
            if (next >= 0 && batch.lastIndex() + 1 != next) {
                throw new LogFormatException("batch " + path + " ends at " + batch.lastIndex()
                        + " but the next batch starts at " + next);
            }
            return batch;
        } catch (LogFormatException e) {
            metrics.badData();
            throw e;
        }
    }

    private void checkNotAhead(final long done, final long logEnd) {
        if (done > logEnd) {
            throw new MetaLogException("local state of member " + memberId + " is at index " + done
                    + " but the log in ZooKeeper ends at " + logEnd + "; was ZooKeeper's data lost or replaced?");
        }
    }

    /** The newest snapshot whose completion marker exists. */
    Optional<SnapshotRef> newestCompleteSnapshot() throws Exception {
        List<SnapshotRef> all = new ArrayList<>();
        for (String name : client.getChildren().forPath(paths.snapshots)) {
            LogPaths.parseSnapshot(name).ifPresent(it -> all.add(new SnapshotRef(it[0], it[1],
                    paths.snapshots + "/" + name)));
        }
        all.sort(Comparator.comparingLong(SnapshotRef::index).thenComparingLong(SnapshotRef::term).reversed());
        for (SnapshotRef ref : all) {
            if (client.checkExists().forPath(ref.path() + "/" + LogPaths.DONE) != null) {
                return Optional.of(ref);
            }
        }
        return Optional.empty();
    }

    /**
     * Replaces the local state with {@code ref}; false when the snapshot disappeared while being
     * read (a newer one replaced it), which the caller answers by looking again.
     */
    boolean restore(final SnapshotRef ref) throws Exception {
        byte[] payload;
        SnapshotCodec.Marker marker;
        try {
            String markerPath = ref.path() + "/" + LogPaths.DONE;
            marker = SnapshotCodec.decode(markerPath, client.getData().forPath(markerPath));
            if (marker.index() != ref.index()) {
                throw new LogFormatException("snapshot " + ref.path() + " has a marker for index " + marker.index());
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(marker.totalBytes(), 1 << 30));
            for (int c = 0; c < marker.chunks(); c++) {
                out.write(client.getData().forPath(ref.path() + "/" + LogPaths.chunkName(c)));
            }
            payload = out.toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(payload);
            if (payload.length != marker.totalBytes() || (int) crc.getValue() != marker.payloadCrc()) {
                throw new LogFormatException("snapshot " + ref.path() + " fails its checksum or length ("
                        + payload.length + " bytes, marker says " + marker.totalBytes() + "); not restored");
            }
        } catch (KeeperException.NoNodeException replaced) {
            return false;
        } catch (LogFormatException e) {
            metrics.badData();
            throw e;
        }
        applyLock.lock();
        try {
            if (marker.index() <= stateMachine.appliedIndex()) {
                return true;
            }
            try {
                stateMachine.restoreSnapshot(marker.index(), new ByteArrayInputStream(payload));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            long now = stateMachine.appliedIndex();
            if (now != marker.index()) {
                throw new MetaLogException("state machine reports applied index " + now + " after restoring the "
                        + "snapshot at " + marker.index());
            }
            lastTerm = marker.term();
            // counted before the new index is published, so that whoever waits for it sees the count
            metrics.snapshotRestored();
            publish(now);
        } finally {
            applyLock.unlock();
        }
        LOG.info("member {} restored snapshot at index {} (term {}, {} bytes)", memberId, marker.index(),
                marker.term(), payload.length);
        return true;
    }

    private void publish(final long index) {
        appliedLock.lock();
        try {
            applied = index;
            appliedAdvanced.signalAll();
        } finally {
            appliedLock.unlock();
        }
    }
}
