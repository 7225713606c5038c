package io.presenter.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.presenter.gateway.tls.SelfSignedCertificates.KeyType;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import io.presenter.gateway.tls.TlsSettings.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings validation, certificate checks at startup, and the generated certificates. */
class TlsSettingsTest {

    @TempDir
    Path dir;

    private final CertificateFiles some = new CertificateFiles(Path.of("a.crt"), Path.of("a.key"));

    @Test
    void defaultsAreSafe() {
        TlsSettings s = TlsSettings.defaults(List.of(some));
        assertThat(s.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(s.engine()).isEqualTo(Engine.OPENSSL);
        assertThat(s.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.ticketKeyFile()).isNull();
        assertThat(s.sessionTimeout()).isEqualTo(Duration.ofHours(24));
    }

    @Test
    void rejectsBadValuesNamingTheKey() {
        TlsSettings s = TlsSettings.defaults(List.of(some));
        assertThatThrownBy(() -> s.withProtocols(List.of("TLSv1.1")))
                .hasMessageContaining("tls.protocols").hasMessageContaining("TLSv1.1");
        assertThatThrownBy(() -> s.withProtocols(List.of())).hasMessageContaining("tls.protocols");
        assertThatThrownBy(() -> s.withHandshakeTimeout(Duration.ZERO)).hasMessageContaining("tls.handshake-timeout");
        assertThatThrownBy(() -> s.withSessionCacheSize(-1)).hasMessageContaining("tls.session-cache-size");
        assertThatThrownBy(() -> TlsSettings.defaults(List.of())).hasMessageContaining("tls.certificates");
        assertThatThrownBy(() -> TlsSettings.defaults(List.of(some, some, some))).hasMessageContaining("one or two");
    }

    @Test
    void fleetTicketKeysNeedTheirKeyFileTheNativeEngineAndABoundedSchedule() {
        TlsSettings s = TlsSettings.defaults(List.of(some));
        Path kek = Path.of("ticket-kek");
        assertThat(s.ticketKeySource()).isEqualTo(TlsSettings.TicketKeySource.FILE);
        assertThat(s.withTicketKeySource(TlsSettings.TicketKeySource.ZOOKEEPER, Duration.ofHours(1), kek)
                .ticketKeyRotation()).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> s.withTicketKeySource(TlsSettings.TicketKeySource.ZOOKEEPER, Duration.ofHours(1), null))
                .hasMessageContaining("tls.ticket-key-encryption-key-file");
        assertThatThrownBy(() -> s.withTicketKeyFile(Path.of("keys"))
                .withTicketKeySource(TlsSettings.TicketKeySource.ZOOKEEPER, Duration.ofHours(1), kek))
                .hasMessageContaining("tls.ticket-key-file");
        assertThatThrownBy(() -> s.withEngine(Engine.JDK)
                .withTicketKeySource(TlsSettings.TicketKeySource.ZOOKEEPER, Duration.ofHours(1), kek))
                .hasMessageContaining("tls.engine");
        assertThatThrownBy(() -> s.withTicketKeySource(TlsSettings.TicketKeySource.ZOOKEEPER, Duration.ofMinutes(1), kek))
                .as("24 h / 1 min = 1,442 keys").hasMessageContaining("256");
        assertThatThrownBy(() -> TlsSettings.TicketKeySource.fromConfig("etcd")).hasMessageContaining("tls.ticket-key-source");
    }

    @Test
    void engineParsing() {
        assertThat(Engine.fromConfig("openssl")).isEqualTo(Engine.OPENSSL);
        assertThat(Engine.fromConfig(" JDK ")).isEqualTo(Engine.JDK);
        assertThatThrownBy(() -> Engine.fromConfig("boringssl")).hasMessageContaining("tls.engine");
    }

    @Test
    void selfSignedCertificateHasNamesAndPrivateKeyFile() throws Exception {
        CertificateFiles files = SelfSignedCertificates.generate(dir, "demo", KeyType.ECDSA_P256,
                List.of("presenter.local", "127.0.0.1"));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.key()))).isEqualTo("rw-------");
        assertThat(Files.readString(files.key())).startsWith("-----BEGIN PRIVATE KEY-----");
        X509Certificate cert;
        try (var in = Files.newInputStream(files.chain())) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        assertThat(cert.getPublicKey().getAlgorithm()).isEqualTo("EC");
        List<String> names = cert.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList();
        assertThat(names).containsExactly("presenter.local", "127.0.0.1");
        cert.checkValidity();
        cert.verify(cert.getPublicKey());
    }

    @Test
    void keyNotMatchingCertificateStopsStartup() throws Exception {
        CertificateFiles a = SelfSignedCertificates.generate(dir, "a", KeyType.ECDSA_P256, List.of("a"));
        CertificateFiles b = SelfSignedCertificates.generate(dir, "b", KeyType.ECDSA_P256, List.of("b"));
        TlsSettings mixed = TlsSettings.defaults(List.of(new CertificateFiles(a.chain(), b.key())));
        assertThatThrownBy(() -> new ServerTlsContextFactory().create(mixed, new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong");
    }

    @Test
    void twoCertificatesOfOneKeyTypeStopStartup() throws Exception {
        CertificateFiles a = SelfSignedCertificates.generate(dir, "a", KeyType.ECDSA_P256, List.of("a"));
        CertificateFiles b = SelfSignedCertificates.generate(dir, "b", KeyType.ECDSA_P256, List.of("b"));
        assertThatThrownBy(() -> new ServerTlsContextFactory().create(
                TlsSettings.defaults(List.of(a, b)), new SimpleMeterRegistry()))
                .hasMessageContaining("two EC certificates");
    }
}
