package io.presenter.protocol.codec.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The committed seed files are exactly what {@link SeedCorpus} builds, so a seed can be read and
 * changed as code rather than as an opaque binary, and stays small.
 *
 * <p>After changing {@link SeedCorpus}, regenerate (surefire runs in {@code protocol/}) and review:
 * {@code mvn -pl protocol test -Dtest=SeedCorpusTest -Dfuzz.seeds.update=true}. Files not made
 * by {@link SeedCorpus} (inputs the fuzzer found) are left alone.
 */
class SeedCorpusTest {

    private static final boolean UPDATE = Boolean.getBoolean("fuzz.seeds.update");
    private static final Path SOURCE_DIR = Path.of("src", "test", "resources", "io", "presenter", "protocol",
            "codec", "fuzz");
    /** Every input runs on each plain test run; keep them small and few. */
    private static final int MAX_SEED_BYTES = 4096;

    static Stream<Arguments> seeds() {
        return Arrays.stream(SeedCorpus.Target.values()).flatMap(target -> target.seeds().entrySet().stream()
                .map(seed -> Arguments.of(target, seed.getKey(), seed.getValue())));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("seeds")
    void committedSeedIsWhatSeedCorpusBuilds(SeedCorpus.Target target, String name, byte[] seed) {
        String file = target.directory() + "/" + name;
        if (UPDATE) {
            write(file, seed);
        }
        assertThat(seed.length).as("size of %s", file).isLessThanOrEqualTo(MAX_SEED_BYTES);
        assertThat(ByteBufUtil.hexDump(read(file))).as("bytes of %s", file).isEqualTo(ByteBufUtil.hexDump(seed));
    }

    @ParameterizedTest
    @MethodSource("targets")
    void everyTargetHasSeeds(SeedCorpus.Target target) {
        Map<String, byte[]> seeds = target.seeds();
        assertThat(seeds).as("seeds of %s", target).hasSizeGreaterThan(10);
    }

    static Stream<SeedCorpus.Target> targets() {
        return Arrays.stream(SeedCorpus.Target.values());
    }

    private static byte[] read(String file) {
        Path source = SOURCE_DIR.resolve(file);
        if (UPDATE) {
            return readSource(source);
        }
        try (InputStream in = SeedCorpusTest.class.getResourceAsStream(file)) {
            assertThat(in).as("seed %s (create it with -Dfuzz.seeds.update=true)", file).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] readSource(Path source) {
        try {
            return Files.readAllBytes(source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(String file, byte[] bytes) {
        try {
            Path target = SOURCE_DIR.resolve(file);
            Files.createDirectories(target.getParent());
            Files.write(target, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
