package io.presenter.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.presenter.gateway.OnePresenterTestBase;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.tls.SelfSignedCertificates.KeyType;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.testing.TestChatClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 16 (memory per idle client): the engine's non-application BIO buffer
 * ({@link ServerTlsContextFactory#BIO_NON_APPLICATION_BUFFER_SIZE}, held by every connection for
 * its whole life) is far smaller than a server's first flight can be. What does not fit must still
 * go out, over more wrap calls: here a certificate chain of four certificates makes the flight
 * several times the buffer (and larger than Netty's 2 KiB default as well), and a real client over
 * a real socket must complete the handshake, receive the whole chain and get its auth packet
 * answered by the presenter.
 */
class LargeServerFlightTest extends OnePresenterTestBase {

    /** Netty's own default ({@code io.netty.handler.ssl.openssl.bioNonApplicationBufferSize}). */
    private static final int NETTY_DEFAULT_BUFFER = 2048;
    private static final int EXTRA_CERTIFICATES = 3;
    private static final long COUPLE = 1_700;

    @TempDir
    static Path dir;

    static CertificateFiles longChain;
    static int chainBytes;

    /** An ECDSA leaf followed by RSA certificates: BoringSSL sends the chain file as it is. */
    @BeforeAll
    static void chainLongerThanTheBuffer() throws Exception {
        CertificateFiles leaf = SelfSignedCertificates.generate(dir, "leaf", KeyType.ECDSA_P256, AbstractTlsTest.NAMES);
        StringBuilder pem = new StringBuilder(Files.readString(leaf.chain()));
        for (int i = 0; i < EXTRA_CERTIFICATES; i++) {
            CertificateFiles extra = SelfSignedCertificates.generate(dir, "extra-" + i, KeyType.RSA_2048,
                    AbstractTlsTest.NAMES);
            pem.append(Files.readString(extra.chain()));
        }
        Path chain = dir.resolve("long-chain.crt");
        Files.writeString(chain, pem);
        longChain = new CertificateFiles(chain, leaf.key());
        for (X509Certificate certificate : PemFiles.readChain(chain)) {
            chainBytes += certificate.getEncoded().length;
        }
    }

    @BeforeEach
    @Override
    protected void startOnePresenter() throws Exception {
        cluster = PresenterCluster.withOneChatServer();
        ServerTls tls = cluster.newServerTls(TlsSettings.defaults(List.of(longChain)));
        presenter = cluster.startPresenter(PresenterCluster.settings(), cluster.directory, tls);
    }

    /**
     * The context every presenter builds (at start, at a certificate reload, in check-config) holds
     * the small buffer, not Netty's default: without it each idle connection carries more native
     * memory.
     */
    @Test
    void theServerContextUsesTheSmallNonApplicationBuffer() throws Exception {
        SslContext context = new ServerTlsContextFactory().newContext(TlsSettings.defaults(List.of(longChain)));
        try {
            assertThat(((ReferenceCountedOpenSslContext) context).getBioNonApplicationBufferSize())
                    .isEqualTo(ServerTlsContextFactory.BIO_NON_APPLICATION_BUFFER_SIZE)
                    .isLessThan(NETTY_DEFAULT_BUFFER);
        } finally {
            io.netty.util.ReferenceCountUtil.release(context);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void aServerFlightLargerThanTheBufferCompletesAndTheFirstPacketIsAnswered(String protocol) throws Exception {
        assertThat(chainBytes).as("certificate bytes in the server's first flight")
                .isGreaterThan(NETTY_DEFAULT_BUFFER)
                .isGreaterThan(2 * ServerTlsContextFactory.BIO_NON_APPLICATION_BUFFER_SIZE);
        SslContext clientTls = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).protocols(protocol).build();

        TestChatClient client = cluster.connect(presenter, clientTls);
        AuthStatus answer = client.authenticate(cluster.auth(2 * COUPLE, COUPLE));

        assertThat(answer).as("the presenter's answer to the client's first packet").isEqualTo(AuthStatus.OK);
        SSLSession session = client.channel().pipeline().get(SslHandler.class).engine().getSession();
        assertThat(session.getProtocol()).isEqualTo(protocol);
        assertThat(session.getPeerCertificates()).as("the whole chain arrived").hasSize(1 + EXTRA_CERTIFICATES);
    }
}
