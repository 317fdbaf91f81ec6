package io.keel.runtime.rpc;

import io.keel.runtime.log.RateLimitedLog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: its socket, its writer, its pending calls and the virtual thread that reads
 * answers and completes them. When the connection dies, for any reason, every pending call fails at once.
 */
final class ClientConnection {

    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);

    /** Told about a connection's life, so the client can steer its reconnect backoff. */
    interface Listener {
        /** The first valid frame arrived: the peer speaks the protocol. */
        void onHealthy();

        /** The connection closed; {@code provedHealthy} when a valid frame had arrived before. */
        void onClosed(ClientConnection connection, boolean provedHealthy);
    }

    /**
     * Why the connection closed; also the outcome of the calls it failed.
     *
     * @param reason what happened, for the exception message
     * @param cause the underlying exception, or null
     * @param lastRunRequestId calls with a higher request id never ran on the server and may be sent again;
     *     {@link Long#MAX_VALUE} when the server said nothing about it
     */
    record Closure(String reason, Throwable cause, long lastRunRequestId) {
        /** What a call still pending at the closure gets: {@link PendingCall#RETRY} if it never ran, else this. */
        Object outcomeFor(final long requestId) {
            return requestId > lastRunRequestId ? PendingCall.RETRY : this;
        }
    }

    private final SocketChannel channel;
    private final InetSocketAddress peer;
    private final RpcClientMetrics metrics;
    private final RateLimitedLog protocolLog;
    private final Listener listener;
    private final FrameWriter writer;
    private final FrameReader reader;
    private final Map<Long, PendingCall> pending = new ConcurrentHashMap<>();
    private final CallTimeouts timeouts;
    private final Object sendOrder = new Object();
    private long nextRequestId = 1;
    private volatile Closure closure;
    private volatile boolean healthy;

    private ClientConnection(final SocketChannel channel, final InetSocketAddress peer, final RpcConfig config,
            final RpcClientMetrics metrics, final RateLimitedLog protocolLog, final Listener listener) {
        this.channel = channel;
        this.peer = peer;
        this.metrics = metrics;
        this.protocolLog = protocolLog;
        this.listener = listener;
        this.writer = new FrameWriter(channel, failure -> close("write failed: " + failure, failure),
                metrics.bytesOut()::inc);
        this.reader = new FrameReader(channel, config.maxPayloadBytes(), config.directPayloadThresholdBytes(),
                metrics.bytesIn()::inc);
        this.timeouts = new CallTimeouts(config.clock(), pending, this::withdraw);
    }

    /** Wraps a connected channel and starts its reader thread. */
    static ClientConnection start(final SocketChannel channel, final InetSocketAddress peer, final RpcConfig config,
            final RpcClientMetrics metrics, final RateLimitedLog protocolLog, final Listener listener) {
        ClientConnection connection = new ClientConnection(channel, peer, config, metrics, protocolLog, listener);
        Thread.ofVirtual().name("rpc-client-reader-" + peer).start(connection::readLoop);
        return connection;
    }

    boolean isOpen() {
        return closure == null;
    }

    int pendingCalls() {
        return pending.size();
    }

    /**
     * Sends one frame and blocks until its answer, the deadline or the connection's death.
     *
     * @return the answer: a response payload, a {@link PendingCall.RemoteError}, a {@link Closure},
     *     {@link PendingCall#TIMED_OUT} or {@link PendingCall#INTERRUPTED}; null when the call never ran (the
     *     connection had closed before it was sent, or the server said so when going away), so that it can
     *     safely go out on a new connection
     */
    Object exchange(final FrameKind kind, final int code, final long deadlineNanos, final ByteBuffer... payload) {
        OutboundFrame frame = OutboundFrame.of(kind, code, 0, payload);
        PendingCall call;
        synchronized (sendOrder) {
            // Ids rise in wire order, so a GO_AWAY naming the last id the server ran also says that it ran
            // every lower one.
            long requestId = nextRequestId++;
            frame.requestId = requestId;
            call = new PendingCall(requestId, deadlineNanos, frame, Thread.currentThread());
            pending.put(requestId, call);
            writer.enqueue(frame);
        }
        Closure closed = closure;
        Object outcome;
        if (closed != null) {
            // close() may have swept the map before our put, so the call may be ours to complete. Only a frame
            // that never fully left may be sent again; one that left (another thread's write may have carried it
            // out just before the socket closed) may have run, and may even have been answered.
            pending.remove(call.requestId, call);
            if (!frame.cancelOrAwait()) {
                return null;
            }
            call.complete(closed.outcomeFor(call.requestId));
            outcome = call.await();
            return outcome == PendingCall.RETRY ? null : outcome;
        }
        timeouts.track(call);
        writer.flush();
        outcome = call.await();
        if (outcome == PendingCall.TIMED_OUT || outcome == PendingCall.INTERRUPTED) {
            pending.remove(call.requestId, call);
            withdraw(call);
            // The caller may reuse its buffers once we return, so the writer must be done with them.
            frame.awaitSettled();
        } else if (outcome == PendingCall.RETRY) {
            frame.cancelOrAwait();
            return null;
        }
        return outcome;
    }

    /**
     * Withdraws the request of a call that ended without an answer (deadline or interrupt). A request caught in
     * the middle of its write closes the connection: the caller may not return while the socket still reads its
     * buffers, and a write that outlasts its call means the server is not reading; only closing the socket ends
     * it. The timeout sweep calls this too, because the caller may itself be the thread stuck in that write.
     */
    private void withdraw(final PendingCall call) {
        if (!call.request.cancel() && call.request.isBeingWritten()) {
            close("a request was still being written when its call ended: the server is not reading fast enough",
                    null);
        }
    }

    /** Closes the socket and fails every pending call with {@code reason}; later calls are no-ops. */
    void close(final String reason, final Throwable cause) {
        close(new Closure(reason, cause, Long.MAX_VALUE));
    }

    private void close(final Closure closed) {
        String reason = closed.reason();
        synchronized (this) {
            if (closure != null) {
                return;
            }
            closure = closed;
        }
        // Before any caller is woken: a caller told to resend must find the backoff already updated.
        listener.onClosed(this, healthy);
        try {
            channel.close();
        } catch (IOException ignored) {
            // The socket is being abandoned; a failure to close it changes nothing for the calls.
        }
        writer.close();
        timeouts.stop();
        int failed = 0;
        for (PendingCall call : pending.values()) {
            Object outcome = closed.outcomeFor(call.requestId);
            if (pending.remove(call.requestId, call) && call.complete(outcome) && outcome == closed) {
                failed++;
            }
        }
        if (failed > 0) {
            LOG.info("rpc connection to {} closed ({}); failed {} pending calls", peer, reason, failed);
        } else {
            LOG.debug("rpc connection to {} closed ({})", peer, reason);
        }
    }

    private void readLoop() {
        try {
            while (true) {
                Frame frame = reader.next();
                if (frame == null) {
                    close("the server closed the connection", null);
                    return;
                }
                if (dispatch(frame) && !reader.hasBufferedBytes()) {
                    // The woken caller sits in this carrier's queue: let it run now, before the read that most
                    // likely finds nothing and has to register with the poller first.
                    Thread.yield();
                }
            }
        } catch (RpcProtocolException broken) {
            if (isOpen()) {
                metrics.protocolErrors().inc();
                protocolLog.warn("rpc client: closing the connection to " + peer + " after a protocol error: "
                        + broken.getMessage());
            }
            close("protocol error: " + broken.getMessage(), broken);
        } catch (IOException failure) {
            close("read failed: " + failure, failure);
        } catch (RuntimeException | Error unexpected) {
            // Say, out of direct memory for a payload: without its reader the connection would stay open, and every
            // call sent on it would wait for its deadline.
            close("the reader failed: " + unexpected, unexpected);
            throw unexpected;
        }
    }

    /** Delivers one frame; true when it woke a waiting caller. */
    private boolean dispatch(final Frame frame) throws RpcProtocolException {
        FrameHeader header = frame.header();
        if (header.kind() == FrameKind.GO_AWAY) {
            close(new Closure("the server is going away (" + utf8(frame.payload()) + ")", null,
                    header.requestId()));
            return false;
        }
        Object outcome = switch (header.kind()) {
            case RESPONSE, PONG -> frame.payload();
            case ERROR_RESPONSE -> new PendingCall.RemoteError(header.code(), utf8(frame.payload()));
            default -> throw new RpcProtocolException(ProtocolError.UNEXPECTED_KIND,
                    "a client does not accept " + header.kind() + " frames");
        };
        PendingCall call = pending.get(header.requestId());
        if (call != null) {
            // Checked while the call is still pending, so that closing the connection fails it.
            checkAnswers(header, call.request);
        }
        if (!healthy) {
            healthy = true;
            listener.onHealthy();
        }
        if (call == null || !pending.remove(header.requestId(), call) || !call.complete(outcome)) {
            metrics.lateResponses().inc();
            return false;
        }
        return true;
    }

    /** A PONG answers only a PING, and a (error) response only a request; a response echoes the method id. */
    private static void checkAnswers(final FrameHeader answer, final OutboundFrame request)
            throws RpcProtocolException {
        boolean fits = request.kind == FrameKind.PING ? answer.kind() == FrameKind.PONG
                : answer.kind() == FrameKind.ERROR_RESPONSE
                        || answer.kind() == FrameKind.RESPONSE && answer.code() == request.code;
        if (!fits) {
            throw new RpcProtocolException(ProtocolError.UNEXPECTED_KIND, answer.kind() + " with code "
                    + answer.code() + " cannot answer the " + request.kind + " with code " + request.code
                    + " (request id " + answer.requestId() + ")");
        }
    }

    private static String utf8(final ByteBuffer payload) {
        return StandardCharsets.UTF_8.decode(payload).toString();
    }

}
