package io.presenter.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fixed byte vectors under {@code src/test/resources/golden/}: the wire as it was agreed, so a
 * libthrift upgrade or a codec change that alters a single byte fails a test.
 *
 * <p>To regenerate after a deliberate wire change, run
 * {@code mvn -pl protocol test -Dtest=GoldenFilesTest -Dgolden.update=true}, review the diff of the
 * {@code .bin} files, and commit them (see {@code golden/README.md}). Without the property a
 * mismatch fails.
 */
public final class GoldenFiles {

    private static final boolean UPDATE = Boolean.getBoolean("golden.update");
    private static final Path SOURCE_DIR = Path.of("src", "test", "resources", "golden");

    private GoldenFiles() {}

    /** The golden bytes at {@code name} (e.g. {@code mux/ping-ack.bin}). */
    public static byte[] read(String name) {
        if (UPDATE) {
            // The copy on the test classpath predates this run's update.
            return readSource(name);
        }
        try (InputStream in = GoldenFiles.class.getResourceAsStream("/golden/" + name)) {
            assertThat(in).as("golden file %s (create it with -Dgolden.update=true)", name).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Asserts that {@code actual} are the golden bytes at {@code name}, or with
     * {@code -Dgolden.update=true} makes them so. Only libthrift's own output may be passed here:
     * the codec is compared with {@link #read}, never allowed to define the golden bytes.
     */
    static void assertMatches(String name, byte[] actual) {
        if (UPDATE) {
            write(name, actual);
        }
        assertThat(ByteBufUtil.hexDump(actual)).as("bytes of %s", name)
                .isEqualTo(ByteBufUtil.hexDump(read(name)));
    }

    private static byte[] readSource(String name) {
        try {
            return Files.readAllBytes(SOURCE_DIR.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(String name, byte[] bytes) {
        try {
            Path file = SOURCE_DIR.resolve(name);
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
