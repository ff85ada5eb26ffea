package dev.sparq.platform;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * A device profile (platforms/src/main/resources/dev/sparq/profiles/*.properties): which machines it describes
 * (architecture, required ISA features, optional model pattern) and the backend order to prefer there.
 */
public record DeviceProfile(String name, String description, int priority, String arch, List<String> features,
                            Pattern model, List<String> backends) {
    private static final String[] BUNDLED = {"x86-avx512-vnni", "x86-avx2", "jetson-orin-cpu", "raspberry-pi-5",
        "generic"};

    public boolean matches(HostInfo host) {
        return (arch == null || arch.equals(host.arch())) && host.features().containsAll(features)
            && (model == null || model.matcher(host.modelText()).find());
    }

    public static List<DeviceProfile> bundled() {
        List<DeviceProfile> list = new ArrayList<>();
        for (String name : BUNDLED) {
            list.add(load(name));
        }
        list.sort(Comparator.comparingInt(DeviceProfile::priority));
        return list;
    }

    /** The most specific bundled profile matching this host (the generic one always matches). */
    public static DeviceProfile forHost(HostInfo host) {
        return bundled().stream().filter(p -> p.matches(host)).findFirst().orElseThrow();
    }

    static DeviceProfile load(String name) {
        String resource = "/dev/sparq/profiles/" + name + ".properties";
        try (InputStream in = DeviceProfile.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("device profile " + resource + " is missing from the jar");
            }
            Properties p = new Properties();
            p.load(in);
            String features = p.getProperty("match.features", "");
            String model = p.getProperty("match.model");
            return new DeviceProfile(p.getProperty("name", name), p.getProperty("description", name),
                Integer.parseInt(p.getProperty("priority", "100")), p.getProperty("match.arch"),
                features.isBlank() ? List.of() : Arrays.asList(features.split(",")),
                model == null ? null : Pattern.compile(model), Arrays.asList(p.getProperty("backends", "").split(",")));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read device profile " + resource, e);
        }
    }
}
