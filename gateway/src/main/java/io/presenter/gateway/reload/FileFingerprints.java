package io.presenter.gateway.reload;

import io.presenter.gateway.config.PresenterConfig;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SHA-256 of the contents of the files a reload reads: the config file, every certificate chain
 * and key, the token key file. Contents, not modification times: a certificate renewed by
 * {@code mv} within the same second, or copied with its old time kept, still counts as changed.
 * A file that cannot be read has the fingerprint {@code "unreadable: <reason>"}, so that it
 * becoming readable again is a change too.
 */
public final class FileFingerprints {

    private FileFingerprints() {}

    /** The files {@code config} reads (and {@code configFile} when not null), in a stable order. */
    public static List<Path> watched(Path configFile, PresenterConfig config) {
        List<Path> files = new ArrayList<>();
        if (configFile != null) {
            files.add(configFile);
        }
        for (CertificateFiles pair : config.tls().certificates()) {
            files.add(pair.chain());
            files.add(pair.key());
        }
        if (config.tokenKeyFile() != null) {
            files.add(config.tokenKeyFile());
        }
        return files;
    }

    public static Map<Path, String> of(List<Path> files) {
        Map<Path, String> fingerprints = new LinkedHashMap<>();
        for (Path file : files) {
            fingerprints.put(file, fingerprint(file));
        }
        return fingerprints;
    }

    private static String fingerprint(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            return "unreadable: " + e;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
