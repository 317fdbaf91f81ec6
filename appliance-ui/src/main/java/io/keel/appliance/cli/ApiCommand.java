package io.keel.appliance.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A leaf command that talks to the API: it gets the common options, one {@link ApiClient} for
 * the invocation and an {@link Output}, and reports failures by throwing {@link CliException}.
 */
abstract class ApiCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() {
        CliEnvironment env = environment();
        try (ApiClient api = common.connect(env)) {
            run(api, new Output(env.out(), common.json));
        } finally {
            env.out().flush();
        }
        return 0;
    }

    /** Does the command's requests and prints their result. */
    abstract void run(ApiClient api, Output out);

    final CliEnvironment environment() {
        return ((KeelCli) spec.root().userObject()).environment();
    }

    /** A usage error found after parsing: reported like picocli's own, with exit code 1. */
    final ParameterException usage(final String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
