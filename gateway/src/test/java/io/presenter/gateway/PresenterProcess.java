package io.presenter.gateway;

import io.presenter.gateway.daemon.PresenterCommand;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code presenter run} in a JVM of its own (this test's class path), with {@code --set} settings,
 * its output in a file: for tests that need a real process (signals, exit codes, a listener handed
 * from one process to another).
 */
public final class PresenterProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int adminPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PresenterProcess(Process process, Path log, int adminPort) {
        this.process = process;
        this.log = log;
        this.adminPort = adminPort;
    }

    /**
     * Starts {@code presenter run --set <each setting>}, its output to {@code log}, with a small
     * heap and the serial collector (no GC threads competing for a loaded machine's cores).
     */
    public static PresenterProcess start(Path log, int adminPort, List<String> settings) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), PresenterCommand.class.getName(), "run",
                "--set", "admin.port=" + adminPort));
        for (String setting : settings) {
            command.add("--set");
            command.add(setting);
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new PresenterProcess(process, log, adminPort);
    }

    /** A port free on loopback now. */
    public static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public Process process() {
        return process;
    }

    /** What the process has logged so far. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** The HTTP status of {@code GET path} on the admin port, -1 when nothing answers. */
    public int status(String path) {
        try {
            return get(path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    public HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
