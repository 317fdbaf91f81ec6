package io.keel.runtime.rpc;

import io.keel.runtime.time.Deadline;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted connection of an {@link RpcServer}: reads requests, runs each on its own virtual thread and
 * writes the answers.
 *
 * <p>Relay reading: the connection has no dedicated reader. A thread from the request executor reads one
 * frame; when it is a request, the thread starts a successor reader (again from the executor) and then runs
 * the request itself. The request thus starts on the thread that read it, with no handoff in between, and
 * still has a virtual thread of its own (from the executor, so inside whatever context the executor gives).
 *
 * <p>Back-pressure: at most {@code maxInFlightPerConnection} requests run at once. A reader whose request
 * fills the last slot starts no successor; the request that frees a slot from a full connection starts one.
 * In between nobody reads the socket, so TCP pushes back on the client. A request keeps its slot until its
 * response has reached the socket, so a client that does not read its responses stalls its own requests and
 * nothing piles up in memory.
 *
 * <p>Memory budget: before allocating a request's payload the reader takes its length from the budget all
 * connections of the server share ({@code maxBufferedRequestBytes}). While the budget cannot cover it the
 * reader waits (parked, not spinning), so this connection stops reading and TCP pushes back on its client,
 * while other connections go on as far as the budget lets them. The bytes go back once the request's
 * response is written or abandoned; a frame that is not run (a ping's payload, a request refused after
 * GO_AWAY, a frame cut short by a failure) gives its bytes back at once.
 *
 * <p>Going away: before a graceful close the server tells the client, in a GO_AWAY frame, the highest request
 * id it admitted; from that moment it admits no more, so the client can resend every call above that id on a
 * new connection without running anything twice.
 */
final class ServerConnection {

    private static final Logger LOG = LoggerFactory.getLogger(ServerConnection.class);
    private static final int MAX_ERROR_MESSAGE_CHARS = 1000;

    private final RpcServer server;
    private final SocketChannel channel;
    private final InetSocketAddress peer;
    private final int maxInFlight;
    private final int maxPayloadBytes;
    private final RpcServerMetrics metrics;
    private final RequestBudget budget;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Guards the pair below, so that no request is admitted after GO_AWAY has named the last one. */
    private final Object admission = new Object();
    private boolean goingAway;
    private long lastAdmittedRequestId;
    /**
     * Budget bytes taken for the payload being read, not yet part of a complete frame. Only the current reader
     * touches it; the relay hands it on with a happens-before edge, like the reader itself.
     */
    private long readingReservation;

    ServerConnection(final RpcServer server, final SocketChannel channel, final InetSocketAddress peer,
            final RpcConfig config, final RpcServerMetrics metrics) {
        this.server = server;
        this.channel = channel;
        this.peer = peer;
        this.maxInFlight = config.maxInFlightPerConnection();
        this.maxPayloadBytes = config.maxPayloadBytes();
        this.metrics = metrics;
        this.budget = server.requestBudget();
        this.reader = new FrameReader(channel, config.maxPayloadBytes(), config.directPayloadThresholdBytes(),
                metrics.bytesIn()::inc, this::reservePayload, config.clock());
        this.writer = new FrameWriter(channel, failure -> close("write failed: " + failure),
                metrics.bytesOut()::inc);
    }

    /** Starts reading. */
    void start() {
        startReader();
    }

    /**
     * Tells the client which requests ran (GO_AWAY), waits until that is written or {@code writeDeadline}
     * passes, and closes.
     */
    void goAwayAndClose(final String reason, final Deadline writeDeadline) {
        long lastAdmitted;
        synchronized (admission) {
            goingAway = true;
            lastAdmitted = lastAdmittedRequestId;
        }
        OutboundFrame goAway = OutboundFrame.of(FrameKind.GO_AWAY, 0, lastAdmitted,
                ByteBuffer.wrap(reason.getBytes(StandardCharsets.UTF_8)));
        // Not on this thread: against a client that does not read, the write could block past the deadline.
        writer.sendInBackground(goAway);
        goAway.awaitSettled(writeDeadline);
        close(reason);
    }

