package io.presenter.loadtest;

import io.presenter.protocol.process.ManifestVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code loadtest}: the load-test harness's command line; each scenario is a subcommand. */
@Command(name = "loadtest", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        subcommands = {ConnectScenario.class, ChatScenario.class, StormScenario.class, SoakScenario.class,
                WorkerCommand.class, CommandLine.HelpCommand.class},
        usageHelpAutoWidth = true,
        description = "Load-test a TLS endpoint that speaks the Presenter client protocol (a presenter, a "
                + "chat server's direct port, or a TCP balancer in front of one), or a presenter's QUIC listener "
                + "(--transport quic). Loopback or lab use: "
                + "every run is bounded in connections, rate and time.",
        footer = {"", "Exit codes: 0 all good; 1 connection failures or chat check failed "
                + "(loss/duplicate/reorder); 2 bad command line."})
public final class LoadTestCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // stop at positional: the hidden worker command passes a scenario's options through untouched
        System.exit(new CommandLine(new LoadTestCommand()).setStopAtPositional(true).execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: connect, chat, storm or soak");
    }
}
