package io.presenter.gateway.tls;

import io.presenter.gateway.tls.SelfSignedCertificates.KeyType;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the TLS measurement mains handshake with: an ECDSA P-256 and an RSA 2048 certificate and a
 * ticket key file (two keys), in a fresh temporary directory.
 */
record MeasurementFiles(CertificateFiles ec, CertificateFiles rsa, Path ticketKeys) {

    static MeasurementFiles create(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Path keys = dir.resolve("ticket.keys");
        TicketKeys.generate(keys, 2);
        return new MeasurementFiles(
                SelfSignedCertificates.generate(dir, "ec", KeyType.ECDSA_P256, AbstractTlsTest.NAMES),
                SelfSignedCertificates.generate(dir, "rsa", KeyType.RSA_2048, AbstractTlsTest.NAMES), keys);
    }

    /** Both certificates, ECDSA first. */
    List<CertificateFiles> certificates() {
        return List.of(ec, rsa);
    }

    String kind(CertificateFiles cert) {
        return cert == ec ? "ECDSA P-256" : "RSA 2048";
    }
}
