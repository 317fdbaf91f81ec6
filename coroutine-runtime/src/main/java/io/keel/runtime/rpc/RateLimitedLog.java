package io.keel.runtime.rpc;

import io.keel.runtime.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * Warnings that a remote peer can trigger at will (protocol errors, connect failures), limited to a few lines
 * per time window so that a flood of bad connections cannot flood the log; the next line that gets through
 * says how many were suppressed.
 */
final class RateLimitedLog {

    private final Logger log;
    private final Clock clock;
    private final int linesPerWindow;
    private final long windowNanos;

    private long windowStart;
    private int linesInWindow;
    private long suppressed;
    private boolean started;

    RateLimitedLog(final Logger log, final Clock clock, final int linesPerWindow, final Duration window) {
        this.log = log;
        this.clock = clock;
        this.linesPerWindow = linesPerWindow;
        this.windowNanos = window.toNanos();
    }

    /** Logs {@code message} at WARN unless this window's lines are used up. */
    void warn(final String message) {
        long suppressedBefore;
        synchronized (this) {
            long now = clock.nanoTime();
            if (!started || now - windowStart >= windowNanos) {
                started = true;
                windowStart = now;
                linesInWindow = 0;
            }
            if (linesInWindow == linesPerWindow) {
                suppressed++;
                return;
            }
            linesInWindow++;
            suppressedBefore = suppressed;
            suppressed = 0;
        }
        if (suppressedBefore == 0) {
            log.warn(message);
        } else {
            log.warn("{} ({} similar lines suppressed before this one)", message, suppressedBefore);
        }
    }
}
