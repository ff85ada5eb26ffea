package dev.sparq.plan;

import dev.sparq.SparqException;

/** A backend was asked for by id but is unknown or cannot run on this machine; the message says why. */
public class BackendUnavailableException extends SparqException {
    public BackendUnavailableException(String message) {
        super(message);
    }
}
