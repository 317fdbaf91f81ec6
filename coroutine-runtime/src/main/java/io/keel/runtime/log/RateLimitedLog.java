package io.keel.runtime.log;

import io.keel.runtime.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Lines that a remote peer can trigger at will (protocol errors, refused requests, connect
 * failures), limited to a few per time window so that a flood of bad input cannot flood the log;
 * the next line that gets through says how many were suppressed. Thread-safe.
 */
public final class RateLimitedLog {

    private final Logger log;
    private final Clock clock;
    private final int linesPerWindow;
    private final long windowNanos;

    private long windowStart;
    private int linesInWindow;
    private long suppressed;
    private boolean started;

    /** At most {@code linesPerWindow} lines to {@code log} per {@code window} of {@code clock}'s time. */
    public RateLimitedLog(final Logger log, final Clock clock, final int linesPerWindow, final Duration window) {
        this.log = log;
        this.clock = clock;
        this.linesPerWindow = linesPerWindow;
        this.windowNanos = window.toNanos();
    }

    /** Logs {@code message} at WARN unless this window's lines are used up. */
    public void warn(final String message) {
        emit(Level.WARN, message);
    }

    /** Logs {@code message} at INFO unless this window's lines are used up. */
    public void info(final String message) {
        emit(Level.INFO, message);
    }

    private void emit(final Level level, final String message) {
        long suppressedBefore = admit();
        if (suppressedBefore == 0) {
            log.atLevel(level).log(message);
        } else if (suppressedBefore > 0) {
            log.atLevel(level).log("{} ({} similar lines suppressed before this one)", message, suppressedBefore);
        }
    }

    /** Lines suppressed since the last one logged, or -1 when this one is suppressed too. */
    private synchronized long admit() {
        long now = clock.nanoTime();
        if (!started || now - windowStart >= windowNanos) {
            started = true;
            windowStart = now;
            linesInWindow = 0;
        }
        if (linesInWindow == linesPerWindow) {
            suppressed++;
            return -1;
        }
        linesInWindow++;
        long before = suppressed;
        suppressed = 0;
        return before;
    }
}
