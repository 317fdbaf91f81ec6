package io.keel.runtime.rpc;

import com.codahale.metrics.MetricRegistry;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.RandomSource;
import io.keel.runtime.time.SystemClock;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings of an {@link RpcClient} or {@link RpcServer}, immutable; build one with {@link #builder()}.
 * Every node of a cluster should use the same {@code maxPayloadBytes}: a frame larger than the receiver's
 * maximum closes the connection.
 *
 * @param maxPayloadBytes largest request or response payload, in bytes
 * @param maxInFlightPerConnection requests a server runs at once for one connection; beyond that it stops
 *     reading from the socket, so TCP pushes back on the client
 * @param maxBufferedRequestBytes request payload bytes a server holds at once over all its connections (read,
 *     being read or running); a connection whose next payload does not fit stops reading until it does. At
 *     least {@code maxPayloadBytes}, so that every valid request fits on its own
 * @param maxConnections connections a server keeps open at once; it closes any connection beyond that at once
 * @param partialFrameTimeout once the first byte of a frame has reached a server, the whole frame must follow
 *     within this time, or the server closes the connection; connections idle between frames stay open
 * @param connectTimeout longest wait for one TCP connect (a call's deadline may cut it shorter)
 * @param reconnectBackoffMin delay after the first failed connection attempt
 * @param reconnectBackoffMax the delay between attempts doubles up to this
 * @param socketSendBufferBytes SO_SNDBUF, or 0 for the operating system's default (keeps Linux autotuning)
 * @param socketReceiveBufferBytes SO_RCVBUF, or 0 for the operating system's default
 * @param tcpNoDelay TCP_NODELAY; on by default because the writer already batches
 * @param directPayloadThresholdBytes received payloads at least this large get a direct buffer, which the
 *     socket fills without a copy; smaller ones get a heap buffer filled from the read buffer
 * @param clock time for deadlines and backoff
 * @param random jitter for the reconnect backoff
 * @param metricRegistry where metrics are registered, or null for a private registry
 */
public record RpcConfig(int maxPayloadBytes, int maxInFlightPerConnection, long maxBufferedRequestBytes,
        int maxConnections, Duration partialFrameTimeout, Duration connectTimeout,
        Duration reconnectBackoffMin, Duration reconnectBackoffMax, int socketSendBufferBytes,
        int socketReceiveBufferBytes, boolean tcpNoDelay, int directPayloadThresholdBytes, Clock clock,
        RandomSource random, MetricRegistry metricRegistry) {

    /** The hard ceiling of {@code maxPayloadBytes}: a Java buffer holds at most about 2 GiB. */
    public static final int PAYLOAD_LIMIT = Integer.MAX_VALUE - 64;

    /** Checks every setting. */
    public RpcConfig {
        if (maxPayloadBytes < 0 || maxPayloadBytes > PAYLOAD_LIMIT) {
            throw new IllegalArgumentException("maxPayloadBytes must be in 0.." + PAYLOAD_LIMIT);
        }
        if (maxInFlightPerConnection < 1) {
            throw new IllegalArgumentException("maxInFlightPerConnection must be at least 1");
        }
        if (maxBufferedRequestBytes < maxPayloadBytes) {
            // A smaller budget could never admit a maximal request: its connection would wait forever.
            throw new IllegalArgumentException("maxBufferedRequestBytes (" + maxBufferedRequestBytes
                    + ") must be at least maxPayloadBytes (" + maxPayloadBytes + ")");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1, was " + maxConnections);
        }
        requirePositive(partialFrameTimeout, "partialFrameTimeout");
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(reconnectBackoffMin, "reconnectBackoffMin");
        requirePositive(reconnectBackoffMax, "reconnectBackoffMax");
        if (reconnectBackoffMax.compareTo(reconnectBackoffMin) < 0) {
            throw new IllegalArgumentException("reconnectBackoffMax must not be below reconnectBackoffMin");
        }
        if (socketSendBufferBytes < 0 || socketReceiveBufferBytes < 0) {
            throw new IllegalArgumentException("socket buffer sizes must be 0 (default) or positive");
        }
        if (directPayloadThresholdBytes < 1) {
            throw new IllegalArgumentException("directPayloadThresholdBytes must be at least 1");
        }
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
    }

    /**
     * The defaults: 16 MiB payloads, 128 requests in flight per connection, 256 MiB of buffered requests and
     * 1024 connections per server, 30 s for a started frame to arrive in full, 50 ms..5 s backoff.
     */
    public static RpcConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder().maxPayloadBytes(maxPayloadBytes).maxInFlightPerConnection(maxInFlightPerConnection)
                .maxBufferedRequestBytes(maxBufferedRequestBytes).maxConnections(maxConnections)
                .partialFrameTimeout(partialFrameTimeout).connectTimeout(connectTimeout)
                .reconnectBackoff(reconnectBackoffMin, reconnectBackoffMax)
                .socketBuffers(socketSendBufferBytes, socketReceiveBufferBytes).tcpNoDelay(tcpNoDelay)
                .directPayloadThresholdBytes(directPayloadThresholdBytes).clock(clock).random(random)
                .metricRegistry(metricRegistry);
    }

    private static void requirePositive(final Duration duration, final String name) {
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, was " + duration);
        }
    }

    /** Collects settings for an {@link RpcConfig}; every setting starts at its default. */
    public static final class Builder {
        private int maxPayloadBytes = 16 * 1024 * 1024;
        private int maxInFlightPerConnection = 128;
        private long maxBufferedRequestBytes = 256L * 1024 * 1024;
        private int maxConnections = 1024;
        private Duration partialFrameTimeout = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration reconnectBackoffMin = Duration.ofMillis(50);
        private Duration reconnectBackoffMax = Duration.ofSeconds(5);
        private int socketSendBufferBytes;
        private int socketReceiveBufferBytes;
        private boolean tcpNoDelay = true;
        private int directPayloadThresholdBytes = 64 * 1024;
        private Clock clock = SystemClock.INSTANCE;
        private RandomSource random = RandomSource.system();
        private MetricRegistry metricRegistry;

        private Builder() {
        }

        /** Largest payload in bytes. */
        public Builder maxPayloadBytes(final int bytes) {
            this.maxPayloadBytes = bytes;
            return this;
        }

        /** Requests a server runs at once for one connection. */
        public Builder maxInFlightPerConnection(final int requests) {
            this.maxInFlightPerConnection = requests;
            return this;
        }

        /** Request payload bytes a server holds at once over all its connections. */
        public Builder maxBufferedRequestBytes(final long bytes) {
            this.maxBufferedRequestBytes = bytes;
            return this;
        }

        /** Connections a server keeps open at once. */
        public Builder maxConnections(final int connections) {
            this.maxConnections = connections;
            return this;
        }

        /** Longest time a server waits for the rest of a frame whose first byte has arrived. */
        public Builder partialFrameTimeout(final Duration timeout) {
            this.partialFrameTimeout = timeout;
            return this;
        }

        /** Longest wait for one TCP connect. */
        public Builder connectTimeout(final Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /** Reconnect delays: {@code min} after the first failure, doubling up to {@code max}, with jitter. */
        public Builder reconnectBackoff(final Duration min, final Duration max) {
            this.reconnectBackoffMin = min;
            this.reconnectBackoffMax = max;
            return this;
        }

        /** SO_SNDBUF and SO_RCVBUF; 0 keeps the operating system's default. */
        public Builder socketBuffers(final int sendBytes, final int receiveBytes) {
            this.socketSendBufferBytes = sendBytes;
            this.socketReceiveBufferBytes = receiveBytes;
            return this;
        }

        /** TCP_NODELAY. */
        public Builder tcpNoDelay(final boolean enabled) {
            this.tcpNoDelay = enabled;
            return this;
        }

        /** Size from which received payloads get a direct buffer. */
        public Builder directPayloadThresholdBytes(final int bytes) {
            this.directPayloadThresholdBytes = bytes;
            return this;
        }

        /** The clock for deadlines and backoff. */
        public Builder clock(final Clock source) {
            this.clock = source;
            return this;
        }

        /** The randomness for backoff jitter. */
        public Builder random(final RandomSource source) {
            this.random = source;
            return this;
        }

        /** Where to register metrics; null for a private registry. */
        public Builder metricRegistry(final MetricRegistry registry) {
            this.metricRegistry = registry;
            return this;
        }

        /** The configuration; throws IllegalArgumentException naming the first invalid setting. */
        public RpcConfig build() {
            return new RpcConfig(maxPayloadBytes, maxInFlightPerConnection, maxBufferedRequestBytes, maxConnections,
                    partialFrameTimeout, connectTimeout, reconnectBackoffMin, reconnectBackoffMax,
                    socketSendBufferBytes, socketReceiveBufferBytes, tcpNoDelay, directPayloadThresholdBytes, clock,
                    random, metricRegistry);
        }
    }
}
