package io.keel.access.iscsi.session;

import io.keel.access.iscsi.login.SessionParams;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.pdu.PduCodec;
import io.keel.access.iscsi.pdu.PduException;
import io.keel.access.iscsi.pdu.PduInput;
import io.keel.access.iscsi.pdu.PduWriter;
import io.keel.runtime.context.Batching;
import io.keel.runtime.time.Timer;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection: its reader (a platform thread reading PDUs in order, which may hand reading
 * on to another to run a command itself), its writer (an outbox whose PDUs whichever sender holds
 * the lock writes, numbering StatSN), the login phase and then the full feature phase,
 * whose requests {@link FullFeature} handles, and the keep-alive pings.
 */
public final class Connection {

    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    private static final int LOGIN_SEGMENT = 8192;
    /** Bytes of headers and small data segments a connection packs into one socket write. */
    private static final int WRITE_STAGING = 64 * 1024;

    final PortalContext context;
    private final SocketChannel channel;
    private final PduInput in;
    /** The socket's stream, only to ask what arrived without reading it. */
    private final InputStream socketInput;
    /** Encodes and writes PDUs; used by whoever holds {@link #writeLock}. */
    private final PduWriter out;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Outgoing> outbox = new ConcurrentLinkedQueue<>();
    private final Runnable writeWithoutWaiting = this::writeWithoutWaiting;
    /** Writes what the socket takes at once, for threads that must not wait; null where not available. */
    private final ImmediateSend immediate;
    /** What {@link ImmediateSend} left in {@link #out} for a writer that may wait (written under the lock). */
    private volatile boolean unwritten;
    /** Run once {@link #out}'s unwritten bytes are written, or dropped on close. Write lock held. */
    private List<Runnable> sentOnceWritten;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger tttCounter = new AtomicInteger(1);
    final SessionParams params = new SessionParams();
    private final LoginHandler login;
    private final Consumer<Connection> ended;
    /** Hands reading on when bytes arrive while the reader runs a command; null where not available. */
    private final BusyReaderWatch.Watch busyWatch;
    private volatile FullFeature fullFeature;
    private volatile Session session;
    private volatile boolean digests;
    private volatile String closeReason = "closed";
    private int statSn = 1;
    private Timer loginTimer;
    private Timer nopTimer;
    private volatile long lastReceived;
    private volatile int pingTtt = Pdu.RESERVED_TAG;
    private volatile long pingSentAt;

    /** A connection over {@code channel} (blocking), not yet reading; {@code ended} hears when it is over. */
    public Connection(final PortalContext context, final SocketChannel channel, final Consumer<Connection> ended)
            throws IOException {
        this.context = context;
        this.channel = channel;
        this.ended = ended;
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        // Before each read of the socket, which may wait, the reader's group of deferred work (Batching) goes out.
        this.in = new PduInput(channel, Batching::flushCurrent, 64 * 1024);
        this.socketInput = channel.socket().getInputStream();
        this.out = new PduWriter(channel, WRITE_STAGING);
        this.immediate = ImmediateSend.of(channel);
        this.login = new LoginHandler(this);
        BusyReaderWatch busyReaders = context.busyReaders();
        this.busyWatch = busyReaders == null ? null : busyReaders.register(channel, this::handReadingOn);
    }

    /** The initiator's address as {@code host:port}. */
    String remoteAddress() {
        return channel.socket().getRemoteSocketAddress() instanceof java.net.InetSocketAddress address
                ? address.getHostString() + ":" + address.getPort() : peer();
    }

    /** The peer's address for logs. */
    String peer() {
        return String.valueOf(channel.socket().getRemoteSocketAddress());
    }

