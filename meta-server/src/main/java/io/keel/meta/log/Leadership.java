package io.keel.meta.log;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One term of this member's leadership: the committer that turns queued appends into batch
 * znodes, and the snapshot writer and trimmer. Every write it makes is a ZooKeeper multi that
 * checks the term znode's version, so nothing it sends after another member took a newer term
 * can land.
 */
final class Leadership {

    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);
    /** Operations per trim multi: small enough to stay far below ZooKeeper's request limit. */
    private static final int TRIM_OPS_PER_MULTI = 200;

    /** Where this term is in its life. */
    enum State {
        STARTING, SERVING, ENDED
    }

    final long term;
    final int termVersion;
    private final MetaLog log;
    private final CuratorFramework client;
    private final LogPaths paths;
    private final MetaLogConfig config;
    private volatile State state = State.STARTING;
    private long nextIndex;
    private volatile long lastSnapshotIndex;
    private volatile Thread snapshotThread;

    Leadership(final MetaLog log, final long term, final int termVersion) {
        this.log = log;
        this.client = log.client;
        this.paths = log.paths;
        this.config = log.config;
        this.term = term;
        this.termVersion = termVersion;
    }

    boolean serving() {
        return state == State.SERVING;
    }

    State state() {
        return state;
    }

    /** Moves the state; called under the log's queue lock. */
    void setState(final State s) {
        state = s;
    }

    void startAt(final long next, final long snapshotIndex) {
        this.nextIndex = next;
        this.lastSnapshotIndex = snapshotIndex;
    }

    /** Commits queued appends until the term ends. */
    void run() throws InterruptedException {
        while (serving()) {
            List<MetaLog.PendingAppend> batch = log.takeBatch(this);
            if (!batch.isEmpty()) {
                commit(batch);
            }
            maybeSnapshot();
        }
    }

    private void commit(final List<MetaLog.PendingAppend> batch) {
        List<byte[]> entries = batch.stream().map(MetaLog.PendingAppend::entry).toList();
        long first = nextIndex;
        long last = first + entries.size() - 1;
        byte[] data = BatchCodec.encode(term, first, entries);
        String path = paths.batch(first);
        try {
            fenced(client.transactionOp().create().forPath(path, data));
        } catch (KeeperException.NodeExistsException e) {
            // Curator retries a multi after a connection loss; the first attempt may have landed.
            if (!writtenByUs(path, data)) {
                end(batch, "index " + first + " is already in the log, written by another leader");
                return;
            }
        } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
            end(batch, "term " + term + " was superseded by a newer leader");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            end(batch, "interrupted while writing entries " + first + ".." + last + "; they may be in the log");
            return;
        } catch (Exception e) {
            end(batch, "writing entries " + first + ".." + last + " failed (" + e + "); they may be in the log");
            return;
        }
        nextIndex = last + 1;
        log.metrics.batch(entries.size(), data.length);
        try {
            log.reader.apply(first, term, entries);
        } catch (RuntimeException e) {
            MetaLogException failure = new MetaLogException("member " + config.memberId() + " could not apply "
                    + "entries " + first + ".." + last + " it wrote to the log", e);
            LOG.error("{}", failure.getMessage(), e);
            batch.forEach(p -> p.result().completeExceptionally(failure));
            log.stepDown(this, "local apply failed");
            return;
        }
        if (!serving()) {
            // Durable and applied, but this member lost its footing meanwhile: it acknowledges nothing more.
            NotLeaderException e = log.notLeader("lost the leadership before acknowledging entries " + first + ".."
                    + last + " (they are in the log)");
            batch.forEach(p -> p.result().completeExceptionally(e));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result().complete(first + i);
        }
    }

    private void end(final List<MetaLog.PendingAppend> batch, final String reason) {
        log.stepDown(this, reason);
        NotLeaderException e = log.notLeader(reason);
        batch.forEach(p -> p.result().completeExceptionally(e));
    }

    private boolean writtenByUs(final String path, final byte[] data) {
        try {
            return Arrays.equals(client.getData().forPath(path), data);
        } catch (Exception e) {
            return false;
        }
    }

    /** Runs {@code ops} in one multi behind a check that this term still holds the term znode. */
    private void fenced(final CuratorOp... ops) throws Exception {
        List<CuratorOp> all = new ArrayList<>(ops.length + 1);
        all.add(client.transactionOp().check().withVersion(termVersion).forPath(paths.term));
        all.addAll(Arrays.asList(ops));
        client.transaction().forOperations(all);
    }

    private void maybeSnapshot() {
        Thread running = snapshotThread;
        if ((running != null && running.isAlive()) || !serving()
                || log.reader.appliedIndex() - lastSnapshotIndex < config.snapshotEveryEntries()) {
            return;
        }
        snapshotThread = Thread.ofVirtual().name("keel-meta-log-snapshot-" + config.memberId()).start(() -> {
            try {
                snapshotAndTrim();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                if (serving()) {
                    LOG.warn("member {} (term {}) failed to write a snapshot: {}", config.memberId(), term,
                            e.toString());
                }
            }
        });
    }

    /** Stops a running snapshot writer (its fenced writes would fail anyway once another term starts). */
    void stopSnapshot() {
        Thread running = snapshotThread;
        if (running != null) {
            running.interrupt();
        }
    }

    /**
     * Writes the state machine's snapshot into ZooKeeper, marks it complete, then deletes the
     * batches and the older snapshots it makes unnecessary. Returns the index it reflects.
     */
    synchronized long snapshotAndTrim() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long index = log.stateMachine.writeSnapshot(out);
        if (index <= lastSnapshotIndex) {
            return lastSnapshotIndex;
        }
        byte[] payload = out.toByteArray();
        String dir = paths.snapshot(index, term);
        int chunkBytes = config.snapshotChunkBytes();
        int chunks = (payload.length + chunkBytes - 1) / chunkBytes;
        fenced(client.transactionOp().create().forPath(dir, new byte[0]));
        for (int c = 0; c < chunks; c++) {
            if (!serving()) {
                throw new InterruptedException("term " + term + " ended while writing snapshot " + dir);
            }
            int from = c * chunkBytes;
            byte[] chunk = Arrays.copyOfRange(payload, from, Math.min(payload.length, from + chunkBytes));
            fenced(client.transactionOp().create().forPath(dir + "/" + LogPaths.chunkName(c), chunk));
        }
        CRC32C crc = new CRC32C();
        crc.update(payload);
        byte[] marker = SnapshotCodec.encode(new SnapshotCodec.Marker(index, term, chunks, payload.length,
                (int) crc.getValue()));
        fenced(client.transactionOp().create().forPath(dir + "/" + LogPaths.DONE, marker));
        lastSnapshotIndex = index;
        log.metrics.snapshotWritten();
        LOG.info("member {} (term {}) wrote snapshot at index {} ({} bytes in {} chunks)", config.memberId(), term,
                index, payload.length, chunks);
        trim(index);
        return index;
    }

    private void trim(final long snapshotIndex) throws Exception {
        long[] firsts = client.getChildren().forPath(paths.log).stream().map(LogPaths::parseBatch)
                .flatMap(Optional::stream).mapToLong(Long::longValue).sorted().toArray();
        List<CuratorOp> ops = new ArrayList<>();
        int batches = 0;
        // A batch is covered when the next one starts at most one past the snapshot; the newest is always kept.
        for (int i = 0; i + 1 < firsts.length && firsts[i + 1] - 1 <= snapshotIndex; i++) {
            ops.add(client.transactionOp().delete().forPath(paths.batch(firsts[i])));
            batches++;
        }
        int snapshots = 0;
        List<String> older = new ArrayList<>();
        for (String name : client.getChildren().forPath(paths.snapshots)) {
            Optional<long[]> it = LogPaths.parseSnapshot(name);
            boolean isOlder = it.isPresent()
                    && (it.get()[0] < snapshotIndex || (it.get()[0] == snapshotIndex && it.get()[1] < term));
            if (isOlder) {
                older.add(name);
            }
        }
        older.sort(Comparator.naturalOrder());
        for (String name : older) {
            String dir = paths.snapshots + "/" + name;
            for (String child : client.getChildren().forPath(dir)) {
                ops.add(client.transactionOp().delete().forPath(dir + "/" + child));
            }
            ops.add(client.transactionOp().delete().forPath(dir));
            snapshots++;
        }
        for (int from = 0; from < ops.size(); from += TRIM_OPS_PER_MULTI) {
            List<CuratorOp> part = ops.subList(from, Math.min(ops.size(), from + TRIM_OPS_PER_MULTI));
            fenced(part.toArray(new CuratorOp[0]));
        }
        log.metrics.trimmed(batches);
        if (batches > 0 || snapshots > 0) {
            LOG.info("member {} (term {}) trimmed {} batches up to index {} and {} older snapshots", config.memberId(),
                    term, batches, snapshotIndex, snapshots);
        }
    }
}
