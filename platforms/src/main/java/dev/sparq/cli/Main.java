package dev.sparq.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sparq}: the command-line front end. Exit codes: 0 ok, 1 internal error, 2 bad usage, 3 bad input. */
// INHERIT gives every subcommand -h/--help and -V/--version (without it `sparq prune --help` was a usage error)
@Command(name = "sparq", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
    versionProvider = Main.Version.class,
    description = "Runs compressed (pruned, INT8) neural networks on the JVM with native speed.",
    subcommands = {DevicesCommand.class, InspectCommand.class, RunCommand.class, ConformanceCommand.class,
        BenchCommand.class, CalibrateCommand.class, PruneCommand.class, FactorizeCommand.class,
        DemoCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 ok, 1 internal error, 2 bad usage, 3 bad input (a model, tensor or file sparq "
        + "cannot use; the message names it)."})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit code instead of exiting (for tests). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new ErrorReporter());
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("sparq: " + ex.getMessage());
            ex.getCommandLine().getErr().println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName()
                + " --help' for usage.");
            return ExitCodes.USAGE;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"sparq " + dev.sparq.Sparq.version() + " (Java " + Runtime.version() + ")"};
        }
    }
}
