package dev.sparq;

/** No available backend can run a node (unknown operator, or an attribute value no kernel implements). */
public class UnsupportedOperatorException extends InvalidInputException {
    private final String opType;

    public UnsupportedOperatorException(String opType, String message) {
        super(message);
        this.opType = opType;
    }

    public String opType() {
        return opType;
    }
}
