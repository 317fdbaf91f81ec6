package io.keel.access.iscsi.session;

import io.keel.access.iscsi.TargetEntry;
import io.keel.access.scsi.ItNexus;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One iSCSI session (one connection: MaxConnections=1, ErrorRecoveryLevel=0): its identity and
 * I_T nexus, the CmdSN window and the task set. Ending it aborts its tasks and tells the SCSI
 * target the nexus is lost.
 */
public final class Session {

    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    private static final long DRAIN_SECONDS = 10;

    private final PortalContext context;
    private final String initiatorName;
    private final String isid;
    private final TargetEntry target;
    private final ItNexus nexus;
    private final TaskSet tasks;
    private final ReadAllowance readAllowance;
    private final AtomicBoolean ended = new AtomicBoolean();
    private final AtomicBoolean nexusReported = new AtomicBoolean();
    private final CompletableFuture<Void> nexusLost = new CompletableFuture<>();
    private final CompletableFuture<Void> gone = new CompletableFuture<>();
    private final int queueDepth;
    private volatile Connection connection;
    private volatile int tsih;
    private int expCmdSn;
    /** Numbered requests accepted and not yet released (a task releases its slot once executed or removed). */
    private int holding;

    Session(final PortalContext context, final String initiatorName, final String isid, final TargetEntry target,
            final int firstCmdSn, final Connection connection) {
        this.context = context;
        this.initiatorName = initiatorName;
        this.isid = isid;
        this.target = target;
        this.nexus = target == null ? null
                : new ItNexus(initiatorName, isid, target.iqn(), context.config().portalGroupTag());
        this.connection = connection;
        this.expCmdSn = firstCmdSn;
        this.queueDepth = context.config().queueDepth();
        this.tasks = new TaskSet(this::startTask, this::release);
        this.readAllowance = new ReadAllowance(context.readShare());
    }

    /** Starts a task that may run now: without a thread when its connection can (a READ or WRITE), else on one. */
    private void startTask(final Task task) {
        Connection c = connection;
        if (c == null || !c.start(task)) {
            Thread.ofVirtual().name("iscsi-task").start(() -> connectionRun(task));
        }
    }

    private void connectionRun(final Task task) {
        Connection c = connection;
        if (c != null) {
            c.execute(task);
        } else {
            tasks.done(task);
        }
    }

    void tsih(final int value) {
        this.tsih = value;
    }

    /** The target session identifying handle. */
    public int tsih() {
        return tsih;
    }

    /** The initiator's iSCSI name. */
    public String initiatorName() {
        return initiatorName;
    }

    /** The ISID as 12 hex digits. */
    public String isid() {
        return isid;
    }

    /** The target's IQN, or the empty string for a discovery session. */
    public String targetName() {
        return target == null ? "" : target.iqn();
    }

    /** Where the initiator connects from ({@code host:port}), or an empty string once the connection is gone. */
    public String initiatorAddress() {
        Connection c = connection;
        return c == null ? "" : c.remoteAddress();
    }

    /** Whether the target this session logged in to was deleted since (see ScsiTarget.retired). */
    public boolean targetRetired() {
        return target != null && target.scsi().retired();
    }

    /**
     * The target as it was when this session logged in (its ACL, and the CHAP secrets the
     * initiator proved then; its SCSI side follows changes), or {@code null} for a discovery session.
     */
    public TargetEntry target() {
        return target;
    }

    /** Whether this session is the I_T nexus {@code other}. */
    public boolean matches(final ItNexus other) {
        return nexus.equals(other);
    }

    /** Whether this is a discovery session. */
    public boolean discovery() {
        return target == null;
    }

    ItNexus nexus() {
        return nexus;
    }

    /** What this session's commands may hold of the medium in memory at once. */
    ReadAllowance readAllowance() {
        return readAllowance;
    }

    TaskSet tasks() {
        return tasks;
    }

    /** Whether {@code cmdSn} is in the window; advances ExpCmdSN when it is the next one. */
    synchronized boolean acceptCmdSn(final int cmdSn) {
        int max = maxCmdSnLocked();
        if (serialLess(cmdSn, expCmdSn) || serialLess(max, cmdSn)) {
            return false;
        }
        expCmdSn = cmdSn + 1;
        holding++;
        return true;
    }

