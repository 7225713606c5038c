package io.presenter.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.presenter.gateway.tls.SelfSignedCertificates.KeyType;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ticket key file: format, errors that say what is wrong, generation, failed reloads. */
class TicketKeysTest {

    @TempDir
    Path dir;

    private static String key(int fill) {
        byte[] k = new byte[48];
        java.util.Arrays.fill(k, (byte) fill);
        return Base64.getEncoder().encodeToString(k);
    }

    @Test
    void parsesKeysSkippingCommentsAndBlankLines() {
        TicketKeys keys = TicketKeys.parse(List.of("# rotated 2026-11-22", key(1), "", "  " + key(2) + "  "), "test");
        assertThat(keys.size()).isEqualTo(2);
        assertThat(keys.toString()).contains("2 keys").doesNotContain(key(1)).doesNotContain(key(2));
    }

    @Test
    void wrongLengthNamesLineAndSizes() {
        String short32 = Base64.getEncoder().encodeToString(new byte[32]);
        assertThatThrownBy(() -> TicketKeys.parse(List.of(key(1), short32), "keys.txt"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keys.txt line 2")
                .hasMessageContaining("48 bytes")
                .hasMessageContaining("decodes to 32");
    }

    @Test
    void badBase64NamesLine() {
        assertThatThrownBy(() -> TicketKeys.parse(List.of("not*base64!"), "keys.txt"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keys.txt line 1")
                .hasMessageContaining("not valid base64");
    }

    @Test
    void emptyFileIsRejected() throws Exception {
        Path file = dir.resolve("empty");
        Files.writeString(file, "# only a comment\n\n");
        assertThatThrownBy(() -> TicketKeys.load(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no keys");
    }

    @Test
    void duplicateKeyNamesAreRejected() {
        assertThatThrownBy(() -> TicketKeys.parse(List.of(key(1), key(1)), "keys.txt"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("key name");
    }

    @Test
    void missingFileSaysWhichFile() {
        Path file = dir.resolve("absent");
        assertThatThrownBy(() -> TicketKeys.load(file))
                .hasMessageContaining(file.toString())
                .hasCauseInstanceOf(NoSuchFileException.class);
    }

    @Test
    void generatedFileIsOwnerOnlyAndLoadsBack() throws Exception {
        Path file = dir.resolve("ticket.keys");
        TicketKeys generated = TicketKeys.generate(file, 3);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        TicketKeys loaded = TicketKeys.load(file);
        assertThat(loaded).isEqualTo(generated);
        assertThat(loaded.size()).isEqualTo(3);
        assertThat(TicketKeys.generate(file, 3)).as("fresh randomness").isNotEqualTo(generated);
    }

    @Test
    void rotationHelpersOrderKeys() {
        TicketKeys old = TicketKeys.random(1, new SecureRandom());
        TicketKeys fresh = TicketKeys.random(1, new SecureRandom());
        TicketKeys rotated = old.rotatedIn(fresh);
        assertThat(rotated.size()).isEqualTo(2);
        assertThat(rotated.withoutOldest(1)).isEqualTo(fresh);
        assertThat(rotated.withoutOldest(5).size()).as("one key always stays").isEqualTo(1);
    }

    @Test
    void failedReloadKeepsCurrentKeysAndIsCounted() throws Exception {
        var cert = SelfSignedCertificates.generate(dir, "ec", KeyType.ECDSA_P256, TlsHandshakeTest.NAMES);
        Path file = dir.resolve("ticket.keys");
        TicketKeys original = TicketKeys.generate(file, 1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ServerTls tls = new ServerTlsContextFactory().create(
                TlsSettings.defaults(List.of(cert)).withTicketKeyFile(file), registry)) {
            assertThat(tls.sslContext().sessionContext()).isInstanceOf(OpenSslSessionContext.class);
            TicketKeyRotation rotation = tls.ticketKeys().orElseThrow();

            Files.writeString(file, "garbage\n");
            assertThat(rotation.reload()).isEqualTo(TicketKeyRotation.Result.FAILED);
            assertThat(rotation.current()).isEqualTo(original);
            assertThat(registry.get("presenter.tls.ticket.key.reloads").tag("result", "failed").counter().count())
                    .isEqualTo(1.0);
        }
    }

    @Test
    void malformedKeyFileStopsStartup() throws Exception {
        var cert = SelfSignedCertificates.generate(dir, "ec", KeyType.ECDSA_P256, TlsHandshakeTest.NAMES);
        Path file = dir.resolve("bad.keys");
        Files.writeString(file, Base64.getEncoder().encodeToString(new byte[47]) + "\n");
        assertThatThrownBy(() -> new ServerTlsContextFactory().create(
                TlsSettings.defaults(List.of(cert)).withTicketKeyFile(file), new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("decodes to 47");
    }
}
