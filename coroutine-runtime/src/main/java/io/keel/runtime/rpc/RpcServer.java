package io.keel.runtime.rpc;

import com.codahale.metrics.MetricRegistry;
import io.keel.runtime.log.RateLimitedLog;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.Deadline;
import io.keel.runtime.time.Timer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves registered {@link RpcHandler}s on one TCP port; every request runs on its own virtual thread taken
 * from a pluggable executor.
 *
 * <pre>{@code
 * RpcServer server = new RpcServer(RpcConfig.defaults());
 * server.register(METHOD_ECHO, request -> request);
 * InetSocketAddress bound = server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
 * ...
 * server.close();
 * }</pre>
 *
 * <p>The executor must run each task on a new thread (a virtual one, as a rule): it runs both the requests
 * and the reads that lead to them (see {@link ServerConnection}), and a task may block. The default starts a
 * virtual thread named {@code rpc-request} per task. A connection whose client breaks the protocol is closed
 * with one log line (rate-limited across connections); the server goes on serving the others.
 *
 * <p>Memory: request payloads of all connections together take at most {@code maxBufferedRequestBytes};
 * a connection whose next payload does not fit stops reading until it does. Connections beyond
 * {@code maxConnections} are closed as soon as they are accepted.
 *
 * <p>Partial frames: a connection whose peer starts a frame and does not finish it within
 * {@code partialFrameTimeout} is closed, so that it cannot hold budget bytes for good. One periodic sweep per
 * server checks every connection's "waiting for the rest of a frame since" time; reading a frame arms nothing.
 * Connections idle between frames are left alone.
 */
