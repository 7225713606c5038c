package io.presenter.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Session resumption over loopback, BoringSSL on both sides. The server session cache is off in
 * these tests (except where said), so a resumption can only come from a session ticket. Every
 * client context caches sessions under one logical name, so two test servers look like two
 * presenters behind one DNS name.
 */
class TlsResumptionTest extends AbstractTlsTest {


    private static TlsSettings settings(String protocol, Path ticketKeys) {
        return TlsSettings.defaults(List.of(cert)).withProtocols(List.of(protocol))
                .withTicketKeyFile(ticketKeys).withSessionCacheSize(0);
    }

    private static SslContext newClient(String protocol) throws Exception {
        return HandshakeClient.clientContext(cert.chain(), List.of(protocol), null);
    }

    /** One client: a full handshake with {@code a}, then back to {@code a}, then to {@code b}. */
    private static void returnToAThenGoToB(String protocol, TlsTestServer a, TlsTestServer b) throws Exception {
        SslContext ctx = newClient(protocol);
        client.handshake(ctx, a.address());
        client.handshake(ctx, a.address());
        client.handshake(ctx, b.address());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void sharedKeyFileResumesOnAnyPresenter(String protocol) throws Exception {
        Path keys = dir.resolve("shared-" + protocol);
        TicketKeys.generate(keys, 1);
        try (TlsTestServer a = new TlsTestServer(settings(protocol, keys));
                TlsTestServer b = new TlsTestServer(settings(protocol, keys))) {
            returnToAThenGoToB(protocol, a, b);

            assertThat(a.handshakes("full")).isEqualTo(1.0);
            assertThat(a.handshakes("resumed")).isEqualTo(1.0);
            assertThat(b.handshakes("resumed")).as("the other presenter decrypts the ticket").isEqualTo(1.0);
            assertThat(b.handshakes("full")).isZero();
            assertThat(a.registry.get(TlsMeters.HANDSHAKE_DURATION).tag("result", "resumed").timer().count())
                    .isEqualTo(1);
        }
    }

    /**
     * Without a key file, tickets still work but with BoringSSL's own process-local keys: the same
     * presenter resumes, another presenter cannot (full handshake).
     */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void withoutKeyFileTicketsAreProcessLocal(String protocol) throws Exception {
        try (TlsTestServer a = new TlsTestServer(settings(protocol, null));
                TlsTestServer b = new TlsTestServer(settings(protocol, null))) {
            returnToAThenGoToB(protocol, a, b);

            assertThat(a.handshakes("full")).isEqualTo(1.0);
            assertThat(a.handshakes("resumed")).isEqualTo(1.0);
            assertThat(b.handshakes("full")).as("another presenter has other keys").isEqualTo(1.0);
            assertThat(b.handshakes("resumed")).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void keyRotationWithoutRestart(String protocol) throws Exception {
        Path file = dir.resolve("rotating-" + protocol);
        TicketKeys old = TicketKeys.generate(file, 1);
        try (TlsTestServer server = new TlsTestServer(settings(protocol, file))) {
            TicketKeyRotation rotation = server.tls.ticketKeys().orElseThrow();
            SslContext early = newClient(protocol);
            SslContext alsoEarly = newClient(protocol);
            client.handshake(early, server.address());
            client.handshake(alsoEarly, server.address());

            // Rotate: a new first key, the old one kept for decryption.
            TicketKeys fresh = TicketKeys.random(1, new SecureRandom());
            old.rotatedIn(fresh).write(file);
            assertThat(rotation.reload()).isEqualTo(TicketKeyRotation.Result.CHANGED);
            assertThat(rotation.reload()).isEqualTo(TicketKeyRotation.Result.UNCHANGED);

            client.handshake(early, server.address());
            assertThat(server.handshakes("resumed")).as("old-key ticket still resumes").isEqualTo(1.0);

            SslContext late = newClient(protocol);
            client.handshake(late, server.address());
            assertThat(server.handshakes("full")).isEqualTo(3.0);

            // Retire the old key.
            fresh.write(file);
            assertThat(rotation.reload()).isEqualTo(TicketKeyRotation.Result.CHANGED);

            client.handshake(late, server.address());
            assertThat(server.handshakes("resumed")).as("the new key issued the late ticket").isEqualTo(2.0);

            client.handshake(alsoEarly, server.address());
            assertThat(server.handshakes("full")).as("old-key ticket no longer resumes").isEqualTo(4.0);
            assertThat(server.handshakes("resumed")).isEqualTo(2.0);
        }
    }

    /**
     * Only the first key of a file encrypts; the others only decrypt. This is what makes the
     * two-step rotation in TLS.md safe: a key added last is decrypt-only until it moves first.
     */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void onlyTheFirstKeyEncryptsTheOthersOnlyDecrypt(String protocol) throws Exception {
        TicketKeys first = TicketKeys.random(1, new SecureRandom());
        TicketKeys added = TicketKeys.random(1, new SecureRandom());
        Path promoted = dir.resolve("promoted-" + protocol);
        added.write(promoted);
        Path addedLast = dir.resolve("added-last-" + protocol);
        added.rotatedIn(first).write(addedLast);  // first, then added
        try (TlsTestServer encryptsWithAdded = new TlsTestServer(settings(protocol, promoted));
                TlsTestServer addedOnlyDecrypts = new TlsTestServer(settings(protocol, addedLast))) {
            SslContext ticketUnderAdded = newClient(protocol);
            client.handshake(ticketUnderAdded, encryptsWithAdded.address());
            client.handshake(ticketUnderAdded, addedOnlyDecrypts.address());
            assertThat(addedOnlyDecrypts.handshakes("resumed")).as("a key that is not first decrypts")
                    .isEqualTo(1.0);

            SslContext ticketFromSecondServer = newClient(protocol);
            client.handshake(ticketFromSecondServer, addedOnlyDecrypts.address());
            client.handshake(ticketFromSecondServer, encryptsWithAdded.address());
            assertThat(encryptsWithAdded.handshakes("full"))
                    .as("the second server encrypted under its first key, not the added one").isEqualTo(2.0);
            assertThat(encryptsWithAdded.handshakes("resumed")).isZero();
        }
    }

    /** TLS 1.2 clients that do not use tickets resume from the server session cache (on by default). */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2"})
    void sessionCacheResumesTls12WithoutTickets(String protocol) throws Exception {
        TlsSettings settings = TlsSettings.defaults(List.of(cert)).withProtocols(List.of(protocol));
        try (TlsTestServer server = new TlsTestServer(settings)) {
            // Netty's default client: no TLS 1.2 ticket extension.
            SslContext ctx = io.netty.handler.ssl.SslContextBuilder.forClient()
                    .sslProvider(io.netty.handler.ssl.SslProvider.OPENSSL)
                    .trustManager(cert.chain().toFile()).protocols(protocol).build();

            client.handshake(ctx, server.address());
            client.handshake(ctx, server.address());

            assertThat(server.handshakes("full")).isEqualTo(1.0);
            assertThat(server.handshakes("resumed")).isEqualTo(1.0);
        }
    }
}
