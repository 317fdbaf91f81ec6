package io.keel.appliance.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A resource ({@code pool}, {@code volume}, ...) whose verbs are its subcommands; alone it is a usage error. */
abstract class GroupCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Override
    public final Integer call() {
        throw new ParameterException(spec.commandLine(), "missing verb: one of "
                + String.join(", ", spec.subcommands().keySet()));
    }
}
