package io.presenter.gateway.weight;

import io.presenter.testing.Await;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.route53.Route53Client;

/**
 * A real moto server (moto's Route53, speaking the real API) for one test class: started once on a
 * free loopback port, reset before each test, killed after the class. Tests that publish get a
 * client for it and a fresh hosted zone from here, so the zone setup is written once.
 *
 * <p>Register as {@code @RegisterExtension static final MotoServerExtension moto = new MotoServerExtension();}.
 */
public final class MotoServerExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration STOP = Duration.ofSeconds(10);

    private Process process;
    private Path log;
    private URI endpoint;
    private Route53Client client;
    private TestZone zone;

    /** Where the SDK (or a proxy) should send Route53 calls. */
    public URI endpoint() {
        if (endpoint == null) {
            throw new IllegalStateException("moto_server is not running");
        }
        return endpoint;
    }

    /** An SDK client for moto with the production client settings; closed with the extension. */
    public Route53Client client() {
        if (client == null) {
            client = TestZone.client(endpoint());
        }
        return client;
    }

    /** This test's hosted zone, created on first use (moto is reset before every test). */
    public TestZone zone() {
        if (zone == null) {
            zone = TestZone.create(client());
        }
        return zone;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        String executable = findOnPath("moto_server");
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        log = Files.createTempFile("moto-server-", ".log");
        process = new ProcessBuilder(executable, "-H", "127.0.0.1", "-p", Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        endpoint = URI.create("http://127.0.0.1:" + port);
        Await.until(STARTUP, () -> !process.isAlive() || answers(), () -> "moto_server answering on " + endpoint
                + "; its output:\n" + output());
        if (!process.isAlive()) {
            throw new IllegalStateException("moto_server exited with " + process.exitValue() + ":\n" + output());
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        zone = null;
        int status = request("POST", "/moto-api/reset");
        if (status != 200) {
            throw new IllegalStateException("moto reset answered HTTP " + status);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (client != null) {
            client.close();
            client = null;
        }
        if (process == null) {
            return;
        }
        // The PATH entry may be a shim that started python as a child.
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!process.waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS);
        }
        process = null;
        endpoint = null;
        Files.deleteIfExists(log);
    }

    private boolean answers() {
        try {
            return request("GET", "/moto-api/data.json") == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private int request(String method, String path) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) endpoint.resolve(path).toURL().openConnection();
        connection.setConnectTimeout(1000);
        connection.setReadTimeout(10_000);
        connection.setRequestMethod(method);
        try {
            int status = connection.getResponseCode();
            InputStream body = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
            if (body != null) {
                body.readAllBytes();
                body.close();
            }
            return status;
        } finally {
            connection.disconnect();
        }
    }

    private String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** moto_server from PATH, else installed for this user by deploy/dev/install-moto.sh. */
    private static String findOnPath(String name) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                File candidate = new File(dir, name);
                if (candidate.isFile() && candidate.canExecute()) {
                    return candidate.getAbsolutePath();
                }
            }
        }
        return install(name);
    }

    private static String install(String name) {
        File script = new File("../deploy/dev/install-moto.sh");
        try {
            Process installer = new ProcessBuilder("bash", script.getPath())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String installed = new String(installer.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (installer.waitFor() == 0 && new File(installed).canExecute()) {
                return installed;
            }
            throw new IllegalStateException(name + " is not on PATH and " + script + " failed (see its output above)");
        } catch (IOException e) {
            throw new IllegalStateException(name + " is not on PATH and " + script + " could not run; the Route53 "
                    + "weight tests run against moto's Route53 server: pip install 'moto[server]'", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted installing " + name, e);
        }
    }
}