    /**
     * When the reader began waiting for the rest of a frame the peer started, in the server clock's
     * nanoseconds, or {@link FrameReader#NO_PARTIAL_FRAME}. Read by the server's sweep.
     */
    long partialFrameSince() {
        return reader.partialFrameSince();
    }

    /**
     * Closes the connection because the peer started a frame {@code waitedNanos} ago and has not finished it.
     * Closing the socket makes the blocked reader fail, and its failure path returns the budget bytes taken for
     * the unfinished payload.
     */
    void closeForPartialFrame(final long waitedNanos, final long timeoutNanos) {
        String reason = "a frame begun " + TimeUnit.NANOSECONDS.toMillis(waitedNanos)
                + " ms ago is still incomplete (partialFrameTimeout " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                + " ms)";
        if (closeOnce(reason)) {
            metrics.partialFrameTimeouts().inc();
            server.protocolWarning("rpc server " + server.address() + ": closing the connection from " + peer
                    + ": " + reason);
        }
    }

    /** Closes the socket; requests still running finish, but their answers go nowhere. */
    void close(final String reason) {
        closeOnce(reason);
    }

    /** {@link #close}, telling whether this call closed the connection (false: it was closed already). */
    private boolean closeOnce(final String reason) {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // The socket is being abandoned either way.
        }
        writer.close();
        // A reader waiting for budget must notice the close and give up its place in the queue.
        budget.wakeAll();
        int running = inFlight.get();
        LOG.debug("rpc server: closed the connection from {} ({}); {} requests were running", peer, reason,
                running);
        server.connectionClosed(this);
        return true;
    }

    private void startReader() {
        try {
            server.requestExecutor().execute(this::readUntilRequest);
        } catch (RuntimeException refused) {
            // Without a reader the connection is dead weight; a client sees it close and reconnects.
            close("the request executor refused a reader: " + refused);
        }
    }

    /** The reader's turn: reads up to the next request, hands the reading on and serves the request. */
    private void readUntilRequest() {
        Frame request = nextRequest();
        if (request != null) {
            serveAndRelay(request);
        }
    }

    /**
     * Reads until a request is admitted, answering pings on the way; null once the connection is closed. An
     * admitted request owns {@code payloadLength} bytes of the budget; every other frame has given them back.
     */
    private Frame nextRequest() {
        try {
            while (!closed.get()) {
                Frame frame = reader.next();
                if (frame == null) {
                    close("the client closed the connection");
                    return null;
                }
                // The payload's bytes belong to the frame now: the reservation ended with the frame complete.
                readingReservation = 0;
                boolean admitted = false;
                try {
                    switch (frame.header().kind()) {
                        case REQUEST -> admitted = admit(frame.header().requestId());
                        case PING -> {
                            // Waiting for the pong keeps a client that pings without reading from growing our
                            // queue.
                            OutboundFrame pong = OutboundFrame.of(FrameKind.PONG, 0, frame.header().requestId());
                            writer.send(pong);
                            pong.awaitSettled();
                        }
                        default -> throw new RpcProtocolException(ProtocolError.UNEXPECTED_KIND,
                                "a server does not accept " + frame.header().kind() + " frames");
                    }
                } finally {
                    if (!admitted) {
                        budget.release(frame.header().payloadLength());
                    }
                }
                if (admitted) {
                    return frame;
                }
            }
        } catch (RpcProtocolException broken) {
            if (!closed.get()) {
                metrics.protocolErrors().inc();
                server.protocolWarning("rpc server " + server.address() + ": closing the connection from " + peer
                        + " after a protocol error: " + broken.getMessage());
            }
            close("protocol error: " + broken.getMessage());
        } catch (IOException failure) {
            close("read failed: " + failure);
        } catch (RuntimeException | Error unexpected) {
            // Say, out of direct memory for a payload: with no reader, the connection would stay open for good.
            close("the reader failed: " + unexpected);
            throw unexpected;
        } finally {
            // A payload cut short (EOF, close, a bad checksum) never becomes a request that would give it back.
            budget.release(readingReservation);
            readingReservation = 0;
        }
        return null;
    }

    /** Called by the reader before it allocates a payload: waits, parked, until the server's budget has room. */
    private void reservePayload(final int length) throws IOException {
        if (budget.tryAcquire(length)) {
            readingReservation = length;
            return;
        }
        // Waiting for budget is the server's doing, not the peer's: it must not count against the peer's frame.
        reader.suspendPartialFrameTimer();
        if (!budget.acquire(length, closed::get)) {
            if (closed.get()) {
                throw new ClosedChannelException();
            }
            throw new InterruptedIOException("interrupted while waiting for " + length + " bytes of request budget");
        }
        readingReservation = length;
    }

    /** False once GO_AWAY is decided: the request is dropped unanswered, and the client resends it elsewhere. */
    private boolean admit(final long requestId) {
        synchronized (admission) {
            if (goingAway) {
                return false;
            }
            lastAdmittedRequestId = Math.max(lastAdmittedRequestId, requestId);
            return true;
        }
    }

    private void serveAndRelay(final Frame request) {
        metrics.requests().inc();
        metrics.inFlight().inc();
        if (inFlight.incrementAndGet() < maxInFlight) {
            startReader();
        }
        try {
            serve(request);
        } finally {
            // Before the slot is freed, so that a reader restarted below finds the bytes available.
            budget.release(request.header().payloadLength());
            metrics.inFlight().dec();
            // Only the request that frees a slot of a full connection restarts reading: exactly one reader.
            if (inFlight.getAndDecrement() == maxInFlight && !closed.get()) {
                startReader();
            }
        }
    }

    private void serve(final Frame request) {
        long start = server.clock().nanoTime();
        FrameHeader header = request.header();
        RpcHandler handler = server.handler(header.code());
        Error error = null;
        OutboundFrame response;
        if (handler == null) {
            response = errorResponse(header, RpcStatus.UNKNOWN_METHOD, "no handler is registered for method "
                    + header.code());
        } else {
            try {
                response = responseOf(header, handler.handle(request.payload()));
            } catch (RpcStatusException refused) {
                response = errorResponse(header, refused.status(), String.valueOf(refused.getMessage()));
            } catch (Exception failed) {
                LOG.debug("rpc server: method {} failed for {}", header.code(), peer, failed);
                response = errorResponse(header, RpcStatus.HANDLER_FAILED, failed.toString());
            } catch (Error fatal) {
                // The caller still deserves an answer; the error goes on up once it is sent.
                error = fatal;
                response = errorResponse(header, RpcStatus.HANDLER_FAILED, fatal.toString());
            }
        }
        writer.send(response);
        response.awaitSettled();
        metrics.handlerLatency().update(server.clock().nanoTime() - start, TimeUnit.NANOSECONDS);
        if (error != null) {
            throw error;
        }
    }

    private OutboundFrame responseOf(final FrameHeader request, final ByteBuffer payload) {
        ByteBuffer body = payload == null ? ByteBuffer.allocate(0) : payload;
        if (body.remaining() > maxPayloadBytes) {
            return errorResponse(request, RpcStatus.RESPONSE_TOO_LARGE, "the response of " + body.remaining()
                    + " bytes exceeds the maximum of " + maxPayloadBytes);
        }
        return OutboundFrame.of(FrameKind.RESPONSE, request.code(), request.requestId(), body);
    }

    private OutboundFrame errorResponse(final FrameHeader request, final int status, final String message) {
        metrics.errorResponses().inc();
        String bounded = message.length() > MAX_ERROR_MESSAGE_CHARS
                ? message.substring(0, MAX_ERROR_MESSAGE_CHARS) + "..." : message;
        // Nodes share one maximum: a longer message would make the client drop the whole connection.
        return OutboundFrame.of(FrameKind.ERROR_RESPONSE, status, request.requestId(),
                ByteBuffer.wrap(utf8Prefix(bounded, maxPayloadBytes)));
    }

    /** The UTF-8 bytes of {@code text}, cut to at most {@code maxBytes} without splitting a character. */
    static byte[] utf8Prefix(final String text, final int maxBytes) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= maxBytes) {
            return bytes;
        }
        int end = maxBytes;
        // bytes[end] is the first byte left out; while it continues a character, that character goes too.
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        return Arrays.copyOf(bytes, end);
    }
}
