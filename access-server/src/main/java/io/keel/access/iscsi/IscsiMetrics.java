package io.keel.access.iscsi;

import com.codahale.metrics.Counter;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.keel.access.scsi.TransferBuffers;
import java.util.concurrent.TimeUnit;

/**
 * The portal's Dropwizard metrics, all under {@code iscsi.}: sessions, connections, I/O, latency,
 * failures, and the read buffers lent out.
 */
public final class IscsiMetrics {

    private final MetricRegistry registry;
    /** Open sessions. */
    public final Counter sessions;
    /** Open connections. */
    public final Counter connections;
    /** SCSI commands received and not yet answered. */
    public final Counter commandsInFlight;
    /** Commands started without a thread of their own (READs and WRITEs the volume took without blocking). */
    public final Meter commandsStarted;
    /**
     * Commands run on the thread that read them (alone in their session: the QD1 path), and how often
     * bytes arriving meanwhile moved reading to another thread.
     */
    public final Meter commandsOnReader;
    public final Meter readerHandOffs;
    /**
     * How often a thread that must not wait (a device's completion thread, a journal's committer) left
     * responses to a thread of its own, because the socket was full or another thread was writing.
     */
    public final Meter sendHandOffs;
    /** Read commands. */
    public final Meter readOps;
    /** Bytes sent as Data-In. */
    public final Meter readBytes;
    /** Write commands. */
    public final Meter writeOps;
    /** Bytes received as immediate data and Data-Out. */
    public final Meter writeBytes;
    /** Time from a SCSI command's arrival to its status. */
    public final Timer commandLatency;
    /** Reject PDUs sent. */
    public final Counter pduRejects;
    /** Commands that waited for their session's read allowance (it holds the medium they read in memory). */
    public final Meter readAllowanceWaits;

    /** Registers the metrics in {@code registry}. */
    public IscsiMetrics(final MetricRegistry registry) {
        this.registry = registry;
        sessions = registry.counter("iscsi.sessions");
        connections = registry.counter("iscsi.connections");
        commandsInFlight = registry.counter("iscsi.commands.in-flight");
        commandsStarted = registry.meter("iscsi.commands.started");
        commandsOnReader = registry.meter("iscsi.commands.on-reader");
        readerHandOffs = registry.meter("iscsi.reader.hand-offs");
        sendHandOffs = registry.meter("iscsi.send.hand-offs");
        readOps = registry.meter("iscsi.read.ops");
        readBytes = registry.meter("iscsi.read.bytes");
        writeOps = registry.meter("iscsi.write.ops");
        writeBytes = registry.meter("iscsi.write.bytes");
        // Lock-free reservoir: the default one takes a lock and a skip-list insert on every command.
        commandLatency = registry.timer("iscsi.command.latency",
                () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
        pduRejects = registry.counter("iscsi.pdu.rejects");
        readAllowanceWaits = registry.meter("iscsi.read-allowance.waits");
        registry.gauge("iscsi.transfer-buffers.lent", () -> () -> TransferBuffers.shared().lent());
    }

    /** Counts a failed login under its reason ({@code iscsi.login.failures.<reason>}). */
    public void loginFailure(final String reason) {
        registry.counter("iscsi.login.failures." + reason).inc();
    }

    /** Records one command's latency. */
    public void latency(final long nanos) {
        commandLatency.update(nanos, TimeUnit.NANOSECONDS);
    }
}
