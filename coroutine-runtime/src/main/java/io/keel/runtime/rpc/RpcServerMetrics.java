package io.keel.runtime.rpc;

import com.codahale.metrics.Counter;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

/**
 * The server side's metrics, registered under {@code keel.rpc.server.*}. Servers sharing a registry share
 * the metrics.
 */
public final class RpcServerMetrics {

    private static final String PREFIX = "keel.rpc.server.";

    private final Counter requests;
    private final Counter errorResponses;
    private final Counter protocolErrors;
    private final Counter connectionsAccepted;
    private final Counter bytesIn;
    private final Counter bytesOut;
    private final Counter inFlight;
    private final Counter connectionsRefused;
    private final Counter bufferedRequestBytes;
    private final Counter partialFrameTimeouts;
    private final Timer handlerLatency;

    RpcServerMetrics(final MetricRegistry registry) {
        requests = registry.counter(PREFIX + "requests");
        errorResponses = registry.counter(PREFIX + "error_responses");
        protocolErrors = registry.counter(PREFIX + "protocol_errors");
        connectionsAccepted = registry.counter(PREFIX + "connections_accepted");
        bytesIn = registry.counter(PREFIX + "bytes_in");
        bytesOut = registry.counter(PREFIX + "bytes_out");
        inFlight = registry.counter(PREFIX + "in_flight");
        connectionsRefused = registry.counter(PREFIX + "connections_refused");
        // A counter used as a gauge, like in_flight: servers sharing a registry then add up instead of clashing.
        bufferedRequestBytes = registry.counter(PREFIX + "buffered_request_bytes");
        partialFrameTimeouts = registry.counter(PREFIX + "partial_frame_timeouts");
        handlerLatency = registry.timer(PREFIX + "handler_latency",
                () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
    }

    /** Requests read (each runs on its own virtual thread). */
    public Counter requests() {
        return requests;
    }

    /** Requests answered with an error response (unknown method, handler failure). */
    public Counter errorResponses() {
        return errorResponses;
    }

    /** Connections closed because the client broke the protocol. */
    public Counter protocolErrors() {
        return protocolErrors;
    }

    /** Connections accepted. */
    public Counter connectionsAccepted() {
        return connectionsAccepted;
    }

    /** Bytes read from sockets. */
    public Counter bytesIn() {
        return bytesIn;
    }

    /** Bytes written to sockets. */
    public Counter bytesOut() {
        return bytesOut;
    }

    /** Requests read whose response has not been written yet. */
    public Counter inFlight() {
        return inFlight;
    }

    /** Connections closed at once because the server already had {@code maxConnections}. */
    public Counter connectionsRefused() {
        return connectionsRefused;
    }

    /**
     * Request payload bytes taken from the servers' budgets ({@code maxBufferedRequestBytes}) and not yet
     * given back: allocated for a request being read or running, until its response is written or abandoned.
     */
    public Counter bufferedRequestBytes() {
        return bufferedRequestBytes;
    }

    /** Connections closed because a frame, once begun, did not arrive in full within partialFrameTimeout. */
    public Counter partialFrameTimeouts() {
        return partialFrameTimeouts;
    }

    /** Time from reading a request to having written its response, on the configured clock. */
    public Timer handlerLatency() {
        return handlerLatency;
    }
}
