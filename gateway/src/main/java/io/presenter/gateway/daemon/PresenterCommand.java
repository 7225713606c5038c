package io.presenter.gateway.daemon;

import io.presenter.gateway.config.ConfigException;
import io.presenter.gateway.config.ConfigReference;
import io.presenter.gateway.config.ConfigSource;
import io.presenter.gateway.config.PresenterConfig;
import io.presenter.gateway.config.PresenterSettings;
import io.presenter.gateway.lifecycle.LifecycleHookCommand;
import io.presenter.protocol.process.ManifestVersion;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code presenter}: the daemon's command line. */
@Command(name = "presenter", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        usageHelpAutoWidth = true,
        description = "Edge gateway for chat services: terminates clients' TLS, routes each client by its couple "
                + "to the chat server that owns it, and relays it as one stream over a few pooled connections.",
        subcommands = {PresenterCommand.Run.class, PresenterCommand.CheckConfig.class,
                PresenterCommand.Reference.class, LifecycleHookCommand.class})
public final class PresenterCommand {

    /** Exit code of a config that cannot run. */
    static final int CONFIG_ERROR = 2;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new PresenterCommand());
    }

    /** Where the config comes from: the file, then the environment, then {@code --set}. */
    static class ConfigOptions {
        @Option(names = {"-c", "--config"}, description = "YAML config file (see deploy/presenter.example.yaml).")
        Path file;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "Override one setting, e.g. --set listen.port=8443 (repeatable; wins over the file "
                        + "and over PRESENTER_* environment variables).")
        List<String> overrides = new ArrayList<>();

        PresenterConfig load() throws ConfigException {
            return source().load();
        }

        ConfigSource source() {
            return new ConfigSource(file, System.getenv(), overrides);
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
            description = "Run the presenter. SIGHUP or POST /reload reloads certificates, keys and the live "
                    + "settings. SIGTERM or POST /drain drains it; it exits 0 when drained. With handover.socket, "
                    + "a presenter already running there hands its listener over to this one and drains. "
                    + "Ctrl-C (SIGINT) stops it at once.")
    static final class Run implements Callable<Integer> {
        private static final Logger log = LoggerFactory.getLogger(Run.class);

        @CommandLine.Mixin
        ConfigOptions config = new ConfigOptions();

        @Override
        public Integer call() throws Exception {
            ConfigSource source = config.source();
            try {
                source.values();
            } catch (ConfigException e) {
                System.err.println("presenter: " + e.getMessage());
                return CONFIG_ERROR;
            }
            PresenterDaemon daemon = PresenterDaemon.start(source);
            ReloadSignal.install(daemon);
            // SIGTERM (systemd stop, the ASG's termination) drains; the JVM does not begin to shut
            // down, so the process exits 0 when the drain is done. SIGINT (Ctrl-C) stops at once.
            Signal.handle(new Signal("TERM"), signal -> {
                log.info("SIGTERM: draining");
                daemon.drain();
            });
            Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "presenter-stop"));
            daemon.drained().join();
            log.info("drained: closing");
            daemon.close();
            return 0;
        }
    }

    @Command(name = "check-config", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
            description = "Check a config without starting anything, as a reload would: every setting, the "
                    + "certificates (parsed, matching their keys, not expired), the token and ticket key files. "
                    + "Exits 2 listing every problem.")
    static final class CheckConfig implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptions config = new ConfigOptions();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try {
                PresenterConfig loaded = config.load();
                try {
                    PresenterDaemon.check(loaded);
                } catch (Exception e) {
                    spec.commandLine().getErr().println("presenter: " + (e.getMessage() != null ? e.getMessage() : e));
                    return CONFIG_ERROR;
                }
                spec.commandLine().getOut().printf("config OK: presenter %s on %s, ZooKeeper %s%n",
                        loaded.gateway().presenterId(), loaded.gateway().listenAddress(),
                        loaded.zooKeeper().connectString());
                return 0;
            } catch (ConfigException e) {
                spec.commandLine().getErr().println("presenter: " + e.getMessage());
                return CONFIG_ERROR;
            }
        }
    }

    @Command(name = "config-reference", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
            description = "Print every setting with its default and meaning, as a YAML config file.")
    static final class Reference implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().print(ConfigReference.yaml(PresenterSettings.ALL));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
