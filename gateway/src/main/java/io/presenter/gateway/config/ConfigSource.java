package io.presenter.gateway.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where a presenter's config comes from: the file, the environment and the {@code --set}
 * overrides. Kept by the running daemon so that a reload reads the file again with the same
 * environment and overrides on top.
 *
 * @param file the YAML file, or null for defaults and overrides only
 */
public record ConfigSource(Path file, Map<String, String> env, List<String> overrides) {

    public ConfigSource {
        env = Map.copyOf(env);
        overrides = List.copyOf(overrides);
    }

    /** Every value, read and checked now. */
    public ConfigValues values() throws ConfigException {
        return ConfigValues.load(PresenterSettings.ALL, file, env, overrides);
    }

    /** The whole config, read and checked now. */
    public PresenterConfig load() throws ConfigException {
        return PresenterConfig.from(values());
    }
}
