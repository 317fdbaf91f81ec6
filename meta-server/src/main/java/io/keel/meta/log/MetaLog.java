package io.keel.meta.log;

import io.keel.runtime.time.Clock;
import io.keel.runtime.time.Deadline;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.CancelLeadershipException;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meta member's view of the replicated metadata log in ZooKeeper: it takes part in the
 * election of the meta leader, and while it leads it owns the fencing term and appends batches
 * of entries; whether leading or not it applies every batch, in order and exactly once, to its
 * {@link LogStateMachine}. The format and the fencing and recovery rules are in
 * docs/meta-log-format.md.
 */
public final class MetaLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MetaLog.class);
    /** How long closing waits for ZooKeeper clean-up before leaving it to the session's end. */
    private static final Duration CLOSE_CLEANUP_TIME = Duration.ofSeconds(3);
    private static final LeaderInfo NO_LEADER = new LeaderInfo(0, "", "");
    private static final int TERM_BUMP_ATTEMPTS = 10;
    private static final Duration MAX_LEADERSHIP_BACKOFF = Duration.ofSeconds(30);

    /** An entry waiting for the committer, and the caller's way to learn its index. */
    record PendingAppend(byte[] entry, CompletableFuture<Long> result) {
    }

    final CuratorFramework client;
    final LogStateMachine stateMachine;
    final MetaLogConfig config;
    final LogPaths paths;
    final MetaLogMetrics metrics;
    final LogReader reader;
    private final Clock clock;
    private final ReentrantLock queueLock = new ReentrantLock();
    private final Condition queued = queueLock.newCondition();
    private final ArrayDeque<PendingAppend> queue = new ArrayDeque<>();
    private final ReentrantLock wakeLock = new ReentrantLock();
    private final Condition wake = wakeLock.newCondition();
    private final Watcher poke = event -> poke();
    private boolean poked;
    private volatile boolean listNext = true;
    private volatile Leadership leadership;
    private volatile LeaderInfo knownLeader = NO_LEADER;
    private volatile MetaLogException lastError;
    private volatile boolean closed;
    private volatile boolean leading;
    private LeaderSelector selector;
    private Thread follower;

    /**
     * A member of the log under {@code config.basePath()} on {@code client} (which the caller
     * starts before and closes after this log), applying to {@code stateMachine}. Nothing
     * happens until {@link #start()}.
     */
    public MetaLog(final CuratorFramework client, final LogStateMachine stateMachine, final MetaLogConfig config) {
        this.client = Objects.requireNonNull(client, "client");
        this.stateMachine = Objects.requireNonNull(stateMachine, "stateMachine");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = config.clock();
        this.paths = new LogPaths(config.basePath());
        this.metrics = new MetaLogMetrics(config.metrics(), this::appliedIndex, this::term, this::isLeader);
        this.reader = new LogReader(client, stateMachine, paths, metrics, clock, config.memberId());
    }

    /**
     * Creates the log's znodes if they are missing, starts following the log and joins the
     * election. Blocks until ZooKeeper answers (or the client's retries give up).
     *
     * @throws Exception when ZooKeeper cannot be reached
     */
    public synchronized void start() throws Exception {
        if (selector != null || closed) {
            throw new IllegalStateException("meta log of member " + config.memberId() + " already started or closed");
        }
        for (String path : List.of(paths.log, paths.snapshots, paths.election)) {
            try {
                client.create().creatingParentsIfNeeded().forPath(path);
            } catch (KeeperException.NodeExistsException exists) {
                // another member made it first
            }
        }
        try {
            client.create().forPath(paths.term, TermCodec.encode(NO_LEADER));
        } catch (KeeperException.NodeExistsException exists) {
            // the term of an existing cluster
        }
        follower = Thread.ofVirtual().name("keel-meta-log-follower-" + config.memberId()).start(this::follow);
        selector = new LeaderSelector(client, paths.election, new Elector());
        selector.setId(config.memberId());
        selector.autoRequeue();
        selector.start();
        LOG.info("member {} joined the meta log at {} with state at index {}", config.memberId(), paths.base,
                reader.appliedIndex());
    }

    /**
     * Appends {@code entry} and returns its index once it is durable in ZooKeeper and applied to
     * the local state machine. Blocks the calling (virtual) thread; concurrent appends share
     * batches.
     *
     * @throws NotLeaderException when this member is not the serving leader, or stops being it
     *     before the entry is acknowledged (the entry may then still be in the log)
     * @throws IllegalArgumentException when the entry is larger than a batch can carry
     * @throws MetaLogException when the entry was written but the local state machine failed to apply it
     * @throws InterruptedException when the caller is interrupted (the entry may still be appended)
     */
    public long append(final byte[] entry) throws NotLeaderException, InterruptedException {
        Objects.requireNonNull(entry, "entry");
        if (entry.length > config.maxEntryBytes()) {
            throw new IllegalArgumentException("log entry of " + entry.length + " bytes is larger than the largest "
                    + "entry a batch can carry (" + config.maxEntryBytes() + " bytes)");
        }
        long start = clock.nanoTime();
        PendingAppend pending = new PendingAppend(entry, new CompletableFuture<>());
        queueLock.lock();
        try {
            Leadership l = leadership;
            if (closed || l == null || !l.serving()) {
                throw notLeader(closed ? "meta log of this member is closed" : "this member is not the meta leader");
            }
            queue.add(pending);
            queued.signal();
        } finally {
            queueLock.unlock();
        }
        try {
            long index = pending.result().get();
            metrics.appended(clock.nanoTime() - start);
            return index;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof NotLeaderException notLeader) {
                // a new exception so that the trace shows the caller; the committer's is the cause
                throw new NotLeaderException(notLeader.reason(), notLeader.leaderAddress().orElse(null), notLeader);
            }
            if (cause instanceof MetaLogException failure) {
                throw failure;
            }
            throw new MetaLogException("append failed", cause);
        }
    }

    /**
     * The leader as published in the term znode of the log under {@code basePath}, read directly:
     * for nodes that run no meta member but must find the leader. Empty before anyone led.
     */
    public static Optional<LeaderInfo> readLeader(final CuratorFramework client, final String basePath)
            throws Exception {
        String path = new LogPaths(basePath).term;
        byte[] data;
        try {
            data = client.getData().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return Optional.empty();
        }
        LeaderInfo info = TermCodec.decode(path, data);
        return info.term() == 0 ? Optional.empty() : Optional.of(info);
    }

    /** True while this member is the leader and serves appends (caught up, connected, term held). */
    public boolean isLeader() {
        Leadership l = leadership;
        return l != null && l.serving();
    }

    /**
     * The leader as last published in the term znode (this member itself while it leads), or
     * empty before anyone led.
     */
    public Optional<LeaderInfo> leader() {
        Leadership l = leadership;
        if (l != null && l.serving()) {
            return Optional.of(new LeaderInfo(l.term, config.memberId(), config.address()));
        }
        LeaderInfo known = knownLeader;
        return known.term() == 0 ? Optional.empty() : Optional.of(known);
    }

    /** The term this member leads with, else the newest term it has seen (0 before anyone led). */
    public long term() {
        Leadership l = leadership;
        return l != null && l.serving() ? l.term : knownLeader.term();
    }

    /** The index of the last entry applied to the local state machine. */
    public long appliedIndex() {
        return reader.appliedIndex();
    }

    /**
     * Waits until the local state machine has applied {@code index}.
     *
     * @return false when the timeout passed first
     */
    public boolean awaitApplied(final long index, final Duration timeout) throws InterruptedException {
        return reader.awaitApplied(index, timeout);
    }

    /**
     * The error that stops this member from following the log (bad data, a gap no snapshot
     * covers), if the last attempt failed with one; cleared when the member makes progress.
     */
    public Optional<MetaLogException> lastError() {
        return Optional.ofNullable(lastError);
    }

    /**
     * Leaves the election (ending a leadership, which fails queued appends with
     * {@link NotLeaderException}) and stops following. The Curator client stays open.
     */
    @Override
    public void close() {
        Thread followerThread;
        LeaderSelector sel;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            followerThread = follower;
            sel = selector;
        }
        Leadership l = leadership;
        if (l != null) {
            stepDown(l, "closing");
            awaitLeadershipEnd(Duration.ofSeconds(5));
        }
        if (sel != null) {
            try {
                sel.close();
            } catch (RuntimeException e) {
                LOG.debug("member {}: leaving the election: {}", config.memberId(), e.toString());
            }
            if (zooKeeperReachable()) {
                // Bounded: if the ensemble goes away meanwhile the calls would wait out Curator's
                // retries; closing the client next ends them.
                Thread cleanup = Thread.ofVirtual().name("meta-log-close-cleanup").start(this::removeOwnElectionNodes);
                try {
                    if (!cleanup.join(CLOSE_CLEANUP_TIME)) {
                        LOG.info("member {}: gave up removing its election nodes after {}; they go when the "
                                + "session ends", config.memberId(), CLOSE_CLEANUP_TIME);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (followerThread != null) {
            followerThread.interrupt();
            try {
                followerThread.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        failQueued("meta log of this member is closed");
        metrics.close();
        LOG.info("member {} left the meta log at index {}", config.memberId(), reader.appliedIndex());
    }

    /**
     * Waits for the leadership thread to finish its term, so that Curator releases the election
     * lock on that thread rather than having the release interrupted by the selector's close.
     */
    private void awaitLeadershipEnd(final Duration timeout) {
        if (!zooKeeperReachable()) {
            return;
        }
        // Bounded as a whole, not only between calls: if the ensemble goes away meanwhile (the whole
        // cluster stopping), a ZooKeeper call waits out Curator's retries, well past the timeout.
        Thread waiter = Thread.ofVirtual().name("meta-log-close-await-leadership")
                .start(() -> awaitLeadershipEnd(Deadline.after(clock, timeout)));
        try {
            if (!waiter.join(timeout.plusSeconds(1))) {
                LOG.info("member {}: stopped waiting for its leadership to end after {}; ZooKeeper does not answer",
                        config.memberId(), timeout);
                waiter.interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitLeadershipEnd(final Deadline deadline) {
        try {
            List<String> held = ownElectionNodes();
            while ((leadership != null || leading) && !deadline.isExpired()) {
                clock.sleep(Duration.ofMillis(5));
            }
            // the lock node goes after takeLeadership returns, on the selector's thread
            while (!deadline.isExpired() && ownElectionNodes().stream().anyMatch(held::contains)) {
                clock.sleep(Duration.ofMillis(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("member {}: waiting for the leadership to end: {}", config.memberId(), e.toString());
        }
    }

    /**
     * Whether cleaning up in ZooKeeper can work now. When the whole ensemble stops at once (a
     * cluster shutdown) every call would wait out Curator's retries; the session's ephemeral
     * nodes go with it anyway, so closing skips the clean-up instead.
     */
    private boolean zooKeeperReachable() {
        if (client.getZookeeperClient().isConnected()) {
            return true;
        }
        LOG.info("member {}: ZooKeeper is unreachable while closing; its election nodes go when the session ends",
                config.memberId());
        return false;
    }

    private List<String> ownElectionNodes() throws Exception {
        long session = client.getZookeeperClient().getZooKeeper().getSessionId();
        List<String> own = new ArrayList<>();
        for (String child : client.getChildren().forPath(paths.election)) {
            Stat stat = client.checkExists().forPath(paths.election + "/" + child);
            if (stat != null && stat.getEphemeralOwner() == session) {
                own.add(child);
            }
        }
        return own;
    }

    /**
     * Deletes election nodes this session still owns: a selector closed at an unlucky moment
     * leaves its lock node behind until the session ends, which would block the election.
     */
    private void removeOwnElectionNodes() {
        try {
            for (String child : ownElectionNodes()) {
                client.delete().forPath(paths.election + "/" + child);
            }
        } catch (Exception e) {
            LOG.debug("member {}: cleaning up election nodes: {}", config.memberId(), e.toString());
        }
    }

    /** Writes a snapshot now if this member leads; returns its index (for tests and operators). */
    long snapshotNow() throws Exception {
        Leadership l = leadership;
        if (l == null || !l.serving()) {
            throw notLeader("only the leader writes snapshots");
        }
        return l.snapshotAndTrim();
    }

    /**
     * The committer's next batch: what is queued (waiting up to maxBatchWait for more), or empty
     * once the term ends.
     */
    List<PendingAppend> takeBatch(final Leadership l) throws InterruptedException {
        queueLock.lock();
        try {
            while (queue.isEmpty() && l.serving()) {
                queued.awaitNanos(config.pollInterval().toNanos());
            }
            if (!config.maxBatchWait().isZero()) {
                Deadline deadline = Deadline.after(clock, config.maxBatchWait());
                while (l.serving() && !batchFull() && !deadline.isExpired()) {
                    queued.awaitNanos(deadline.remainingNanos());
                }
            }
            if (!l.serving()) {
                return List.of();
            }
            List<PendingAppend> batch = new ArrayList<>();
            int bytes = BatchCodec.OVERHEAD;
            while (!queue.isEmpty() && batch.size() < config.maxBatchEntries()) {
                int size = BatchCodec.PER_ENTRY + queue.peek().entry().length;
                if (!batch.isEmpty() && bytes + size > config.maxBatchBytes()) {
                    break;
                }
                bytes += size;
                batch.add(queue.poll());
            }
            return batch;
        } finally {
            queueLock.unlock();
        }
    }

    private boolean batchFull() {
        if (queue.size() >= config.maxBatchEntries()) {
            return true;
        }
        long bytes = BatchCodec.OVERHEAD;
        for (PendingAppend p : queue) {
            bytes += BatchCodec.PER_ENTRY + p.entry().length;
        }
        return bytes >= config.maxBatchBytes();
    }

    /** Ends {@code l}'s service: nothing more is accepted or acknowledged in its term. */
    void stepDown(final Leadership l, final String reason) {
        queueLock.lock();
        try {
            if (l.state() == Leadership.State.ENDED) {
                return;
            }
            boolean wasServing = l.serving();
            l.setState(Leadership.State.ENDED);
            queued.signalAll();
            if (wasServing && closed) {
                LOG.info("member {} gave up term {}: {}", config.memberId(), l.term, reason);
            } else if (wasServing) {
                LOG.warn("member {} deposed from term {}: {}", config.memberId(), l.term, reason);
            }
        } finally {
            queueLock.unlock();
        }
        l.stopSnapshot();
        listNext = true;
        poke();
    }

    NotLeaderException notLeader(final String reason) {
        LeaderInfo known = knownLeader;
        boolean usable = known.term() > 0 && !known.memberId().equals(config.memberId()) && !known.address().isEmpty();
        return new NotLeaderException(reason, usable ? known.address() : null);
    }

    private void failQueued(final String reason) {
        List<PendingAppend> failed;
        queueLock.lock();
        try {
            failed = new ArrayList<>(queue);
            queue.clear();
        } finally {
            queueLock.unlock();
        }
        if (!failed.isEmpty()) {
            NotLeaderException e = notLeader(reason);
            failed.forEach(p -> p.result().completeExceptionally(e));
        }
    }

    private void poke() {
        wakeLock.lock();
        try {
            poked = true;
            wake.signalAll();
        } finally {
            wakeLock.unlock();
        }
    }

    /** Waits for a poke or the poll interval; a poll asks for a full catch-up. */
    private void awaitPoke() throws InterruptedException {
        wakeLock.lock();
        try {
            if (!poked && !wake.await(config.pollInterval().toNanos(), TimeUnit.NANOSECONDS)) {
                listNext = true;
            }
            poked = false;
        } finally {
            wakeLock.unlock();
        }
    }

    /** The follower loop: applies new batches as watches announce them, and polls as a safety net. */
    private void follow() {
        String lastReported = null;
        while (!closed) {
            try {
                refreshLeader();
                if (leadership == null) {
                    // Listing the log finds the way from anywhere but reads every batch name;
                    // between polls, the next batch's name is enough.
                    if (listNext) {
                        listNext = false;
                        reader.catchUp();
                    }
                    reader.follow(poke);
                    lastError = null;
                    lastReported = null;
                }
            } catch (MetaLogException e) {
                listNext = true;
                lastError = e;
                if (!e.getMessage().equals(lastReported)) {
                    LOG.error("member {} cannot follow the meta log: {}", config.memberId(), e.getMessage(), e);
                    lastReported = e.getMessage();
                }
            } catch (InterruptedException e) {
                break;
            } catch (Exception e) {
                listNext = true;
                if (!closed) {
                    LOG.debug("member {}: following the log failed, will retry: {}", config.memberId(), e.toString());
                }
            }
            try {
                awaitPoke();
            } catch (InterruptedException e) {
                break;
            }
        }
    }

    /** Reads the term znode (leaving a watch on it) and steps down a leadership another member has superseded. */
    private void refreshLeader() throws Exception {
        LeaderInfo info = TermCodec.decode(paths.term, client.getData().usingWatcher(poke).forPath(paths.term));
        // A read that raced with this member's own term bump must not take the newer term back.
        if (info.term() >= knownLeader.term()) {
            knownLeader = info;
        }
        Leadership l = leadership;
        if (l != null && l.state() != Leadership.State.ENDED && info.term() > l.term) {
            stepDown(l, "term " + info.term() + " taken by member " + info.memberId());
        }
    }

    /** Becomes leader: takes the next term, applies the whole log, then serves appends until deposed. */
    private void lead() throws Exception {
        Leadership l = takeTerm();
        leadership = l;
        try {
            LogReader.CatchUp end = reader.catchUp();
            if (reader.appliedIndex() != end.logEnd()) {
                throw new MetaLogException("after catching up, member " + config.memberId() + " is at index "
                        + reader.appliedIndex() + " but the log ends at " + end.logEnd());
            }
            l.startAt(end.logEnd() + 1, end.snapshotIndex());
            queueLock.lock();
            try {
                if (l.state() != Leadership.State.STARTING) {
                    return;
                }
                l.setState(Leadership.State.SERVING);
            } finally {
                queueLock.unlock();
            }
            LOG.info("member {} elected meta leader with term {} at index {} (address {})", config.memberId(), l.term,
                    end.logEnd(), config.address());
            lastError = null;
            l.run();
        } finally {
            stepDown(l, "leadership ended");
            failQueued("the leadership of this member ended");
            leadership = null;
        }
    }

    /** Compare-and-sets the term znode to the next term naming this member. */
    private Leadership takeTerm() throws Exception {
        for (int attempt = 0; attempt < TERM_BUMP_ATTEMPTS; attempt++) {
            Stat stat = new Stat();
            LeaderInfo old = TermCodec.decode(paths.term, client.getData().storingStatIn(stat).forPath(paths.term));
            LeaderInfo mine = new LeaderInfo(old.term() + 1, config.memberId(), config.address());
            try {
                Stat written = client.setData().withVersion(stat.getVersion()).forPath(paths.term,
                        TermCodec.encode(mine));
                knownLeader = mine;
                return new Leadership(this, mine.term(), written.getVersion());
            } catch (KeeperException.BadVersionException raced) {
                LOG.debug("member {}: term znode changed while taking term {}; retrying", config.memberId(),
                        mine.term());
            }
        }
        throw new MetaLogException("member " + config.memberId() + " could not take a new term: the term znode keeps "
                + "changing");
    }

    /** Curator's election callbacks. */
    private final class Elector implements LeaderSelectorListener {

        private int failedLeaderships;
        private String lastLeadershipFailure;

        @Override
        public void takeLeadership(final CuratorFramework c) throws Exception {
            if (closed) {
                // The selector requeues us until it is closed; holding the lock until its close
                // interrupts us avoids a tight acquire/release loop whose release the close would
                // interrupt half-way.
                try {
                    clock.sleep(Duration.ofMinutes(1));
                } catch (InterruptedException expected) {
                    LOG.debug("member {}: closing", config.memberId());
                }
                return;
            }
            leading = true;
            try {
                lead();
            } catch (InterruptedException e) {
                // Curator interrupts to end the leadership (cancel or close), and has ended: the
                // flag stays clear so that releasing the election lock is not interrupted too.
                LOG.debug("member {}: leadership interrupted", config.memberId());
            } catch (Exception e) {
                if (!closed) {
                    failedLeaderships++;
                    MetaLogException failure = e instanceof MetaLogException m ? m
                            : new MetaLogException("leadership of member " + config.memberId() + " failed", e);
                    lastError = failure;
                    if (!failure.getMessage().equals(lastLeadershipFailure)) {
                        LOG.error("member {} gives up the meta leadership: {}", config.memberId(), e.toString(), e);
                        lastLeadershipFailure = failure.getMessage();
                    }
                    // Let another member try before this one queues again, and back off while
                    // the same failure repeats (each attempt takes a term).
                    long factor = 1L << Math.min(failedLeaderships - 1, 6);
                    Duration pause = config.pollInterval().multipliedBy(factor);
                    try {
                        clock.sleep(pause.compareTo(MAX_LEADERSHIP_BACKOFF) > 0 ? MAX_LEADERSHIP_BACKOFF : pause);
                    } catch (InterruptedException interrupted) {
                        LOG.debug("member {}: back-off interrupted", config.memberId());
                    }
                }
                return;
            } finally {
                leading = false;
            }
            failedLeaderships = 0;
            lastLeadershipFailure = null;
        }

        @Override
        public void stateChanged(final CuratorFramework c, final ConnectionState newState) {
            if (newState == ConnectionState.SUSPENDED || newState == ConnectionState.LOST) {
                Leadership l = leadership;
                if (l != null) {
                    stepDown(l, "ZooKeeper connection " + newState);
                }
                // Also while still taking the term: the LeaderSelector interrupts only a holder.
                throw new CancelLeadershipException();
            } else if (newState.isConnected()) {
                listNext = true;
                poke();
            }
        }
    }
}
