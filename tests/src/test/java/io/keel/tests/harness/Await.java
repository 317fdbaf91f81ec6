package io.keel.tests.harness;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;

/** Polls a condition until it holds or a deadline passes; every wait in these tests is bounded. */
public final class Await {

    private Await() {
    }

    /** Returns the first non-null value {@code probe} gives within {@code timeout}, else fails with {@code what}. */
    public static <T> T until(final String what, final Duration timeout, final Callable<T> probe) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        Exception last = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                T value = probe.call();
                if (value != null) {
                    return value;
                }
            } catch (java.io.IOException e) {
                last = e;
            }
            Thread.sleep(200);
        }
        AssertionError failure = new AssertionError("timed out after " + timeout + " waiting for " + what);
        if (last != null) {
            failure.addSuppressed(last);
        }
        throw failure;
    }
}
