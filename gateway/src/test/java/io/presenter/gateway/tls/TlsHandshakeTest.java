package io.presenter.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.presenter.gateway.tls.SelfSignedCertificates.KeyType;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Full handshakes over loopback, BoringSSL on both sides, certificates from {@link SelfSignedCertificates}. */
class TlsHandshakeTest extends AbstractTlsTest {

    static CertificateFiles rsa;

    @BeforeAll
    static void rsaCertificate() throws Exception {
        rsa = SelfSignedCertificates.generate(dir, "rsa", KeyType.RSA_2048, NAMES);
    }

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({"TLSv1.3, ECDSA_P256", "TLSv1.3, RSA_2048", "TLSv1.2, ECDSA_P256", "TLSv1.2, RSA_2048"})
    void fullHandshake(String protocol, KeyType type) throws Exception {
        CertificateFiles served = type == KeyType.ECDSA_P256 ? cert : rsa;
        try (TlsTestServer server = new TlsTestServer(TlsSettings.defaults(List.of(served)))) {
            SslContext context = HandshakeClient.clientContext(served.chain(), List.of(protocol), null);

            HandshakeClient.Result result = client.handshake(context, server.address());

            assertThat(result.protocol()).isEqualTo(protocol);
            assertThat(result.peerKeyAlgorithm()).isEqualTo(type == KeyType.ECDSA_P256 ? "EC" : "RSA");
            assertThat(server.handshakes("full")).isEqualTo(1.0);
            assertThat(server.handshakes("resumed")).isZero();
            assertThat(server.registry.get(TlsMeters.HANDSHAKE_DURATION).tag("result", "full").timer().count())
                    .isEqualTo(1);
            assertThat(((io.netty.handler.ssl.ReferenceCountedOpenSslContext) server.tls.sslContext())
                    .getBioNonApplicationBufferSize()).isEqualTo(ServerTlsContextFactory.BIO_NON_APPLICATION_BUFFER_SIZE);
        }
    }

    @Test
    void oneListenerServesEcdsaAndRsaClients() throws Exception {
        Path bothTrusted = dir.resolve("both.crt");
        Files.writeString(bothTrusted, Files.readString(cert.chain()) + Files.readString(rsa.chain()));
        TlsSettings settings = TlsSettings.defaults(List.of(rsa, cert));
        try (TlsTestServer server = new TlsTestServer(settings)) {
            // TLS 1.2 suites name the certificate type, so a client offering only one kind of
            // suite can only be served by the matching certificate.
            SslContext ecdsaOnly = HandshakeClient.clientContext(bothTrusted, List.of("TLSv1.2"),
                    List.of("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"));
            SslContext rsaOnly = HandshakeClient.clientContext(bothTrusted, List.of("TLSv1.2"),
                    List.of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
            SslContext modern = HandshakeClient.clientContext(bothTrusted, List.of("TLSv1.3"), null);

            assertThat(client.handshake(ecdsaOnly, server.address()).peerKeyAlgorithm()).isEqualTo("EC");
            assertThat(client.handshake(rsaOnly, server.address()).peerKeyAlgorithm()).isEqualTo("RSA");
            HandshakeClient.Result tls13 = client.handshake(modern, server.address());
            assertThat(tls13.protocol()).isEqualTo("TLSv1.3");
            System.out.println("TLS 1.3 client offered every signature scheme and got: " + tls13);
            assertThat(server.handshakes("full")).isEqualTo(3.0);
        }
    }

    @Test
    void keyExchangeGroupsAreTheConfiguredOnes() throws Exception {
        SslContext x25519Only = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(cert.chain().toFile()).protocols("TLSv1.3")
                .option(OpenSslContextOption.GROUPS, new String[] {"X25519"}).build();
        try (TlsTestServer classical = new TlsTestServer(TlsSettings.defaults(List.of(cert))
                .withGroups(List.of("X25519", "P-256")));
             TlsTestServer p256Only = new TlsTestServer(TlsSettings.defaults(List.of(cert)).withGroups(List.of("P-256")))) {

            assertThat(client.handshake(x25519Only, classical.address()).protocol()).isEqualTo("TLSv1.3");
            assertThatThrownBy(() -> client.handshake(x25519Only, p256Only.address()))
                    .as("no group in common").isInstanceOf(AssertionError.class);
        }
    }
}
