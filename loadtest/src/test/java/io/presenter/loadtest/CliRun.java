package io.presenter.loadtest;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** Runs the loadtest CLI in-process for tests: exit code, the scenario (its report), stdout, progress, JSON. */
record CliRun(int exitCode, Scenario scenario, String stdout, String progress, String json) {

    static final Duration BOUND = Duration.ofSeconds(90);

    /** The scenario object the CLI will run, so a test can watch it while it runs. */
    static Scenario prepare(CommandLine cli, String subcommand, ByteArrayOutputStream stdout, ByteArrayOutputStream progress) {
        Scenario scenario = (Scenario) cli.getSubcommands().get(subcommand).getCommand();
        scenario.summaryOut = new PrintStream(stdout, true, StandardCharsets.UTF_8);
        scenario.progressOut = new PrintStream(progress, true, StandardCharsets.UTF_8);
        return scenario;
    }

    static CliRun run(Path dir, String target, String subcommand, String... args) throws Exception {
        CommandLine cli = new CommandLine(new LoadTestCommand());
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        Scenario scenario = prepare(cli, subcommand, stdout, progress);
        Path out = dir.resolve(subcommand + "-" + System.nanoTime() + ".json");
        List<String> all = new ArrayList<>(List.of(subcommand, "--target", target, "--out", out.toString(),
                "--event-loops", "1", "--connect-timeout", "PT5S"));
        all.addAll(List.of(args));
        int code = assertTimeoutPreemptively(BOUND, () -> cli.execute(all.toArray(String[]::new)));
        return new CliRun(code, scenario, stdout.toString(StandardCharsets.UTF_8),
                progress.toString(StandardCharsets.UTF_8), Files.exists(out) ? Files.readString(out) : "");
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> section(String name) {
        return (Map<String, Object>) scenario.report.get(name);
    }
}
