package dev.sparq.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Discovers every {@link Backend} on the class path through {@link ServiceLoader}. */
public final class Backends {
    private Backends() {
    }

    /** All registered backends, available or not, in discovery order. A backend that fails to load is skipped. */
    public static List<Backend> all() {
        List<Backend> list = new ArrayList<>();
        ServiceLoader<Backend> loader = ServiceLoader.load(Backend.class);
        for (var it = loader.stream().iterator(); it.hasNext(); ) {
            var provider = it.next();
            try {
                list.add(provider.get());
            } catch (java.util.ServiceConfigurationError | RuntimeException | LinkageError e) {
                list.add(new BrokenBackend(provider.type().getName(), e));
            }
        }
        return list;
    }

    public static Backend byId(String id) {
        for (Backend b : all()) {
            if (b.id().equals(id)) {
                return b;
            }
        }
        return null;
    }

    /** Stands in for a backend whose provider threw while loading, so {@code devices} can say why. */
    private record BrokenBackend(String className, Throwable error) implements Backend {
        @Override
        public String id() {
            return className;
        }

        @Override
        public String description() {
            return "backend that failed to load";
        }

        @Override
        public Availability availability() {
            return Availability.absent("failed to load: " + error);
        }

        @Override
        public java.util.Optional<Kernel> kernelFor(KernelRequest request) {
            return java.util.Optional.empty();
        }
    }
}
