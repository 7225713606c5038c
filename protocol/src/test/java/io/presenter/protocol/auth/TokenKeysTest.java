package io.presenter.protocol.auth;

import static io.presenter.protocol.auth.TestSecrets.keyLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.presenter.protocol.wire.AuthToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TokenKeysTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T06:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void theLastKeyListedSignsUnlessOneIsNamed() throws IOException {
        TokenKeys lastListed = TokenKeys.load(keyFile("# ring", "", keyLine("k1", 1), keyLine("k2", 2)));
        TokenKeys named = TokenKeys.load(keyFile(keyLine("k1", 1), keyLine("k2", 2), "signing = k1"));

        assertThat(lastListed.keyIds()).containsExactlyInAnyOrder("k1", "k2");
        assertThat(lastListed.signingKeyId()).isEqualTo("k2");
        assertThat(named.signingKeyId()).isEqualTo("k1");
    }

    /** Add the new key, make it sign, retire the old one: live tokens verify until the last step. */
    @Test
    void rotatesKeysOnReloadWithoutARestart() throws IOException {
        Path file = keyFile(keyLine("old", 1));
        TokenKeys keys = TokenKeys.load(file);
        TokenSigner signer = new TokenSigner(keys, CLOCK);
        TokenVerifier verifier = new TokenVerifier(keys, CLOCK, Duration.ZERO);
        AuthToken oldToken = signer.sign(1L, 2L, Duration.ofHours(1));

        write(file, keyLine("old", 1), keyLine("new", 2), "signing = new");
        keys.reload();
        AuthToken newToken = signer.sign(1L, 2L, Duration.ofHours(1));
        assertThat(newToken.getKeyId()).isEqualTo("new");
        assertThat(verifier.verify(1L, 2L, oldToken)).isEqualTo(TokenStatus.OK);
        assertThat(verifier.verify(1L, 2L, newToken)).isEqualTo(TokenStatus.OK);

        write(file, keyLine("new", 2));
        keys.reload();
        assertThat(verifier.verify(1L, 2L, oldToken)).isEqualTo(TokenStatus.UNKNOWN_KEY);
        assertThat(verifier.verify(1L, 2L, newToken)).isEqualTo(TokenStatus.OK);
    }

    @Test
    void aBrokenFileOnReloadKeepsTheCurrentKeys() throws IOException {
        Path file = keyFile(keyLine("k1", 1));
        TokenKeys keys = TokenKeys.load(file);

        write(file, "k2 = not base64!");
        assertThatThrownBy(keys::reload).isInstanceOf(KeyFileException.class);

        assertThat(keys.keyIds()).containsExactly("k1");
        assertThat(keys.signingKeyId()).isEqualTo("k1");
    }

    @Test
    void fixedKeysCannotBeReloaded() {
        TokenKeys keys = TokenKeys.of("k1", Map.of("k1", TestSecrets.secret(1)));

        assertThatThrownBy(keys::reload).isInstanceOf(IllegalStateException.class);
    }

    static Stream<Arguments> brokenKeyFiles() {
        String shortSecret = TestSecrets.base64(new byte[16]);
        return Stream.of(
                Arguments.of(new String[] {"k1 " + TestSecrets.base64(TestSecrets.secret(1))},
                        "line 1: expected 'keyId = base64secret' or 'signing = keyId', a key id being 1-32"),
                Arguments.of(new String[] {TestSecrets.base64(TestSecrets.secret(1))}, "line 1: expected 'keyId = "),
                Arguments.of(new String[] {"# fine", keyLine("k/1", 1)}, "line 2: expected 'keyId = "),
                Arguments.of(new String[] {keyLine("k1", 1), "signing = " + TestSecrets.base64(TestSecrets.secret(1))},
                        "line 2: 'signing' must name a key id"),
                Arguments.of(new String[] {keyLine("k1", 1), keyLine("k1", 2)}, "line 2: key 'k1' is listed twice"),
                Arguments.of(new String[] {"k1 = %%%secret%%%"}, "line 1: secret of key 'k1' is not valid base64"),
                Arguments.of(new String[] {"k1 = " + shortSecret},
                        "line 1: secret of key 'k1' has 16 bytes, at least 32 are needed"),
                Arguments.of(new String[] {"# nothing here", ""}, "keys.txt: no keys"),
                Arguments.of(new String[] {keyLine("k1", 1), "signing = k2"},
                        "keys.txt: signing key 'k2' is not listed"),
                Arguments.of(new String[] {"signing = k1", keyLine("k1", 1), "signing = k1"},
                        "line 3: second 'signing' line"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("brokenKeyFiles")
    void rejectsBrokenKeyFilesSayingWhereAndWhy(String[] lines, String message) throws IOException {
        Path file = keyFile(lines);

        assertThatThrownBy(() -> TokenKeys.load(file))
                .isInstanceOf(KeyFileException.class)
                .hasMessageStartingWith(file.toString())
                .hasMessageContaining(message)
                .hasMessageNotContaining("secret%")
                .satisfies(e -> Arrays.stream(lines).flatMap(line -> Arrays.stream(line.split("[\\s=]+")))
                        .filter(word -> word.length() > 32) // longer than any key id: a secret
                        .forEach(secret -> assertThat(e.getMessage()).doesNotContain(secret)));
    }

    private Path keyFile(String... lines) throws IOException {
        Path file = dir.resolve("keys.txt");
        write(file, lines);
        return file;
    }

    private static void write(Path file, String... lines) throws IOException {
        Files.write(file, Arrays.asList(lines));
    }
}
