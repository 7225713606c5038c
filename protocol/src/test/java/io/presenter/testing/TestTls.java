package io.presenter.testing;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.io.File;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;

/**
 * TLS contexts for tests: one self-signed ECDSA P-256 certificate (the type the benchmarks use)
 * per JVM, on BoringSSL. Tests fail loudly rather than fall back to the JDK engine, because the
 * production code refuses to run without the native engine too.
 */
public final class TestTls {

    private static final SelfSignedCertificate CERTIFICATE = newCertificate();

    private TestTls() {}

    public static SslContext server() throws SSLException {
        return SslContextBuilder.forServer(CERTIFICATE.key(), CERTIFICATE.cert())
                .sslProvider(nativeProvider())
                .build();
    }

    /** A client that trusts any server: the tests' servers are self-signed. */
    public static SslContext client() throws SSLException {
        return SslContextBuilder.forClient()
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .sslProvider(nativeProvider())
                .build();
    }

    /** The certificate as a PEM file, for code under test that reads files. */
    public static File certificatePem() {
        return CERTIFICATE.certificate();
    }

    /** The private key as a PEM (PKCS#8) file. */
    public static File privateKeyPem() {
        return CERTIFICATE.privateKey();
    }

    private static SslProvider nativeProvider() {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException("BoringSSL unavailable", OpenSsl.unavailabilityCause());
        }
        return SslProvider.OPENSSL;
    }

    @SuppressWarnings("deprecation") // Netty 4.2 deprecates it for production use; fine for tests.
    private static SelfSignedCertificate newCertificate() {
        try {
            return new SelfSignedCertificate("localhost", "EC", 256);
        } catch (CertificateException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
