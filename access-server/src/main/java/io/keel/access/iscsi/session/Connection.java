package io.keel.access.iscsi.session;

import io.keel.access.iscsi.login.SessionParams;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.pdu.PduCodec;
import io.keel.access.iscsi.pdu.PduException;
import io.keel.runtime.time.Timer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection: its reader (a virtual thread reading PDUs in order), its writer (a lock
 * that serializes PDUs and numbers StatSN), the login phase and then the full feature phase,
 * whose requests {@link FullFeature} handles, and the keep-alive pings.
 */
public final class Connection {

    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    private static final int LOGIN_SEGMENT = 8192;

    final PortalContext context;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger tttCounter = new AtomicInteger(1);
    final SessionParams params = new SessionParams();
    private final LoginHandler login;
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

    /** A connection over {@code socket}, not yet reading. */
    public Connection(final PortalContext context, final Socket socket) throws IOException {
        this.context = context;
        this.socket = socket;
        socket.setTcpNoDelay(true);
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        this.login = new LoginHandler(this);
    }

    /** The peer's address for logs. */
    String peer() {
        return String.valueOf(socket.getRemoteSocketAddress());
    }

    /** The local address the connection arrived on. */
    InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    Session session() {
        return session;
    }

    /** Reads and handles PDUs until the connection ends; then ends the session. */
    public void run() {
        context.metrics().connections.inc();
        lastReceived = context.clock().nanoTime();
        loginTimer = context.clock().schedule(context.config().loginTimeout(), () -> {
            if (fullFeature == null) {
                close("login timeout");
            }
        });
        try {
            readLoop();
        } catch (EOFException e) {
            close("connection closed by the initiator inside a PDU");
        } catch (IOException e) {
            close("I/O error: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("connection {} failed", peer(), e);
            close("internal error: " + e);
        } finally {
            close(closeReason);
            context.metrics().connections.dec();
            Session s = session;
            if (s != null) {
                s.end(closeReason);
            }
        }
    }

    private void readLoop() throws IOException {
        while (!closed.get()) {
            FullFeature ffp = fullFeature;
            try {
                Pdu pdu = ffp == null ? PduCodec.read(in, false, false, LOGIN_SEGMENT)
                        : PduCodec.read(in, params.headerDigest, params.dataDigest, params.recvDataSegmentLength);
                if (pdu == null) {
                    close("connection closed by the initiator");
                    return;
                }
                lastReceived = context.clock().nanoTime();
                if (ffp == null) {
                    login.handle(pdu);
                } else {
                    ffp.dispatch(pdu);
                }
            } catch (PduException e) {
                if (e.fatal() || ffp == null) {
                    LOG.warn("closing connection from {}: {}", who(), e.getMessage());
                    close(e.getMessage());
                    return;
                }
                reject(e.rejectReason(), e.pdu(), e.getMessage());
            }
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
     * feature phase, ExpCmdSN/MaxCmdSN.
     *
     * @return false when the connection is closed
     */
    boolean send(final List<Pdu> pdus, final java.util.function.Predicate<Pdu> advance) {
        writeLock.lock();
        try {
            if (closed.get()) {
                return false;
            }
            Session s = session;
            for (Pdu pdu : pdus) {
                pdu.putInt32(24, advance.test(pdu) ? statSn++ : statSn);
                if (s != null) {
                    pdu.putInt32(28, s.expCmdSn());
                    pdu.putInt32(32, s.maxCmdSn());
                }
                PduCodec.write(out, pdu, digests && params.headerDigest, digests && params.dataDigest);
            }
            out.flush();
            return true;
        } catch (IOException e) {
            close("write failed: " + e.getMessage());
            return false;
        } finally {
            writeLock.unlock();
        }
    }

    /** Sends one PDU; {@code advance} says whether it carries a new StatSN. */
    boolean send(final Pdu pdu, final boolean advance) {
        return send(List.of(pdu), p -> advance);
    }

    /** Sends a Reject for {@code rejected} with {@code reason}. */
    void reject(final int reason, final Pdu rejected, final String why) {
        context.metrics().pduRejects.inc();
        LOG.info("reject {} (reason 0x{}) from {}: {}", rejected == null ? "PDU" : Opcode.name(rejected.opcode()),
                Integer.toHexString(reason), who(), why);
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
        try {
            socket.close();
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
            PduCodec.write(out, pdu, false, false);
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
        // next tick is armed even when this one blocks in send() on an initiator that stopped reading (only the
        // next tick's timeout check, which closes the socket, can free that writer).
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
}
