package io.keel.runtime.rpc;

import com.codahale.metrics.MetricRegistry;
import io.keel.runtime.log.RateLimitedLog;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.Deadline;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls methods of one {@link RpcServer} over one TCP connection, as plain blocking calls meant for virtual
 * threads: many threads may call at once, and their calls share the connection, matched by request id.
 *
 * <pre>{@code
 * try (RpcClient client = new RpcClient(serverAddress, RpcConfig.defaults())) {
 *     ByteBuffer response = client.call(METHOD_READ, request, Duration.ofSeconds(2));
 * }
 * }</pre>
 *
 * <p>The connection is made by the first call. When it dies, every call waiting on it fails at once with an
 * {@link RpcConnectionException} (such a call may or may not have run); the next call reconnects. Failed
 * connection attempts back off exponentially with jitter; a call waits for the next attempt only within its
 * deadline. Buffers passed in are read from their position to their limit, are never modified (their
 * positions do not move either) and are free again when the call returns.
 */
public final class RpcClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RpcClient.class);
    private static final long NANOS_PER_MILLI = 1_000_000;

    private final InetSocketAddress peer;
    private final RpcConfig config;
    private final Clock clock;
    private final RpcClientMetrics metrics;
    private final ReconnectBackoff backoff;
    private final RateLimitedLog warnings;
    private final ReentrantLock connectLock = new ReentrantLock();
    private final ClientConnection.Listener listener = new ConnectionListener();
    private volatile ClientConnection connection;
    private volatile IOException lastConnectFailure;
    private volatile boolean closed;

    /** A client for the server at {@code peer}; connects on the first call. */
    public RpcClient(final InetSocketAddress peer, final RpcConfig config) {
        this.peer = peer;
        this.config = config;
        this.clock = config.clock();
        MetricRegistry registry = config.metricRegistry() != null ? config.metricRegistry() : new MetricRegistry();
        this.metrics = new RpcClientMetrics(registry);
        this.backoff = new ReconnectBackoff(config.reconnectBackoffMin(), config.reconnectBackoffMax(), clock,
                config.random());
        this.warnings = new RateLimitedLog(LOG, clock, 5, Duration.ofSeconds(10));
    }

    /** Calls {@code methodId} with {@code request}, waiting at most {@code timeout}. */
    public ByteBuffer call(final int methodId, final ByteBuffer request, final Duration timeout)
            throws RpcException, InterruptedException {
        return call(methodId, new ByteBuffer[] {request}, Deadline.after(clock, timeout));
    }

    /** Calls {@code methodId} with {@code request} before {@code deadline}. */
    public ByteBuffer call(final int methodId, final ByteBuffer request, final Deadline deadline)
            throws RpcException, InterruptedException {
        return call(methodId, new ByteBuffer[] {request}, deadline);
    }

    /**
     * Calls {@code methodId} with the concatenated remaining bytes of {@code request} (sent with one gathering
     * write, not copied together) and blocks until the answer.
     *
     * @param deadline on this client's clock
     * @return the response payload, a fresh buffer the caller owns
     * @throws RpcPayloadTooLargeException before sending anything, when the request exceeds the maximum
     * @throws RpcRemoteException when the server answered with an error
     * @throws RpcTimeoutException when the deadline expired first
     * @throws RpcConnectionException when the connection died or could not be made
     * @throws InterruptedException when the calling thread was interrupted; the call is abandoned
     */
    public ByteBuffer call(final int methodId, final ByteBuffer[] request, final Deadline deadline)
            throws RpcException, InterruptedException {
        long length = 0;
        for (ByteBuffer part : request) {
            length += part.remaining();
        }
        if (length > config.maxPayloadBytes()) {
            throw new RpcPayloadTooLargeException(length, config.maxPayloadBytes());
        }
        Object outcome = exchange(FrameKind.REQUEST, methodId, request, deadline);
        if (outcome instanceof ByteBuffer response) {
            return response;
        }
        if (outcome instanceof PendingCall.RemoteError error) {
            metrics.remoteErrors().inc();
            throw new RpcRemoteException(peer, methodId, error.status(), error.message());
        }
        throw failure(outcome, "method " + methodId, deadline);
    }

    /**
     * Sends a ping and waits for the pong.
     *
     * @return the round-trip time
     */
    public Duration ping(final Duration timeout) throws RpcException, InterruptedException {
        Deadline deadline = Deadline.after(clock, timeout);
        long start = clock.nanoTime();
        Object outcome = exchange(FrameKind.PING, 0, new ByteBuffer[0], deadline);
        if (outcome instanceof ByteBuffer) {
            return Duration.ofNanos(clock.nanoTime() - start);
        }
        throw failure(outcome, "ping", deadline);
    }

    /** The server this client calls. */
    public InetSocketAddress peer() {
        return peer;
    }

    /** This client's metrics (shared with other clients of the same registry). */
    public RpcClientMetrics metrics() {
        return metrics;
    }

    /** Fails every pending call with an {@link RpcConnectionException} and refuses new ones. */
    @Override
    public void close() {
        closed = true;
        ClientConnection current = connection;
        if (current != null) {
            current.close("the client was closed", null);
        }
    }

    /** Calls waiting for an answer on the current connection. */
    int pendingCalls() {
        ClientConnection current = connection;
        return current == null ? 0 : current.pendingCalls();
    }

    private Object exchange(final FrameKind kind, final int code, final ByteBuffer[] payload,
            final Deadline deadline) throws RpcException, InterruptedException {
        if (deadline.clock() != clock) {
            throw new IllegalArgumentException("the deadline must be on the client's clock");
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        long start = clock.nanoTime();
        metrics.calls().inc();
        metrics.inFlight().inc();
        try {
            Object outcome = null;
            // null: the call never ran (e.g. the server went away first), so sending it again is safe.
            while (outcome == null) {
                if (deadline.isExpired()) {
                    return PendingCall.TIMED_OUT;
                }
                outcome = connection(deadline).exchange(kind, code, deadline.atNanos(), payload);
            }
            if (outcome == PendingCall.INTERRUPTED) {
                throw new InterruptedException();
            }
            return outcome;
        } catch (RpcTimeoutException timeout) {
            metrics.timeouts().inc();
            throw timeout;
        } finally {
            metrics.inFlight().dec();
            metrics.latency().update(clock.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private RpcException failure(final Object outcome, final String what, final Deadline deadline) {
        if (outcome instanceof ClientConnection.Closure closure) {
            metrics.connectionFailures().inc();
            return new RpcConnectionException(peer, what + " on " + peer + " failed: the connection was lost ("
                    + closure.reason() + ")", closure.cause());
        }
        if (outcome == PendingCall.TIMED_OUT) {
            metrics.timeouts().inc();
            return new RpcTimeoutException(what + " on " + peer + " timed out: its deadline expired", null);
        }
        throw new IllegalStateException("unexpected call outcome " + outcome);
    }

    private ClientConnection connection(final Deadline deadline) throws RpcException, InterruptedException {
        ClientConnection current = connection;
        if (current != null && current.isOpen()) {
            return current;
        }
        if (!connectLock.tryLock(deadline.remainingNanos(), TimeUnit.NANOSECONDS)) {
            throw new RpcTimeoutException("deadline expired while waiting for the connection to " + peer,
                    lastConnectFailure);
        }
        try {
            while (true) {
                if (closed) {
                    throw new RpcConnectionException(peer, "the client for " + peer + " is closed", null);
                }
                current = connection;
                if (current != null && current.isOpen()) {
                    return current;
                }
                long wait = backoff.nanosUntilNextAttempt();
                if (wait >= deadline.remainingNanos()) {
                    IOException last = lastConnectFailure;
                    throw new RpcTimeoutException("deadline expires before the next attempt to connect to " + peer
                            + " in " + wait / NANOS_PER_MILLI + " ms" + (last == null ? "" : "; last failure: "
                            + last), last);
                }
                if (wait > 0) {
                    clock.sleep(Duration.ofNanos(wait));
                }
                ClientConnection opened;
                try {
                    opened = open(deadline);
                } catch (IOException failure) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new InterruptedException();
                    }
                    lastConnectFailure = failure;
                    metrics.connectionFailures().inc();
                    long delay = backoff.recordFailure();
                    warnings.warn("rpc client: cannot connect to " + peer + " (" + failure + "); next attempt in "
                            + delay / NANOS_PER_MILLI + " ms or later");
                    continue;
                }
                connection = opened;
                if (closed) {
                    // close() ran while we connected and could not see this connection.
                    opened.close("the client was closed", null);
                    throw new RpcConnectionException(peer, "the client for " + peer + " is closed", null);
                }
                return opened;
            }
        } finally {
            connectLock.unlock();
        }
    }

    private ClientConnection open(final Deadline deadline) throws IOException {
        long timeoutMillis = Math.min(config.connectTimeout().toMillis(), deadline.remainingNanos() / NANOS_PER_MILLI);
        SocketChannel channel = SocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, config.tcpNoDelay());
            if (config.socketSendBufferBytes() > 0) {
                channel.setOption(StandardSocketOptions.SO_SNDBUF, config.socketSendBufferBytes());
            }
            if (config.socketReceiveBufferBytes() > 0) {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, config.socketReceiveBufferBytes());
            }
            // The socket adaptor offers the timed connect that SocketChannel lacks; 0 would mean forever.
            channel.socket().connect(peer, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeoutMillis)));
        } catch (IOException failure) {
            channel.close();
            throw failure;
        }
        LOG.debug("rpc client: connected to {}", peer);
        return ClientConnection.start(channel, peer, config, metrics, warnings, listener);
    }

    /** Steers the backoff: a connection that never delivered a valid frame counts as a failed attempt. */
    private final class ConnectionListener implements ClientConnection.Listener {
        @Override
        public void onHealthy() {
            backoff.reset();
        }

        @Override
        public void onClosed(final ClientConnection closedConnection, final boolean provedHealthy) {
            if (!provedHealthy && !closed) {
                backoff.recordFailure();
            }
        }
    }
}
