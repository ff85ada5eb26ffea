package dev.sparq.cli;

import dev.sparq.InvalidInputException;
import dev.sparq.SparqException;
import dev.sparq.plan.BackendUnavailableException;
import picocli.CommandLine;

/**
 * Turns exceptions into one line on stderr and an exit code. Stack traces only for internal errors, and only
 * with SPARQ_DEBUG=1: a user's bad file is not a crash.
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        var err = cl.getErr();
        if (ex instanceof InvalidInputException) {
            err.println("sparq: " + ex.getMessage());
            return ExitCodes.BAD_INPUT;
        }
        if (ex instanceof BackendUnavailableException || ex instanceof UsageException) {
            err.println("sparq: " + ex.getMessage());
            return ExitCodes.USAGE;
        }
        if (ex instanceof SparqException) {
            err.println("sparq: " + ex.getMessage());
        } else {
            err.println("sparq: internal error: " + ex);
        }
        if ("1".equals(System.getenv("SPARQ_DEBUG"))) {
            ex.printStackTrace(err);
        } else {
            err.println("(set SPARQ_DEBUG=1 for the stack trace)");
        }
        return ExitCodes.INTERNAL;
    }
}