    /** Gives back the window slot of a numbered request that did not become a task (or whose task is gone). */
    synchronized void releaseSlot() {
        holding--;
    }

    /** Gives back {@code task}'s window slot, once. */
    synchronized void release(final Task task) {
        if (task.holdsSlot) {
            task.holdsSlot = false;
            holding--;
        }
    }

    synchronized int expCmdSn() {
        return expCmdSn;
    }

    synchronized int maxCmdSn() {
        return maxCmdSnLocked();
    }

    private int maxCmdSnLocked() {
        // ExpCmdSN and the slots held move together under this lock, so MaxCmdSN never goes back (RFC 7143 §4.2.2.1).
        return expCmdSn - 1 + Math.max(0, queueDepth - holding);
    }

    /** RFC 1982 serial number comparison on 32 bits: whether {@code a} comes before {@code b}. */
    static boolean serialLess(final int a, final int b) {
        return a != b && a - b < 0;
    }

    /**
     * Tells the target that the session's I_T nexus is gone (its SPC-2 reservation released, its
     * per-nexus state dropped), once. A logout does it before it answers, so that once the
     * initiator holds the Logout Response, no other initiator can meet the nexus's reservation.
     */
    void reportNexusLost() {
        if (target == null) {
            return;
        }
        if (!nexusReported.compareAndSet(false, true)) {
            nexusLost.join(); // the other caller's report is done before this one returns
            return;
        }
        try {
            target.scsi().nexusLost(nexus);
        } catch (RuntimeException e) {
            LOG.warn("nexusLost failed for {}", nexus.initiatorPortName(), e);
        } finally {
            nexusLost.complete(null);
        }
    }

    /** Ends the session (idempotent): closes the connection, aborts the tasks, reports the nexus lost. */
    public void end(final String reason) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        Connection c = connection;
        if (c != null) {
            c.close(reason);
        }
        List<Task> aborted = tasks.closeAndAbortAll();
        awaitTasks(aborted);
        context.sessions().keepUntilFinished(this, aborted.stream().filter(t -> !t.finished.isDone()).toList());
        context.sessions().remove(this);
        context.metrics().sessions.dec();
        reportNexusLost();
        gone.complete(null);
        LOG.info("session ended: initiator={} isid={} target={} tsih={} reason={}", initiatorName, isid,
                targetName(), tsih, reason);
    }

    /** Completes once the session has ended. */
    public CompletableFuture<Void> gone() {
        return gone;
    }

    /** The session's connection, or {@code null}. */
    public Connection connection() {
        return connection;
    }

    /** Whether the session has ended. */
    public boolean ended() {
        return ended.get();
    }

    /**
     * Waits, however long it takes, until none of {@code list}'s commands can change the medium any
     * more (executed or ended unrun; their statuses may still be going out), warning every
     * {@value #DRAIN_SECONDS} s: what PREEMPT AND ABORT must know before it answers. False only
     * when the waiting thread was interrupted first.
     */
    static boolean awaitCommandsEnded(final List<Task> list) {
        // Polls the tasks' executed flag rather than keeping a future per command for this rare wait. The
        // wait on their ends is built again only once one ended: each build hangs a dependent on every
        // running task's future until it completes, so one per poll would grow the heap while a task hangs.
        int polls = 0;
        CompletableFuture<Object> anyEnded = null;
        while (true) {
            List<Task> running = list.stream().filter(t -> !t.executed && !t.finished.isDone()).toList();
            if (running.isEmpty()) {
                return true;
            }
            if (anyEnded == null || anyEnded.isDone()) {
                anyEnded = CompletableFuture.anyOf(running.stream().map(t -> t.finished)
                        .toArray(CompletableFuture[]::new));
            }
            try {
                anyEnded.get(5, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException | TimeoutException e) {
                if (++polls % (DRAIN_SECONDS * 200) == 0) { // 5 ms each: every DRAIN_SECONDS
                    LOG.warn("still waiting for aborted commands to end: {}", running);
                }
            }
        }
    }

    static void awaitTasks(final List<Task> list) {
        try {
            CompletableFuture.allOf(list.stream().map(t -> t.finished).toArray(CompletableFuture[]::new))
                    .get(DRAIN_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("tasks still running after {} s: {}", DRAIN_SECONDS, list);
        }
    }
}
