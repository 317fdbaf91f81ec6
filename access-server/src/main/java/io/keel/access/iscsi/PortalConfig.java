package io.keel.access.iscsi;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * How a portal listens and what it offers in negotiation (RFC 7143 §13).
 *
 * @param listenAddresses where to accept connections (port 0: an ephemeral port, see
 *        {@link IscsiPortal#boundAddresses})
 * @param portalGroupTag the target portal group tag
 * @param queueDepth the CmdSN window: commands a session may have outstanding
 * @param maxRecvDataSegmentLength the MaxRecvDataSegmentLength we declare
 * @param maxBurstLength the largest MaxBurstLength we accept
 * @param firstBurstLength the largest FirstBurstLength we accept
 * @param maxOutstandingR2T the largest MaxOutstandingR2T we accept
 * @param maxTransferLength the largest ExpectedDataTransferLength of one command
 * @param immediateData what we offer for ImmediateData
 * @param initialR2T what we offer for InitialR2T
 * @param loginTimeout how long a connection may take to reach full feature phase
 * @param nopInInterval how often an idle connection is pinged (zero: never)
 * @param nopInTimeout how long a ping may go unanswered before the connection is dropped
 * @param targetAddress the TargetAddress for SendTargets ({@code host:port}), or {@code null}: the address the
 *        connection arrived on
 * @param maxConnections connections served at once; further ones are closed as they arrive
 */
public record PortalConfig(List<InetSocketAddress> listenAddresses, int portalGroupTag, int queueDepth,
        int maxRecvDataSegmentLength, int maxBurstLength, int firstBurstLength, int maxOutstandingR2T,
        int maxTransferLength, boolean immediateData, boolean initialR2T, Duration loginTimeout,
        Duration nopInInterval, Duration nopInTimeout, String targetAddress, int maxConnections) {

    /** The iSCSI well-known port. */
    public static final int DEFAULT_PORT = 3260;
    private static final int MIN_SEGMENT = 512;
    private static final int MAX_SEGMENT = (1 << 24) - 1;

    /** Checks ranges and freezes the address list. */
    public PortalConfig {
        listenAddresses = List.copyOf(listenAddresses);
        if (listenAddresses.isEmpty()) {
            throw new IllegalArgumentException("no listen address");
        }
        check("portalGroupTag", portalGroupTag, 1, 65535);
        check("queueDepth", queueDepth, 1, 1 << 20);
        check("maxRecvDataSegmentLength", maxRecvDataSegmentLength, MIN_SEGMENT, MAX_SEGMENT);
        check("maxBurstLength", maxBurstLength, MIN_SEGMENT, MAX_SEGMENT);
        check("firstBurstLength", firstBurstLength, MIN_SEGMENT, maxBurstLength);
        check("maxOutstandingR2T", maxOutstandingR2T, 1, 65535);
        check("maxTransferLength", maxTransferLength, MIN_SEGMENT, Integer.MAX_VALUE);
        check("maxConnections", maxConnections, 1, 65536);
        if (loginTimeout.isNegative() || loginTimeout.isZero() || nopInInterval.isNegative()
                || nopInTimeout.isNegative() || nopInTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    /** The defaults: 0.0.0.0:3260, TPGT 1, depth 128, 256 KiB segments, 16 MiB / 256 KiB bursts, 1024 connections. */
    public static PortalConfig defaults() {
        return new PortalConfig(List.of(new InetSocketAddress(DEFAULT_PORT)), 1, 128, 256 * 1024,
                16 * 1024 * 1024 - 1, 256 * 1024, 16, 16 * 1024 * 1024, true, false, Duration.ofSeconds(15),
                Duration.ofSeconds(10), Duration.ofSeconds(120), null, 1024);
    }

    /** These settings listening on {@code addresses}. */
    public PortalConfig withListenAddresses(final List<InetSocketAddress> addresses) {
        return new PortalConfig(addresses, portalGroupTag, queueDepth, maxRecvDataSegmentLength, maxBurstLength,
                firstBurstLength, maxOutstandingR2T, maxTransferLength, immediateData, initialR2T, loginTimeout,
                nopInInterval, nopInTimeout, targetAddress, maxConnections);
    }

    /** These settings with other keep-alive and login timers. */
    public PortalConfig withTimers(final Duration login, final Duration nopInterval, final Duration nopTimeout) {
        return new PortalConfig(listenAddresses, portalGroupTag, queueDepth, maxRecvDataSegmentLength,
                maxBurstLength, firstBurstLength, maxOutstandingR2T, maxTransferLength, immediateData, initialR2T,
                login, nopInterval, nopTimeout, targetAddress, maxConnections);
    }

    /** These settings with other data transfer offers. */
    public PortalConfig withTransfer(final int recvSegment, final int maxBurst, final int firstBurst,
            final boolean immediate, final boolean r2tFirst) {
        return new PortalConfig(listenAddresses, portalGroupTag, queueDepth, recvSegment, maxBurst, firstBurst,
                maxOutstandingR2T, maxTransferLength, immediate, r2tFirst, loginTimeout, nopInInterval, nopInTimeout,
                targetAddress, maxConnections);
    }

    /** These settings serving at most {@code connections} connections at once. */
    public PortalConfig withMaxConnections(final int connections) {
        return new PortalConfig(listenAddresses, portalGroupTag, queueDepth, maxRecvDataSegmentLength,
                maxBurstLength, firstBurstLength, maxOutstandingR2T, maxTransferLength, immediateData, initialR2T,
                loginTimeout, nopInInterval, nopInTimeout, targetAddress, connections);
    }

    private static void check(final String name, final long value, final long min, final long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " " + value + " not in [" + min + ", " + max + "]");
        }
    }
}
