package io.presenter.protocol.auth.bench;

import io.presenter.protocol.auth.TokenKeyTool;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.auth.TokenStatus;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.wire.AuthToken;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of verifying one token, as a presenter does on every connect: HMAC-SHA256 (the secret
 * verifies) against Ed25519 (a public key verifies), with BouncyCastle's Ed25519 (what the
 * presenter uses, its jar has BouncyCastle) and the JDK's. Run (from the repository root, after
 * {@code mvn -pl protocol -am test-compile}):
 *
 * <pre>
 * mvn -q -pl protocol dependency:build-classpath -Dmdep.outputFile=target/bench.cp
 * java -cp protocol/target/test-classes:protocol/target/classes:$(cat protocol/target/bench.cp) \
 *     org.openjdk.jmh.Main TokenVerifyBenchmark -f 1 -wi 3 -w 1 -i 5 -r 1
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TokenVerifyBenchmark {

    private static final long USER = 42;
    private static final long COUPLE = 4242;

    @Param({"hmac", "ed25519-bc", "ed25519-jdk"})
    String kind;

    private TokenVerifier verifier;
    private AuthToken token;

    @Setup
    public void setUp() throws Exception {
        TokenKeys issuer;
        TokenKeys verifiers;
        if (kind.equals("hmac")) {
            String line = "k1 = " + Base64.getEncoder().encodeToString(new byte[32]);
            issuer = TokenKeys.parse("bench", List.of(line));
            verifiers = issuer;
        } else {
            // Read when each thread makes its Signature, after this.
            System.setProperty("io.presenter.auth.ed25519.provider", kind.equals("ed25519-jdk") ? "jdk" : "auto");
            TokenKeyTool.Ed25519Lines lines = TokenKeyTool.ed25519("e1");
            issuer = TokenKeys.parse("bench issuer", List.of(lines.signer()));
            verifiers = TokenKeys.parse("bench verifier", List.of(lines.verifier()));
        }
        token = new TokenSigner(issuer, Clock.systemUTC()).sign(USER, COUPLE, Duration.ofHours(1));
        verifier = new TokenVerifier(verifiers, Clock.systemUTC(), TokenVerifier.DEFAULT_ALLOWED_SKEW);
        if (verifier.verify(USER, COUPLE, token) != TokenStatus.OK) {
            throw new IllegalStateException("the benchmark's token does not verify");
        }
    }

    @Benchmark
    public TokenStatus verify() {
        return verifier.verify(USER, COUPLE, token);
    }
}
