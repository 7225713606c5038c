package io.presenter.gateway.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway private CA and the certificates it signs, as PEM files (certificate, PKCS#8 key, CA),
 * the way an operator would hand them to a presenter and a chat server for mux mutual TLS.
 */
public final class TestCertificates {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A certificate and its key on disk. */
    public record Pem(Path certificate, Path privateKey) {}

    private final String name;
    private final KeyPair caKeys;
    private final X509Certificate ca;
    private final Path directory;
    public final Path caFile;

    public TestCertificates(String name, Path directory) throws Exception {
        this.name = name;
        this.directory = directory;
        caKeys = keyPair();
        X500Name subject = new X500Name("CN=" + name);
        X509v3CertificateBuilder builder = builder(subject, subject, caKeys);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        ca = sign(builder, caKeys.getPrivate());
        caFile = write(name + "-ca.pem", ca);
    }

    /** A leaf certificate for {@code commonName} (also as a SAN: 127.0.0.1), signed by this CA. */
    public Pem issue(String commonName) throws Exception {
        return issue(commonName, new String[0]);
    }

    /**
     * A leaf certificate for {@code commonName} that also carries {@code uriNames} as URI subject
     * alternative names (a fleet member's identity, e.g. {@code spiffe://chat.example/chat-server/chat-1}).
     */
    public Pem issue(String commonName, String... uriNames) throws Exception {
        KeyPair keys = keyPair();
        X509v3CertificateBuilder builder = builder(new X500Name("CN=" + name), new X500Name("CN=" + commonName), keys);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        java.util.List<GeneralName> names = new java.util.ArrayList<>(java.util.List.of(
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        for (String uri : uriNames) {
            names.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
        }
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(names.toArray(GeneralName[]::new)));
        X509Certificate certificate = sign(builder, caKeys.getPrivate());
        return new Pem(write(commonName + "-cert.pem", certificate), write(commonName + "-key.pem",
                new JcaPKCS8Generator(keys.getPrivate(), null)));
    }

    private static KeyPair keyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return generator.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    }

    private Path write(String file, Object pemObject) {
        Path path = directory.resolve(file);
        try (Writer writer = Files.newBufferedWriter(path); JcaPEMWriter pem = new JcaPEMWriter(writer)) {
            if (pemObject instanceof org.bouncycastle.util.io.pem.PemObjectGenerator generator) {
                pem.writeObject(generator);
            } else {
                pem.writeObject(pemObject);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return path;
    }
}
