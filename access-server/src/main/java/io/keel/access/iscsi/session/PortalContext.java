package io.keel.access.iscsi.session;

import io.keel.access.iscsi.IscsiMetrics;
import io.keel.access.iscsi.PortalConfig;
import io.keel.access.iscsi.TargetDirectory;
import io.keel.runtime.log.RateLimitedLog;
import io.keel.runtime.time.Clock;
import java.security.SecureRandom;
import java.util.concurrent.Executor;

/**
 * What every connection of a portal shares: its settings, the targets, metrics, the clock, the
 * session table and the CHAP challenge source.
 *
 * @param config the portal's settings
 * @param directory the targets served
 * @param metrics the portal's metrics
 * @param clock time for timers and latencies
 * @param sessions the session table
 * @param random CHAP challenges
 * @param writeBudget the bytes of solicited write data all sessions may hold at once
 * @param readShare the bytes of the medium all sessions' commands may hold in memory, shared out per session
 * @param readers platform threads that run connections' read loops
 * @param busyReaders hands a connection's reading on when bytes arrive while its reader runs a command;
 *     null where not available (readers then hand on before every command they run)
 * @param refusals where refused requests (rejects, commands refused before they run) are logged: a
 *     few lines per window for the whole portal, since any initiator can send garbage in a loop
 */
public record PortalContext(PortalConfig config, TargetDirectory directory, IscsiMetrics metrics, Clock clock,
        SessionRegistry sessions, SecureRandom random, WriteBudget writeBudget, ReadShare readShare, Executor readers,
        BusyReaderWatch busyReaders, RateLimitedLog refusals) {
}