public final class RpcServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RpcServer.class);
    /** How long close() lets a GO_AWAY frame wait for a client that does not read. */
    private static final Duration GO_AWAY_WRITE_TIMEOUT = Duration.ofMillis(200);
    /** The sweep for partial frames runs this often at most; a close comes at most this late. */
    private static final Duration MAX_SWEEP_PERIOD = Duration.ofSeconds(1);

    private final RpcConfig config;
    private final Executor requestExecutor;
    private final RpcServerMetrics metrics;
    private final RateLimitedLog warnings;
    /** Separate from the protocol warnings, so that a connection flood cannot hide protocol errors. */
    private final RateLimitedLog refusals;
    private final RequestBudget requestBudget;
    private final Duration sweepPeriod;
    private final Map<Integer, RpcHandler> handlers = new ConcurrentHashMap<>();
    private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private volatile ServerSocketChannel serverChannel;
    private volatile InetSocketAddress boundAddress;
    private volatile Thread acceptor;
    private volatile boolean closing;
    /** The next partial-frame sweep; guarded by this, so that close() cannot miss one being rescheduled. */
    private Timer sweepTimer;

    /** A server running each request on a new virtual thread. */
    public RpcServer(final RpcConfig config) {
        this(config, virtualThreadPerTask());
    }

    /**
     * A server running each request, and the read that precedes it, as one task of {@code requestExecutor},
     * which must give every task a thread of its own.
     */
    public RpcServer(final RpcConfig config, final Executor requestExecutor) {
        this.config = Objects.requireNonNull(config, "config");
        this.requestExecutor = Objects.requireNonNull(requestExecutor, "requestExecutor");
        MetricRegistry registry = config.metricRegistry() != null ? config.metricRegistry() : new MetricRegistry();
        this.metrics = new RpcServerMetrics(registry);
        this.warnings = new RateLimitedLog(LOG, config.clock(), 5, Duration.ofSeconds(10));
        this.refusals = new RateLimitedLog(LOG, config.clock(), 1, Duration.ofSeconds(10));
        this.requestBudget = new RequestBudget(config.maxBufferedRequestBytes(), metrics.bufferedRequestBytes()::inc);
        Duration quarter = config.partialFrameTimeout().dividedBy(4);
        // At least 1 ms: a timeout of a few nanoseconds must not make the sweep spin.
        this.sweepPeriod = quarter.compareTo(MAX_SWEEP_PERIOD) < 0 ? maxOf(quarter, Duration.ofMillis(1))
                : MAX_SWEEP_PERIOD;
    }

    /**
     * Registers the handler of {@code methodId}; allowed before and after {@link #start}.
     *
     * @throws IllegalStateException when the method already has a handler
     */
    public RpcServer register(final int methodId, final RpcHandler handler) {
        Objects.requireNonNull(handler, "handler");
        if (handlers.putIfAbsent(methodId, handler) != null) {
            throw new IllegalStateException("method " + methodId + " already has a handler");
        }
        return this;
    }

    /**
     * Binds {@code bindAddress} (port 0 picks a free port) and starts accepting connections.
     *
     * @return the address actually bound
     */
    public synchronized InetSocketAddress start(final InetSocketAddress bindAddress) throws IOException {
        if (serverChannel != null || closing) {
            throw new IllegalStateException("the server was already started");
        }
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            // A restarted server must be able to take its port back while old connections sit in TIME_WAIT.
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (config.socketReceiveBufferBytes() > 0) {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, config.socketReceiveBufferBytes());
            }
            channel.bind(bindAddress);
        } catch (IOException failure) {
            channel.close();
            throw failure;
        }
        serverChannel = channel;
        boundAddress = (InetSocketAddress) channel.getLocalAddress();
        acceptor = Thread.ofVirtual().name("rpc-accept-" + boundAddress.getPort()).start(this::acceptLoop);
        scheduleSweep();
        LOG.info("rpc server listening on {}", boundAddress);
        return boundAddress;
    }

    /** The bound address, or null before {@link #start}. */
    public InetSocketAddress address() {
        return boundAddress;
    }

    /** This server's metrics (shared with other servers of the same registry). */
    public RpcServerMetrics metrics() {
        return metrics;
    }

    /**
     * Request payload bytes this server holds now out of {@code maxBufferedRequestBytes}: payloads being read
     * or whose request has not finished. 0 once the server is idle.
     */
    public long bufferedRequestBytes() {
        return requestBudget.inUse();
    }

    /** Connections currently open. */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Stops accepting, tells every client which of its requests ran (GO_AWAY: the others are resent elsewhere
     * by the client), closes every connection (calls that did run fail with an {@link RpcConnectionException})
     * and returns once the port is free again. Requests still running finish on their threads; their answers
     * are dropped.
     */
    @Override
    public void close() {
        Thread accepting;
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
            accepting = acceptor;
            if (sweepTimer != null) {
                sweepTimer.cancel();
                sweepTimer = null;
            }
        }
        ServerSocketChannel channel = serverChannel;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException failure) {
                LOG.warn("rpc server {}: closing the listening socket failed: {}", boundAddress, failure.toString());
            }
        }
        if (accepting != null) {
            joinUninterruptibly(List.of(accepting));
        }
        Deadline goAwayDeadline = Deadline.after(config.clock(), GO_AWAY_WRITE_TIMEOUT);
        List<Thread> closers = new ArrayList<>();
        for (ServerConnection connection : connections) {
            closers.add(Thread.ofVirtual().name("rpc-go-away").start(
                    () -> connection.goAwayAndClose("the server is closing", goAwayDeadline)));
        }
        joinUninterruptibly(closers);
        if (channel != null) {
            LOG.info("rpc server {} closed; closed {} connections", boundAddress, closers.size());
        }
    }

    Executor requestExecutor() {
        return requestExecutor;
    }

    Clock clock() {
        return config.clock();
    }

    RequestBudget requestBudget() {
        return requestBudget;
    }

    RpcHandler handler(final int methodId) {
        return handlers.get(methodId);
    }

    void protocolWarning(final String message) {
        warnings.warn(message);
    }

    void connectionClosed(final ServerConnection connection) {
        connections.remove(connection);
    }

    private void acceptLoop() {
        ServerSocketChannel channel = serverChannel;
        while (!closing) {
            SocketChannel accepted;
            try {
                accepted = channel.accept();
            } catch (ClosedChannelException closed) {
                return;
            } catch (IOException failure) {
                if (closing) {
                    return;
                }
                // E.g. out of file descriptors: pausing beats spinning on the same failure.
                warnings.warn("rpc server " + boundAddress + ": accept failed: " + failure);
                pauseAfterAcceptFailure();
                continue;
            }
            adopt(accepted);
        }
    }

    private void adopt(final SocketChannel accepted) {
        // Only this thread adds connections, so the count cannot grow between the check and the add.
        if (connections.size() >= config.maxConnections()) {
            metrics.connectionsRefused().inc();
            refusals.warn("rpc server " + boundAddress + ": refusing a connection, "
                    + config.maxConnections() + " are open (maxConnections)");
            closeQuietly(accepted);
            return;
        }
        InetSocketAddress peer;
        try {
            accepted.setOption(StandardSocketOptions.TCP_NODELAY, config.tcpNoDelay());
            if (config.socketSendBufferBytes() > 0) {
                accepted.setOption(StandardSocketOptions.SO_SNDBUF, config.socketSendBufferBytes());
            }
            peer = (InetSocketAddress) accepted.getRemoteAddress();
        } catch (IOException failure) {
            LOG.debug("rpc server {}: dropping a connection that failed during setup: {}", boundAddress,
                    failure.toString());
            closeQuietly(accepted);
            return;
        }
        metrics.connectionsAccepted().inc();
        ServerConnection connection = new ServerConnection(this, accepted, peer, config, metrics);
        connections.add(connection);
        if (closing) {
            // close() may have swept the set before we added to it.
            connection.close("the server is closing");
            return;
        }
        connection.start();
    }

    private synchronized void scheduleSweep() {
        if (!closing) {
            sweepTimer = config.clock().schedule(sweepPeriod, this::sweepPartialFrames);
        }
    }

    /**
     * Runs on the clock's timer thread: reads one volatile field per connection and leaves the closing, which
     * takes a socket close and a log line, to a virtual thread.
     */
    private void sweepPartialFrames() {
        try {
            long timeoutNanos = config.partialFrameTimeout().toNanos();
            long now = config.clock().nanoTime();
            for (ServerConnection connection : connections) {
                long since = connection.partialFrameSince();
                // A frame may complete right after this read; closing it then is harmless, since its peer
                // took the whole timeout anyway.
                if (since != FrameReader.NO_PARTIAL_FRAME && now - since >= timeoutNanos) {
                    Thread.ofVirtual().name("rpc-partial-frame-close")
                            .start(() -> connection.closeForPartialFrame(now - since, timeoutNanos));
                }
            }
        } finally {
            scheduleSweep();
        }
    }

    private static Duration maxOf(final Duration a, final Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private void pauseAfterAcceptFailure() {
        try {
            config.clock().sleep(Duration.ofMillis(100));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void joinUninterruptibly(final List<Thread> threads) {
        boolean interrupted = false;
        for (Thread thread : threads) {
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(final SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Nothing was using it yet.
        }
    }

    private static Executor virtualThreadPerTask() {
        // One fixed name: numbering every request's thread would build a string per request.
        ThreadFactory factory = Thread.ofVirtual().name("rpc-request").factory();
        return task -> factory.newThread(task).start();
    }
}
