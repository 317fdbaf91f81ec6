package io.keel.appliance.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The admin command line, {@code keel <resource> <verb>}: a client of REST API v1 only, so it works
 * against any node from any machine that can reach one.
 */
@Command(name = "keel",
        description = "Administer a Keel appliance through its REST API (v1).",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
            InventoryCommands.Cluster.class,
            InventoryCommands.Nodes.class,
            InventoryCommands.Disks.class,
            PoolCommands.class,
            VolumeCommands.class,
            InventoryCommands.Extents.class,
            SnapshotCommands.class,
            TargetCommands.class,
        },
        footer = {
            "",
            "Every command takes --url, --user, --password-file, --timeout and --json; see 'keel <command> "
                    + "<verb> --help'.",
            "Sizes: " + Sizes.SYNTAX + ".",
            "Exit codes: 0 done, 1 refused by the API or bad usage, 2 node unreachable or no meta leader.",
        })
public final class KeelCli implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    private boolean help;

    private final CliEnvironment environment;

    private KeelCli(final CliEnvironment environment) {
        this.environment = environment;
    }

    /** Runs the CLI and exits with its exit code. */
    public static void main(final String[] args) {
        System.exit(run(args, CliEnvironment.system()));
    }

    /** Runs the CLI with {@code args} in {@code environment}; returns the exit code. */
    public static int run(final String[] args, final CliEnvironment environment) {
        CommandLine cli = commandLine(environment);
        int code = cli.execute(args);
        environment.out().flush();
        environment.err().flush();
        return code;
    }

    /** The command tree, wired to {@code environment}; exposed so tests can inspect every option. */
    static CommandLine commandLine(final CliEnvironment environment) {
        CommandLine cli = new CommandLine(new KeelCli(environment));
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        // A command's own options first, then the connection options every command shares.
        unsortOptions(cli);
        cli.setOut(environment.out());
        cli.setErr(environment.err());
        cli.setParameterExceptionHandler((failure, args) -> {
            CommandLine where = failure.getCommandLine();
            environment.err().println("keel: " + failure.getMessage());
            environment.err().println("Try '" + where.getCommandSpec().qualifiedName() + " --help' for usage.");
            return CliException.FAILED;
        });
        cli.setExecutionExceptionHandler((failure, where, parsed) -> {
            if (failure instanceof CliException known) {
                environment.err().println("keel: " + known.getMessage());
                return known.exitCode();
            }
            throw failure;
        });
        return cli;
    }

    private static void unsortOptions(final CommandLine command) {
        command.getCommandSpec().usageMessage().sortOptions(false);
        command.getSubcommands().values().forEach(KeelCli::unsortOptions);
    }

    CliEnvironment environment() {
        return environment;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command");
    }
}
