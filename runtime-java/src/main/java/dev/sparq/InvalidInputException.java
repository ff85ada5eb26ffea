package dev.sparq;

/** Input the caller gave is unusable: a malformed model or tensor file, a wrong shape or dtype, a missing file.
 * The message is one line naming what is wrong and where; the CLI maps it to exit code 3. */
public class InvalidInputException extends SparqException {
    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
