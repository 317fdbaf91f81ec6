package io.keel.meta.zookeeper;

import java.time.Duration;
import java.util.Objects;

/**
 * How a node's Curator client talks to ZooKeeper: the namespace (chroot) every path of Keel lives
 * under, session and connection timeouts, and the bounded exponential retry of failed operations.
 *
 * @param namespace the Curator namespace, e.g. {@code keel}; no slashes at either end
 * @param sessionTimeout how long ZooKeeper keeps the session (and its ephemeral nodes, so the
 *     meta leadership) after the client stops talking; the server bounds it to 2..20 ticks
 * @param connectionTimeout how long an operation waits for a connection before failing
 * @param retryBaseSleep the first retry delay
 * @param retryMaxSleep the largest retry delay
 * @param maxRetries how many times an operation is retried on connection loss
 */
public record CuratorSettings(String namespace, Duration sessionTimeout, Duration connectionTimeout,
        Duration retryBaseSleep, Duration retryMaxSleep, int maxRetries) {

    /** Validates the settings. */
    public CuratorSettings {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(connectionTimeout, "connectionTimeout");
        Objects.requireNonNull(retryBaseSleep, "retryBaseSleep");
        Objects.requireNonNull(retryMaxSleep, "retryMaxSleep");
        if (!namespace.matches("[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")) {
            throw new IllegalArgumentException(
                    "namespace must be like 'keel' or 'keel/cluster-1': '" + namespace + "'");
        }
        positive("sessionTimeout", sessionTimeout);
        positive("connectionTimeout", connectionTimeout);
        positive("retryBaseSleep", retryBaseSleep);
        if (retryMaxSleep.compareTo(retryBaseSleep) < 0) {
            throw new IllegalArgumentException("retryMaxSleep " + retryMaxSleep + " is below retryBaseSleep "
                    + retryBaseSleep);
        }
        if (maxRetries < 0 || maxRetries > 29) {
            throw new IllegalArgumentException("maxRetries must be in 0..29: " + maxRetries);
        }
    }

    /** Namespace {@code keel}, 15 s sessions, 10 s connection timeout, retries from 100 ms to 5 s, 10 times. */
    public static CuratorSettings defaults() {
        return new CuratorSettings("keel", Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofMillis(100),
                Duration.ofSeconds(5), 10);
    }

    /** These settings under another namespace. */
    public CuratorSettings withNamespace(final String ns) {
        return new CuratorSettings(ns, sessionTimeout, connectionTimeout, retryBaseSleep, retryMaxSleep, maxRetries);
    }

    /** These settings with other session and connection timeouts. */
    public CuratorSettings withTimeouts(final Duration session, final Duration connection) {
        return new CuratorSettings(namespace, session, connection, retryBaseSleep, retryMaxSleep, maxRetries);
    }

    /** These settings with another retry policy. */
    public CuratorSettings withRetry(final Duration baseSleep, final Duration maxSleep, final int retries) {
        return new CuratorSettings(namespace, sessionTimeout, connectionTimeout, baseSleep, maxSleep, retries);
    }

    private static void positive(final String what, final Duration value) {
        if (value.isNegative() || value.isZero() || value.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " must be positive and below 2^31 ms: " + value);
        }
    }
}
