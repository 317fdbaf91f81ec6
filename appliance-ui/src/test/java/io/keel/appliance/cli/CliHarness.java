package io.keel.appliance.cli;

import io.keel.runtime.time.SystemClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs the CLI in-process with a chosen environment and a scripted terminal, capturing its output. */
final class CliHarness {

    /** What one run produced. */
    record Result(int code, String out, String err) {

        String all() {
            return out + err;
        }
    }

    final Map<String, String> env = new HashMap<>();
    /** Answers the prompt gives, in order; when empty there is "no terminal". */
    final Deque<String> typed = new ArrayDeque<>();
    final List<String> prompts = new ArrayList<>();

    CliHarness(final FakeApi api) {
        if (api != null) {
            env.put("KEEL_URL", api.url());
        }
        env.put("KEEL_PASSWORD", TestData.PASSWORD);
    }

    Result run(final String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = KeelCli.run(args, environment(new PrintWriter(out, true), new PrintWriter(err, true)));
        return new Result(code, out.toString(), err.toString());
    }

    CliEnvironment environment() {
        return environment(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }

    private CliEnvironment environment(final PrintWriter out, final PrintWriter err) {
        return new CliEnvironment(Map.copyOf(env), out, err, SystemClock.INSTANCE, this::prompt, Duration.ofMillis(5));
    }

    private char[] prompt(final String prompt) {
        prompts.add(prompt);
        String answer = typed.poll();
        return answer == null ? null : answer.toCharArray();
    }
}
