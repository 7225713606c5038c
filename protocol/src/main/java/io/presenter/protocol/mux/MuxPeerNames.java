package io.presenter.protocol.mux;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who the peer of a mux link must be, beyond holding a certificate from the fleet's CA: its
 * certificate's subject alternative names must include a URI under {@link #prefix()}.
 *
 * <p>URI names (SPIFFE style, {@code spiffe://chat.example/chat-server/chat-7}) rather than DNS
 * names: ring members are addressed by IP and their ids need not be host names, and a URI name
 * cannot be mistaken for a host name by anything that does verify host names. On the presenter
 * the name must be exactly {@code prefix + memberId} of the member it dialled, so one chat
 * server's certificate cannot answer for another ({@link #mismatchForMember}); on the chat server
 * any name under the presenters' prefix will do ({@link #mismatchForAny}). {@link #ANY} (empty
 * prefix) checks nothing beyond the CA.
 */
public record MuxPeerNames(String prefix) {

    /** The URI subject alternative name type of {@link X509Certificate#getSubjectAlternativeNames()}. */
    private static final int URI_NAME = 6;

    /** No name check: any certificate from the CA. */
    public static final MuxPeerNames ANY = new MuxPeerNames("");

    public MuxPeerNames {
        Objects.requireNonNull(prefix, "prefix");
        if (!prefix.isEmpty() && !prefix.contains(":")) {
            throw new IllegalArgumentException("a peer name prefix is a URI prefix such as"
                    + " spiffe://chat.example/chat-server/, not " + prefix);
        }
    }

    public boolean checks() {
        return !prefix.isEmpty();
    }

    /** Why the peer of {@code session} is not chat server {@code memberId}; empty if it is (or nothing is checked). */
    public Optional<String> mismatchForMember(SSLSession session, String memberId) {
        if (!checks()) {
            return Optional.empty();
        }
        String expected = prefix + memberId;
        List<String> names = uriNames(session);
        return names.contains(expected) ? Optional.empty()
                : Optional.of("certificate names " + names + ", not " + expected);
    }

    /** Why the peer of {@code session} is not named under the prefix; empty if it is (or nothing is checked). */
    public Optional<String> mismatchForAny(SSLSession session) {
        if (!checks()) {
            return Optional.empty();
        }
        List<String> names = uriNames(session);
        return names.stream().anyMatch(name -> name.startsWith(prefix) && name.length() > prefix.length())
                ? Optional.empty() : Optional.of("certificate names " + names + ", none under " + prefix);
    }

    /** The URI names of the peer's leaf certificate (none if it has no X.509 certificate). */
    static List<String> uriNames(SSLSession session) {
        List<String> names = new ArrayList<>();
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length > 0 && chain[0] instanceof X509Certificate leaf) {
                Collection<List<?>> alternatives = leaf.getSubjectAlternativeNames();
                if (alternatives != null) {
                    for (List<?> name : alternatives) {
                        if (name.size() == 2 && Integer.valueOf(URI_NAME).equals(name.get(0))) {
                            names.add(String.valueOf(name.get(1)));
                        }
                    }
                }
            }
        } catch (SSLPeerUnverifiedException | CertificateParsingException e) {
            // no usable certificate: no names
        }
        return names;
    }
}
