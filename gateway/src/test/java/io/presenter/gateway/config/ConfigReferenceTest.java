package io.presenter.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The example config in deploy/ lists exactly the real settings, with their real defaults. */
class ConfigReferenceTest {

    private static final Path EXAMPLE = Path.of("..", "deploy", "presenter.example.yaml");

    @Test
    void exampleConfigIsTheGeneratedReference() throws Exception {
        assertThat(Files.readString(EXAMPLE))
                .as("deploy/presenter.example.yaml is stale: regenerate it with "
                        + "`java -jar gateway/target/presenter.jar config-reference > deploy/presenter.example.yaml`")
                .isEqualTo(ConfigReference.yaml(PresenterSettings.ALL));
    }

    @Test
    void exampleConfigNamesEverySettingAndEachDefaultReadsBackAsTheDefault() throws Exception {
        Map<String, Object> keys = new java.util.LinkedHashMap<>();
        ConfigValues.flatten("", ConfigValues.readYaml(EXAMPLE), index(), keys, new java.util.ArrayList<>());
        assertThat(keys.keySet()).containsExactlyElementsOf(PresenterSettings.ALL.stream().map(Setting::key).toList());

        ConfigValues values = ConfigValues.load(PresenterSettings.ALL, EXAMPLE, Map.of(), List.of());
        for (Setting<?> setting : PresenterSettings.ALL) {
            if (setting.defaultValue() != null) {
                assertThat((Object) values.get(setting)).as(setting.key()).isEqualTo(setting.defaultValue());
            }
        }
    }

    private static Map<String, Setting<?>> index() {
        Map<String, Setting<?>> byKey = new java.util.HashMap<>();
        PresenterSettings.ALL.forEach(s -> byKey.put(s.key(), s));
        return byKey;
    }
}
