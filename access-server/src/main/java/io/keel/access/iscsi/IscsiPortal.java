package io.keel.access.iscsi;

import com.codahale.metrics.MetricRegistry;
import io.keel.access.iscsi.session.BusyReaderWatch;
import io.keel.access.iscsi.session.Connection;
import io.keel.access.iscsi.session.OpenCommand;
import io.keel.access.iscsi.session.PortalContext;
import io.keel.access.iscsi.session.ReadShare;
import io.keel.access.iscsi.session.Session;
import io.keel.access.iscsi.session.SessionRegistry;
import io.keel.access.iscsi.session.WriteBudget;
import io.keel.access.scsi.ItNexus;
import io.keel.runtime.log.RateLimitedLog;
import io.keel.runtime.time.Clock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An iSCSI portal: the listening sockets, a platform-thread reader per accepted connection (a
 * blocking read wakes it straight from the socket, with no poller in between), and the sessions
 * they carry. Closing it stops accepting, ends every session (the SCSI targets are
 * told their nexus is lost) and returns within a bounded time.
 */
public final class IscsiPortal implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IscsiPortal.class);
    private static final long CLOSE_WAIT_SECONDS = 10;
    private static final int LOGOUT_GRACE_SECONDS = 2;

    private final PortalContext context;
    /** Refused requests logged per window, portal-wide (all are counted in {@code iscsi.pdu.rejects}). */
    private static final int REFUSALS_LOGGED = 10;
    private static final Duration REFUSAL_LOG_WINDOW = Duration.ofSeconds(10);

    private final List<ServerSocket> listeners = new ArrayList<>();
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final List<Thread> acceptors = new ArrayList<>();
    private final ExecutorService readers;
    /** Sessions being ended because their target went away or stopped admitting their initiator. */
    private final Set<Session> revoking = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private IscsiPortal(final PortalContext context, final ExecutorService readers) {
        this.context = context;
        this.readers = readers;
    }

    /** Starts listening on {@code config}'s addresses, serving {@code directory}'s targets. */
    public static IscsiPortal start(final PortalConfig config, final TargetDirectory directory,
            final MetricRegistry metrics, final Clock clock) {
        ExecutorService readers = Executors.newCachedThreadPool(
                Thread.ofPlatform().daemon().name("iscsi-reader-", 0).factory());
        SessionRegistry sessions = new SessionRegistry();
        metrics.gauge("iscsi.tasks.of-ended-sessions", () -> sessions::unfinishedCount);
        ReadShare readShare = ReadShare.ofHeap(sessions::normalCount);
        metrics.gauge("iscsi.read-share.held", () -> readShare::held);
        metrics.gauge("iscsi.read-share.per-session", () -> readShare::perSession);
        metrics.gauge("iscsi.commands.oldest-open-ms", () -> () -> sessions.oldestOpenCommand(clock.nanoTime())
                .map(open -> open.age().toMillis()).orElse(0L));
        PortalContext context = new PortalContext(config, directory, new IscsiMetrics(metrics), clock,
                sessions, new SecureRandom(), WriteBudget.ofHeap(), readShare, readers,
                BusyReaderWatch.open(), new RateLimitedLog(LoggerFactory.getLogger(Connection.class), clock,
                        REFUSALS_LOGGED, REFUSAL_LOG_WINDOW));
        IscsiPortal portal = new IscsiPortal(context, readers);
        try {
            for (InetSocketAddress address : config.listenAddresses()) {
                // A channel's socket: accepted connections then have channels, for gathering writes.
                ServerSocket server = ServerSocketChannel.open().socket();
                portal.listeners.add(server);
                server.setReuseAddress(true);
                server.bind(address, 128);
                LOG.info("iSCSI portal listening on {} (tpgt {})", server.getLocalSocketAddress(),
                        config.portalGroupTag());
            }
        } catch (IOException e) {
            portal.close();
            throw new UncheckedIOException("cannot listen on " + config.listenAddresses(), e);
        }
        for (ServerSocket server : portal.listeners) {
            portal.acceptors.add(Thread.ofVirtual().name("iscsi-accept").start(() -> portal.accept(server)));
        }
        return portal;
    }

    /** The addresses actually bound (ephemeral ports resolved). */
    public List<InetSocketAddress> boundAddresses() {
        return listeners.stream().map(s -> (InetSocketAddress) s.getLocalSocketAddress()).toList();
    }

    /** The command that has had all its data and no status longest (SessionRegistry.oldestOpenCommand), or empty. */
    public Optional<OpenCommand> oldestOpenCommand() {
        return context.sessions().oldestOpenCommand(context.clock().nanoTime());
    }

    /** The live sessions. */
    public List<Session> sessions() {
        return context.sessions().all();
    }

    /**
     * The target {@code nexus}'s live session logged in to, as it was at that login (its ACL and the
     * CHAP secrets the initiator proved then), or empty when no live session has that nexus.
     */
    public Optional<TargetEntry> loginEntry(final ItNexus nexus) {
        return context.sessions().all().stream()
                .filter(session -> !session.discovery() && !session.ended() && session.matches(nexus))
                .map(Session::target).findFirst();
    }

    private void accept(final ServerSocket server) {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("accept failed on {}", server.getLocalSocketAddress(), e);
                }
                return;
            }
            // Each connection has a platform thread reading it: their number is bounded.
            if (connections.size() >= context.config().maxConnections()) {
                LOG.warn("refusing connection from {}: the portal already has {} connections (iscsi.maxConnections)",
                        socket.getRemoteSocketAddress(), connections.size());
                closeQuietly(socket);
                continue;
            }
            try {
                Connection connection = new Connection(context, socket.getChannel(), connections::remove);
                connections.add(connection);
                readers.execute(connection::run);
            } catch (IOException | RejectedExecutionException e) {
                LOG.warn("cannot set up connection from {}", socket.getRemoteSocketAddress(), e);
                closeQuietly(socket);
            }
        }
    }

    /**
     * Ends the normal sessions whose target was deleted or no longer admits their initiator, so
     * that deleting a target or taking an initiator off its list holds for the sessions logged in,
     * not only for the next login. Each is asked to log out (Async Message), then ended after a
     * short grace period, on a thread of its own. A session whose check fails is left alone (and
     * checked again next time). Returns how many it began to end.
     */
    public int endRevokedSessions() {
        int revoked = 0;
        for (Session session : context.sessions().all()) {
            if (session.discovery() || session.ended()) {
                continue;
            }
            String reason;
            try {
                reason = session.targetRetired() ? "target deleted"
                        : context.directory().admits(session.targetName(), session.initiatorName()) ? null
                        : "the target no longer admits the initiator";
            } catch (RuntimeException e) {
                LOG.warn("cannot tell whether {} still admits {}", session.targetName(), session.initiatorName(), e);
                continue;
            }
            if (reason == null || !revoking.add(session)) {
                continue;
            }
            revoked++;
            LOG.info("ending the session of {} (isid {}) to {}: {}", session.initiatorName(), session.isid(),
                    session.targetName(), reason);
            Thread.ofVirtual().name("iscsi-revoke").start(() -> {
                try {
                    askToLeaveThenEnd(session, reason);
                } finally {
                    revoking.remove(session);
                }
            });
        }
        return revoked;
    }

    private static void askToLeaveThenEnd(final Session session, final String reason) {
        Connection connection = session.connection();
        if (connection != null && connection.requestLogout(LOGOUT_GRACE_SECONDS)) {
            try {
                session.gone().get(LOGOUT_GRACE_SECONDS, TimeUnit.SECONDS);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.info("{} did not log out of {} within {} s; ending its session", session.initiatorName(),
                        session.targetName(), LOGOUT_GRACE_SECONDS);
            }
        }
        session.end(reason);
    }

    @Override
    public void close() {
        closed = true;
        for (ServerSocket server : listeners) {
            try {
                server.close();
            } catch (IOException e) {
                LOG.debug("closing listener", e);
            }
        }
        askForLogouts();
        List<Session> sessions = context.sessions().all();
        for (Session session : sessions) {
            Thread.ofVirtual().start(() -> session.end("portal shutting down"));
        }
        connections.forEach(c -> c.close("portal shutting down"));
        try {
            // Waits on every session's end, whichever thread (this one's helper or its reader) runs it.
            CompletableFuture.allOf(sessions.stream().map(Session::gone).toArray(CompletableFuture[]::new))
                    .get(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("sessions still ending after {} s", CLOSE_WAIT_SECONDS);
        }
        if (context.busyReaders() != null) {
            context.busyReaders().close();
        }
        readers.shutdown();
        LOG.info("iSCSI portal closed");
    }

    /** Async Message "logout requested" to every normal session, then a short grace period for them to leave. */
    private void askForLogouts() {
        List<Session> sessions = context.sessions().all();
        List<CompletableFuture<Void>> leaving = new ArrayList<>();
        for (Session session : sessions) {
            Connection connection = session.connection();
            if (connection != null && connection.requestLogout(LOGOUT_GRACE_SECONDS)) {
                leaving.add(session.gone());
            }
        }
        if (leaving.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(leaving.toArray(CompletableFuture[]::new)).get(LOGOUT_GRACE_SECONDS,
                    TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.info("sessions did not log out within {} s; ending them", LOGOUT_GRACE_SECONDS);
        }
    }

    private static void closeQuietly(final Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            LOG.debug("close failed", e);
        }
    }
}
