package io.keel.runtime.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.keel.runtime.time.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Lines per window, the suppressed count on the next line through, and both levels sharing one window. */
class RateLimitedLogTest {

    @Test
    void logsAFewLinesPerWindowAndCountsTheRest() {
        Logger logger = (Logger) LoggerFactory.getLogger("rate-limited-log-test");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
        ManualClock clock = new ManualClock();
        RateLimitedLog log = new RateLimitedLog(logger, clock, 3, Duration.ofSeconds(10));

        for (int i = 0; i < 100; i++) {
            log.warn("bad peer " + i);
        }
        clock.advance(Duration.ofSeconds(10));
        log.warn("after the window");
        log.info("an info line shares the window");
        log.info("a third line");
        log.info("over the limit");
        clock.advance(Duration.ofSeconds(10));
        log.info("next window");

        assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "bad peer 0", "bad peer 1", "bad peer 2",
                "after the window (97 similar lines suppressed before this one)",
                "an info line shares the window", "a third line",
                "next window (1 similar lines suppressed before this one)");
        assertThat(appender.list).extracting(e -> e.getLevel().toString()).containsExactly(
                "WARN", "WARN", "WARN", "WARN", "INFO", "INFO", "INFO");
    }
}
