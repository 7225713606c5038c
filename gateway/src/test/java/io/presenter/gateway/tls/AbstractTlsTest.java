package io.presenter.gateway.tls;

import io.presenter.gateway.tls.SelfSignedCertificates.KeyType;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the TLS tests share: one ECDSA P-256 certificate per class, generated into a temporary
 * directory, and one handshake client closed after the class.
 */
abstract class AbstractTlsTest {

    static final List<String> NAMES = List.of(HandshakeClient.HOST, "127.0.0.1");

    @TempDir
    static Path dir;

    static CertificateFiles cert;
    static HandshakeClient client;

    @BeforeAll
    static void certificateAndClient() throws Exception {
        cert = SelfSignedCertificates.generate(dir, "ec", KeyType.ECDSA_P256, NAMES);
        client = new HandshakeClient();
    }

    @AfterAll
    static void closeClient() {
        client.close();
    }
}
