package io.keel.access.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.runtime.time.ManualClock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Login timeout and keep-alive on a {@link ManualClock}: the portal's timers follow the injected clock. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClockDrivenTest {

    private final ManualClock clock = new ManualClock();
    private final MetricRegistry metrics = new MetricRegistry();
    private TestTargets targets;
    private IscsiPortal portal;
    private int port;

    @BeforeEach
    void start() {
        targets = new TestTargets();
        PortalConfig config = TestTargets.config().withTimers(Duration.ofSeconds(15), Duration.ofSeconds(10),
                Duration.ofSeconds(30));
        portal = IscsiPortal.start(config, targets, metrics, clock);
        port = portal.boundAddresses().get(0).getPort();
    }

    @AfterEach
    void stop() {
        portal.close();
    }

    private void advanceInSteps(final Duration total, final Duration step) throws InterruptedException {
        for (long done = 0; done < total.toNanos(); done += step.toNanos()) {
            clock.advance(step);
            Thread.sleep(20); // lets the virtual threads the timers started run
        }
    }

    /** Reads what arrived (pings are left unanswered); true once the target closed the connection. */
    private static boolean closedOrQuiet(final RawInitiator initiator) throws Exception {
        try {
            while (true) {
                if (initiator.read() == null) {
                    return true;
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (java.io.IOException | io.keel.access.iscsi.pdu.PduException e) {
            return true;
        }
    }

    @Test
    void loginMustFinishWithinTheLoginTimeout() throws Exception {
        int timersBefore = clock.pendingTimers();
        try (RawInitiator stalled = new RawInitiator(port)) {
            // The connection is counted just before its login timer is set: wait for the timer itself.
            ProtocolTest.waitFor(() -> metrics.counter("iscsi.connections").getCount() == 1
                    && clock.pendingTimers() > timersBefore);
            clock.advance(Duration.ofSeconds(14));
            stalled.socket.setSoTimeout(300);
            assertThat(stalled.closedByTarget()).isFalse();
            clock.advance(Duration.ofSeconds(2));
            stalled.socket.setSoTimeout(5000);
            assertThat(stalled.closedByTarget()).isTrue();
        }
    }

    @Test
    void idleConnectionIsPingedAndDroppedWhenSilent() throws Exception {
        try (RawInitiator silent = new RawInitiator(port)) {
            assertThat(RawInitiator.status(silent.loginFull(TestTargets.OPEN, Map.of()))).isZero();
            advanceInSteps(Duration.ofSeconds(12), Duration.ofSeconds(1));
            Pdu ping = silent.read();
            assertThat(ping.opcode()).isEqualTo(Opcode.NOP_IN);
            assertThat(ping.itt()).isEqualTo(Pdu.RESERVED_TAG);
            // Answering keeps the connection.
            silent.send(Pdu.of(Opcode.NOP_OUT).immediate(true).itt(Pdu.RESERVED_TAG).putInt32(20, ping.int32(20))
                    .putInt32(24, silent.cmdSn));
            advanceInSteps(Duration.ofSeconds(8), Duration.ofSeconds(1));
            assertThat(silent.exchange(silent.nop(new byte[0])).opcode()).isEqualTo(Opcode.NOP_IN);
            // Then it stops answering: within interval + timeout (plus a tick) of virtual time it is dropped.
            silent.socket.setSoTimeout(50);
            boolean closed = false;
            for (int step = 0; step < 40 && !closed; step++) {
                clock.advance(Duration.ofSeconds(2));
                closed = closedOrQuiet(silent);
            }
            assertThat(closed).isTrue();
        }
        ProtocolTest.waitFor(() -> targets.open.events.stream().anyMatch(e -> e.startsWith("nexusLost")));
    }
}
