package io.keel.runtime.rpc;

import com.codahale.metrics.Counter;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

/**
 * The client side's metrics, registered under {@code keel.rpc.client.*}. Clients sharing a registry share
 * the metrics, so the numbers are per process, not per peer.
 */
public final class RpcClientMetrics {

    private static final String PREFIX = "keel.rpc.client.";

    private final Counter calls;
    private final Counter remoteErrors;
    private final Counter timeouts;
    private final Counter connectionFailures;
    private final Counter protocolErrors;
    private final Counter lateResponses;
    private final Counter bytesIn;
    private final Counter bytesOut;
    private final Counter inFlight;
    private final Timer latency;

    RpcClientMetrics(final MetricRegistry registry) {
        calls = registry.counter(PREFIX + "calls");
        remoteErrors = registry.counter(PREFIX + "remote_errors");
        timeouts = registry.counter(PREFIX + "timeouts");
        connectionFailures = registry.counter(PREFIX + "connection_failures");
        protocolErrors = registry.counter(PREFIX + "protocol_errors");
        lateResponses = registry.counter(PREFIX + "late_responses");
        bytesIn = registry.counter(PREFIX + "bytes_in");
        bytesOut = registry.counter(PREFIX + "bytes_out");
        inFlight = registry.counter(PREFIX + "in_flight");
        latency = registry.timer(PREFIX + "latency",
                () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
    }

    /** Calls started. */
    public Counter calls() {
        return calls;
    }

    /** Calls answered with an error response. */
    public Counter remoteErrors() {
        return remoteErrors;
    }

    /** Calls whose deadline expired. */
    public Counter timeouts() {
        return timeouts;
    }

    /** Failed connection attempts plus calls failed because their connection died. */
    public Counter connectionFailures() {
        return connectionFailures;
    }

    /** Connections closed because the server broke the protocol. */
    public Counter protocolErrors() {
        return protocolErrors;
    }

    /** Responses that arrived after their call had timed out, and were dropped. */
    public Counter lateResponses() {
        return lateResponses;
    }

    /** Bytes read from sockets. */
    public Counter bytesIn() {
        return bytesIn;
    }

    /** Bytes written to sockets. */
    public Counter bytesOut() {
        return bytesOut;
    }

    /** Calls currently waiting for an answer. */
    public Counter inFlight() {
        return inFlight;
    }

    /** Duration of calls, successful or not, on the configured clock. */
    public Timer latency() {
        return latency;
    }
}
