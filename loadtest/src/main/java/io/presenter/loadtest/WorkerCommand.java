package io.presenter.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code loadtest worker --index K SCENARIO OPTIONS...}: hidden; what a coordinator ({@code --workers})
 * starts. Runs the scenario with the given options (already this worker's share) and prints one
 * machine-readable progress line per second on stdout instead of the human one; the summary goes
 * to stderr and the result to the {@code --out} file the coordinator named.
 */
@Command(name = "worker", hidden = true, mixinStandardHelpOptions = true,
        description = "Internal: one worker process of a --workers run.")
final class WorkerCommand implements Callable<Integer> {

    @Option(names = "--index", required = true, description = "This worker's number, from 0.")
    int index;

    @Parameters(arity = "1..*", description = "The scenario and its options.")
    List<String> scenarioArgs = new ArrayList<>();

    @Override
    public Integer call() {
        CommandLine cli = new CommandLine(new LoadTestCommand());
        CommandLine sub = cli.getSubcommands().get(scenarioArgs.get(0));
        if (sub == null || !(sub.getCommand() instanceof Scenario scenario)) {
            System.err.println("worker: unknown scenario " + scenarioArgs.get(0));
            return 2;
        }
        scenario.workerIndex = index;
        scenario.progressOut = System.out;
        scenario.summaryOut = System.err;
        return cli.execute(scenarioArgs.toArray(String[]::new));
    }
}
