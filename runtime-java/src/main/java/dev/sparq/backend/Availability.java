package dev.sparq.backend;

/** Whether a backend can run on this machine; {@code detail} describes the device or the reason it is absent. */
public record Availability(boolean available, String detail) {
    public static Availability available(String detail) {
        return new Availability(true, detail);
    }

    public static Availability absent(String reason) {
        return new Availability(false, reason);
    }
}