    /** The local address the connection arrived on. */
    InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.socket().getLocalSocketAddress();
    }

    Session session() {
        return session;
    }

    /** Reads and handles PDUs until the connection ends (on this thread or those it hands reading to). */
    public void run() {
        context.metrics().connections.inc();
        lastReceived = context.clock().nanoTime();
        loginTimer = context.clock().schedule(context.config().loginTimeout(), () -> {
            if (fullFeature == null) {
                close("login timeout");
            }
        });
        readOn();
    }

    /**
     * Runs the read loop on the calling thread until the connection ends, then ends the session;
     * or until the loop hands reading to another thread to run a command here (see
     * {@link FullFeature#takeClaimed}).
     */
    private void readOn() {
        boolean handedOn = false;
        try {
            handedOn = readLoop();
        } catch (EOFException e) {
            close("connection closed by the initiator inside a PDU");
        } catch (IOException e) {
            close("I/O error: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("connection {} failed", peer(), e);
            close("internal error: " + e);
        } finally {
            if (!handedOn) {
                FullFeature ffp = fullFeature;
                if (ffp != null) {
                    ffp.readingEnded();
                }
                close(closeReason);
                context.metrics().connections.dec();
                ended.accept(this);
                Session s = session;
                if (s != null) {
                    s.end(closeReason);
                }
            }
        }
    }

    /**
     * Reads and dispatches PDUs, running each command that is alone in its session here (the QD1
     * path); true once reading went on on another thread. While such a command runs, a byte arriving
     * on the socket hands reading to another thread at once (see {@link BusyReaderWatch}), so a task
     * management request or the next command never waits for it.
     */
    private boolean readLoop() throws IOException {
        while (true) {
            Task claimed = readUntilClaimed();
            if (claimed == null) {
                return false;
            }
            context.metrics().commandsOnReader.mark();
            long token = busyWatch == null ? -1 : busyWatch.arm();
            if (token < 0) {
                // No watch: another reader thread goes on reading before the command runs here.
                handReadingOn();
            }
            if (!runHere(claimed, token)) {
                return true;
            }
        }
    }

    /**
     * Runs a claimed command on this reader thread; true if this thread still owns reading after it
     * ({@code token} from arming the watch, or -1 when reading was already handed on).
     */
    private boolean runHere(final Task claimed, final long token) {
        boolean[] stillReading = new boolean[1];
        RuntimeException failure = null;
        try {
            // In a group, so that its status is written only once the task has left the set: the initiator's
            // next command, which another reader may read at once, then finds the session idle and runs on a
            // reader too, instead of racing this thread's bookkeeping and going to another thread.
            Batching.run(() -> {
                try {
                    execute(claimed);
                } finally {
                    // Disarmed before the status goes out at the group's end: the next command, which may
                    // follow the status at once, is this thread's to read, not a reason to wake another.
                    stillReading[0] = token >= 0 && busyWatch.disarm(token);
                }
            });
        } catch (RuntimeException e) {
            failure = e;
        }
        if (failure != null && stillReading[0]) {
            throw failure;
        }
        if (failure != null) {
            // Another thread reads (and will end the connection): this one only reports.
            LOG.error("connection {}: running a command failed", peer(), failure);
        }
        return stillReading[0];
    }

    /** Starts another thread reading this connection, while the one that read until now runs a command. */
    private void handReadingOn() {
        try {
            context.readers().execute(this::takeOverReading);
        } catch (RejectedExecutionException e) {
            // The portal is closing: a thread of its own still reads until the connection ends, and ends it.
            Thread.ofPlatform().daemon().name("iscsi-reader-closing").start(this::takeOverReading);
        }
    }

    /** Reading on this thread, while the one that read until now runs a command. */
    private void takeOverReading() {
        context.metrics().readerHandOffs.mark();
        readOn();
    }

    /**
     * Reads and dispatches PDUs until one claims its command for this thread to run (returned) or the
     * connection ends (null). What the PDUs of one socket read defer (reads to submit, PDUs to send:
     * see {@link Batching}) goes out before the next read of the socket ({@link PduInput}).
     */
    private Task readUntilClaimed() throws IOException {
        try (Batching.Group batch = Batching.open()) {
            while (!closed.get()) {
                FullFeature ffp = fullFeature;
                try {
                    Pdu pdu = ffp == null ? PduCodec.read(in, false, false, LOGIN_SEGMENT)
                            : PduCodec.read(in, params.headerDigest, params.dataDigest, params.recvDataSegmentLength,
                                    ffp);
                    if (pdu == null) {
                        close("connection closed by the initiator");
                        return null;
                    }
                    lastReceived = context.clock().nanoTime();
                    if (ffp == null) {
                        login.handle(pdu);
                        continue;
                    }
                    ffp.dispatch(pdu);
                    // A command alone in its session runs on this thread, READs too: that is quicker than a
                    // completion thread handing the answer to a writer (the QD1 latency path).
                    Task claimed = ffp.takeClaimed();
                    if (claimed != null) {
                        return claimed;
                    }
                } catch (PduException e) {
                    if (e.fatal() || ffp == null) {
                        LOG.warn("closing connection from {}: {}", who(), e.getMessage());
                        close(e.getMessage());
                        return null;
                    }
                    ffp.notATask(e.pdu());
                    reject(e.rejectReason(), e.pdu(), e.getMessage());
                    if (e.rejectReason() == Opcode.REJECT_DATA_DIGEST && e.pdu() != null
                            && e.pdu().opcode() == Opcode.DATA_OUT) {
                        ffp.dataDigestFailed(e.pdu()); // after its Reject, which comes before the task's status
                    }
                }
            }
        }
        return null;
    }

    /** Whether no byte of a next PDU has arrived yet (reader thread only). */
    boolean nothingMoreToRead() {
        try {
            return in.buffered() == 0 && socketInput.available() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Initiator, ISID and target, or the peer address before login names them, for logs. */
    String who() {
        Session s = session;
        return s == null ? peer() + " " + login.describe()
                : "initiator=" + s.initiatorName() + " isid=" + s.isid() + " target=" + s.targetName();
    }

    /** Called by the login handler once the final Login Response is out. */
    void enterFullFeature(final Session newSession) {
        this.session = newSession;
        this.digests = true;
        this.fullFeature = new FullFeature(this, newSession);
        if (loginTimer != null) {
            loginTimer.cancel();
        }
        Duration interval = context.config().nopInInterval();
        if (!newSession.discovery() && !interval.isZero()) {
            scheduleKeepAlive();
        }
    }

    /** Starts {@code task} without a thread of its own when it can go so (see {@link FullFeature#start}). */
    boolean start(final Task task) {
        FullFeature ffp = fullFeature;
        return ffp != null && ffp.start(task);
    }

    /** Runs {@code task}'s command on the calling (task) thread and answers it. */
    void execute(final Task task) {
        FullFeature ffp = fullFeature;
        if (ffp == null) {
            session.tasks().done(task);
            return;
        }
        ffp.execute(task);
    }

    int nextTtt() {
        int ttt = tttCounter.getAndIncrement();
        if (ttt == Pdu.RESERVED_TAG) {
            ttt = tttCounter.getAndIncrement();
        }
        return ttt;
    }

    /**
     * Sends {@code pdus} back to back, filling StatSN (advanced for those {@code advance} says) and, in full
     * feature phase, ExpCmdSN/MaxCmdSN. The PDUs join the connection's outbox; whichever thread holds the
     * writer writes everything queued, so concurrent tasks do not park on each other and their responses
     * leave in one socket write. They may still be queued when this returns: {@link #sendAndWait} before
     * closing deliberately.
     *
     * @return false when the connection is closed
     */
    boolean send(final List<Pdu> pdus, final Predicate<Pdu> advance) {
        return send(pdus, advance, null);
    }

    /**
     * As {@link #send(List, Predicate)}, and runs {@code sent} (if not null) exactly once when the
     * PDUs' data segments are no longer needed: after they were written, or were dropped because
     * the connection closed. A data segment lent from a pool goes back then.
     */
    boolean send(final List<Pdu> pdus, final Predicate<Pdu> advance, final Runnable sent) {
        if (closed.get()) {
            if (sent != null) {
                sent.run();
            }
            return false;
        }
        outbox.add(new Outgoing(pdus, advance, sent));
        // In a group (Batching), one write at the group's end takes every PDU of it. A thread that must not
        // block (a device's completion thread) writes only what the socket takes at once and leaves the rest
        // to a thread of its own: the initiator may not be reading.
        if (!Batching.mayBlock()) {
            Batching.deferOnce(writeWithoutWaiting, writeWithoutWaiting);
        } else if (!Batching.deferOnce(this, this::writeQueued)) {
            writeQueued();
        }
        return !closed.get();
    }

    /**
     * On a thread that must not wait: writes the outbox as far as the socket takes it now, and leaves
     * what is left to a thread of its own.
     */
    private void writeWithoutWaiting() {
        // As in writeQueued, whoever unlocks looks at the outbox again: PDUs queued meanwhile are not left behind.
        while (immediate != null && !outbox.isEmpty() && !unwritten && writeLock.tryLock()) {
            boolean allWritten;
            try {
                allWritten = writeOutboxNow();
            } finally {
                writeLock.unlock();
            }
            if (!allWritten) {
                break;
            }
        }
        if (!outbox.isEmpty() || unwritten) {
            context.metrics().sendHandOffs.mark();
            writeOffThread();
        }
    }

    /** Writes the outbox on a new virtual thread, unless a writer is at it already (it looks again when done). */
    private void writeOffThread() {
        if (!writeLock.isLocked()) {
            Thread.ofVirtual().name("iscsi-send").start(this::writeQueued);
        }
    }

    /** Writes the outbox unless another thread is at it. */
    private void writeQueued() {
        // Whoever unlocks checks the outbox again afterwards, so PDUs queued while it wrote are never left behind.
        while ((!outbox.isEmpty() || unwritten) && writeLock.tryLock()) {
            try {
                writeOutbox();
            } finally {
                writeLock.unlock();
            }
        }
    }

    /** Sends one PDU; {@code advance} says whether it carries a new StatSN. */
    boolean send(final Pdu pdu, final boolean advance) {
        return send(List.of(pdu), p -> advance);
    }

    /** Returns once everything sent so far is written (or the connection closed): before a deliberate close. */
    void awaitSent() {
        writeLock.lock();
        try {
            writeOutbox();
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes whatever the outbox holds, in one system call where it can. Write lock held. */
    private void writeOutbox() {
        // Only lent Data-In has something to run once written; most drains allocate nothing for it.
        List<Runnable> written = takeSentOnceWritten();
        Outgoing next;
        try {
            while ((next = outbox.poll()) != null) {
                written = collectSent(written, next);
                encode(next);
            }
            out.flush();
            unwritten = false;
        } catch (IOException e) {
            written = failWriting(e, written);
        } finally {
            if (written != null) {
                written.forEach(Runnable::run);
            }
        }
    }

    /**
     * As {@link #writeOutbox}, without waiting: encodes what fits the writer's staging without a write
     * and writes what the socket takes now; true when all it took went out and another round may take
     * more. What it could not write stays in {@link #out}, flagged {@link #unwritten}, with the callbacks
     * of its PDUs, for {@link #writeOutbox}. Write lock held.
     */
    private boolean writeOutboxNow() {
        if (unwritten) {
            return false; // bytes left by another such thread go first, by a writer that may wait
        }
        List<Runnable> written = null;
        Outgoing next;
        boolean encodedAny = false;
        try {
            while ((next = outbox.peek()) != null && out.hasRoomFor(next.pdus())) {
                outbox.poll();
                written = collectSent(written, next);
                encode(next);
                encodedAny = true;
            }
            if (!out.flushNow(immediate)) {
                unwritten = true;
                sentOnceWritten = written;
                written = null;
                return false;
            }
            // Stopped at PDUs that did not fit: worth another round only if the staging had room taken this one.
            return next == null || encodedAny;
        } catch (IOException e) {
            written = failWriting(e, written);
            return false;
        } finally {
            if (written != null) {
                written.forEach(Runnable::run);
            }
        }
    }

    /** Adds {@code outgoing}'s PDUs to the writer with this connection's sequence numbers (dropped once closed). */
    private void encode(final Outgoing outgoing) throws IOException {
        if (closed.get()) {
            return;
        }
        Session s = session;
        for (Pdu pdu : outgoing.pdus()) {
            pdu.putInt32(24, outgoing.advance().test(pdu) ? statSn++ : statSn);
            if (s != null) {
                pdu.putInt32(28, s.expCmdSn());
                pdu.putInt32(32, s.maxCmdSn());
            }
            out.add(pdu, digests && params.headerDigest, digests && params.dataDigest);
        }
    }

    /** The callbacks left by {@link #writeOutboxNow}, now the caller's to run. Write lock held. */
    private List<Runnable> takeSentOnceWritten() {
        List<Runnable> left = sentOnceWritten;
        sentOnceWritten = null;
        return left;
    }

    /**
     * A write failed: closes the connection and drops everything queued; returns {@code written} with
     * the callbacks of what was dropped added. Write lock held.
     */
    private List<Runnable> failWriting(final IOException e, final List<Runnable> written) {
        close("write failed: " + e.getMessage());
        out.discard(); // its lent data segments go back below
        // Whatever writeOutboxNow left in sentOnceWritten is in written already: writeOutbox took it first,
        // and writeOutboxNow does not run while it is there.
        List<Runnable> all = written;
        Outgoing next;
        while ((next = outbox.poll()) != null) {
            all = collectSent(all, next);
        }
        unwritten = false;
        return all;
    }

    private static List<Runnable> collectSent(final List<Runnable> written, final Outgoing outgoing) {
        if (outgoing.sent() == null) {
            return written;
        }
        List<Runnable> list = written == null ? new ArrayList<>(2) : written;
        list.add(outgoing.sent());
        return list;
    }

    /** Sends a Reject for {@code rejected} with {@code reason}. */
    void reject(final int reason, final Pdu rejected, final String why) {
        context.metrics().pduRejects.inc();
        context.refusals().info("reject " + (rejected == null ? "PDU" : Opcode.name(rejected.opcode()))
                + " (reason 0x" + Integer.toHexString(reason) + ") from " + who() + ": " + why);
        Pdu pdu = Pdu.of(Opcode.REJECT).putByte(2, reason).itt(Pdu.RESERVED_TAG);
        if (rejected != null) {
            pdu.data(rejected.bhs().clone());
        }
        send(pdu, true);
    }

    /** Closes the socket (idempotent); the reader then ends the session. */
    public void close(final String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeReason = reason;
        LOG.info("connection closed: {} reason={}", who(), reason);
        if (loginTimer != null) {
            loginTimer.cancel();
        }
        Timer t = nopTimer;
        if (t != null) {
            t.cancel();
        }
        if (busyWatch != null) {
            busyWatch.unregister();
        }
        if (immediate != null) {
            immediate.close(); // before the descriptor can be closed, and its number reused
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("close failed", e);
        }
    }

    boolean closed() {
        return closed.get();
    }

    /** Sends the login-phase PDU as is (no digests, the login handler fills the sequence numbers). */
    void sendLogin(final Pdu pdu) throws IOException {
        writeLock.lock();
        try {
            pdu.putInt32(24, statSn++);
            out.add(pdu, false, false);
            out.flush();
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Asks the initiator to log out within {@code seconds} (Async Message, event 1), as on shutdown.
     *
     * @return whether the message went out (full feature phase of a normal session only)
     */
    public boolean requestLogout(final int seconds) {
        Session s = session;
        if (fullFeature == null || s == null || s.discovery()) {
            return false;
        }
        LOG.info("asking {} to log out within {} s", who(), seconds);
        return send(Pdu.of(Opcode.ASYNC_MESSAGE).itt(Pdu.RESERVED_TAG).putByte(36, 1).putInt16(38, 0)
                .putInt16(40, 0).putInt16(42, seconds), true);
    }

    /** A keep-alive answer arrived (NOP-Out echoing our TTT). */
    void pingAnswered(final int ttt) {
        if (ttt == pingTtt) {
            pingTtt = Pdu.RESERVED_TAG;
        }
    }

    private void scheduleKeepAlive() {
        Duration interval = context.config().nopInInterval();
        Duration timeout = context.config().nopInTimeout();
        Duration tick = interval.compareTo(timeout) < 0 ? interval : timeout;
        // Re-armed from the timer itself, so ticks keep their period however late the virtual thread runs, and the
        // next tick is armed even when a task's writer blocks on an initiator that stopped reading (only the next
        // tick's timeout check, which closes the socket, can free that writer).
        nopTimer = context.clock().schedule(tick, () -> {
            if (!closed.get()) {
                scheduleKeepAlive();
                Thread.ofVirtual().name("iscsi-keepalive").start(this::keepAlive);
            }
        });
    }

    private void keepAlive() {
        if (closed.get()) {
            return;
        }
        long now = context.clock().nanoTime();
        if (pingTtt != Pdu.RESERVED_TAG) {
            if (now - pingSentAt > context.config().nopInTimeout().toNanos()) {
                close("initiator stopped answering NOP-In pings");
                return;
            }
        } else if (now - lastReceived >= context.config().nopInInterval().toNanos()) {
            int ttt = nextTtt();
            pingSentAt = now;
            pingTtt = ttt;
            send(Pdu.of(Opcode.NOP_IN).itt(Pdu.RESERVED_TAG).putInt32(20, ttt), false);
        }
    }

    /** PDUs queued to go out together, which of them carry a new StatSN, and what runs once they are out. */
    private record Outgoing(List<Pdu> pdus, Predicate<Pdu> advance, Runnable sent) {
    }
}
