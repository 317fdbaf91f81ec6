package io.keel.appliance.cli;

import io.keel.runtime.time.Clock;
import io.keel.runtime.time.SystemClock;
import java.io.Console;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.Map;

/**
 * Everything the CLI takes from the process around it: environment variables, the output
 * streams, the clock its retries sleep on and the terminal it prompts for secrets on. Tests pass
 * their own; {@link #system()} is the real one.
 *
 * @param env          environment variables ({@code KEEL_URL}, {@code KEEL_USER}, {@code KEEL_PASSWORD},
 *                     {@code KEEL_HOME})
 * @param out          where results go
 * @param err          where errors go
 * @param clock        the clock retries wait on
 * @param prompt       asks the user for a secret without echoing it
 * @param retryBackoff the wait before the first retry; it doubles on each further retry
 */
public record CliEnvironment(
        Map<String, String> env,
        PrintWriter out,
        PrintWriter err,
        Clock clock,
        SecretPrompt prompt,
        Duration retryBackoff) {

    /** Reads a secret from the user without echo; returns null when there is no terminal to ask on. */
    @FunctionalInterface
    public interface SecretPrompt {

        /** Asks with {@code prompt}; null when nobody can be asked. */
        char[] read(String prompt);
    }

    /** The real process: {@code System.getenv}, stdout/stderr, the system clock and the console. */
    public static CliEnvironment system() {
        Charset charset = System.out.charset();
        return new CliEnvironment(System.getenv(),
                new PrintWriter(new OutputStreamWriter(System.out, charset), true),
                new PrintWriter(new OutputStreamWriter(System.err, System.err.charset()), true),
                SystemClock.INSTANCE,
                CliEnvironment::readFromConsole,
                Duration.ofMillis(250));
    }

    private static char[] readFromConsole(final String prompt) {
        Console console = System.console();
        // Since JDK 22 System.console() exists even when stdin is a pipe; reading a password from a pipe
        // would echo nothing useful and hang scripts, so only a real terminal counts.
        if (console == null || !console.isTerminal()) {
            return null;
        }
        return console.readPassword("%s", prompt);
    }

    /** The variable {@code name}, or null when unset or empty. */
    public String getenv(final String name) {
        String value = env.get(name);
        return value == null || value.isEmpty() ? null : value;
    }
}
