package io.presenter.gateway.tls;

import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Self-signed server certificates for the one-command demo and for tests: an ECDSA P-256 key (what
 * production should serve first: cheapest handshakes) or an RSA 2048 key, a certificate for the
 * given DNS names and IP addresses, written as PEM (certificate world-readable, key 0600, PKCS#8).
 * Not for production: clients must be told to trust it.
 */
public final class SelfSignedCertificates {

    /** Key type of a generated certificate. */
    public enum KeyType {
        ECDSA_P256("EC", "SHA256withECDSA"),
        RSA_2048("RSA", "SHA256withRSA");

        private final String keyAlgorithm;
        private final String signatureAlgorithm;

        KeyType(String keyAlgorithm, String signatureAlgorithm) {
            this.keyAlgorithm = keyAlgorithm;
            this.signatureAlgorithm = signatureAlgorithm;
        }
    }

    private static final Duration VALIDITY = Duration.ofDays(365);

    private SelfSignedCertificates() {}

    /**
     * Generates a key and certificate and writes {@code <dir>/<baseName>.crt} and
     * {@code <dir>/<baseName>.key}.
     *
     * @param names DNS names and/or IP address literals (the first is the subject CN); at least one
     */
    public static CertificateFiles generate(Path dir, String baseName, KeyType type, List<String> names)
            throws IOException {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("at least one DNS name or IP address is needed");
        }
        try {
            SecureRandom random = new SecureRandom();
            KeyPair keyPair = newKeyPair(type, random);
            X509Certificate certificate = sign(keyPair, type, names, random);
            CertificateFiles files = new CertificateFiles(dir.resolve(baseName + ".crt"), dir.resolve(baseName + ".key"));
            writePrivate(files.key(), pem(new JcaPKCS8Generator(keyPair.getPrivate(), null)));
            Files.writeString(files.chain(), pem(certificate), StandardCharsets.US_ASCII);
            return files;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot generate a self-signed " + type + " certificate", e);
        }
    }

    private static KeyPair newKeyPair(KeyType type, SecureRandom random) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(type.keyAlgorithm);
        if (type == KeyType.ECDSA_P256) {
            generator.initialize(new ECGenParameterSpec("secp256r1"), random);
        } else {
            generator.initialize(2048, random);
        }
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(KeyPair keyPair, KeyType type, List<String> names, SecureRandom random)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        Instant now = Instant.now();
        X500Name subject = new X500Name("CN=" + names.get(0).replace(",", "\\,") + ",O=Presenter self-signed");
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                new BigInteger(64, random).setBit(63), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(VALIDITY)), subject, keyPair.getPublic());
        List<GeneralName> altNames = new ArrayList<>();
        for (String name : names) {
            altNames.add(isIpLiteral(name)
                    ? new GeneralName(GeneralName.iPAddress, InetAddress.getByName(name).getHostAddress())
                    : new GeneralName(GeneralName.dNSName, name));
        }
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(altNames.toArray(GeneralName[]::new)));
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(type == KeyType.RSA_2048
                ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment
                : KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder(type.signatureAlgorithm).build(keyPair.getPrivate())));
    }

    /** IPv4 dotted quads and IPv6 literals; never resolves a DNS name. */
    private static boolean isIpLiteral(String name) {
        return name.contains(":") || name.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    private static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }

    /** Creates the file as 0600 before any key byte is written, so it is never readable by others. */
    private static void writePrivate(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING)) {
            w.write(content);
        }
    }
}
