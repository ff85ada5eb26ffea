package dev.sparq.cli;

/** A command line that parses but makes no sense (e.g. --input without a name for a multi-input model). */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
