package io.presenter.gateway.daemon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP reloads the config (systemd's {@code ExecReload=/bin/kill -HUP $MAINPID}). Through
 * {@code sun.misc.Signal}, the JDK's only way to handle a signal without native code; it is in
 * {@code jdk.unsupported}, exported on every JDK since 9. The JVM runs the handler on a thread of
 * its own, never an event loop. Without the handler, SIGHUP would stop the JVM: install it
 * before announcing that the process reloads on SIGHUP.
 */
final class ReloadSignal {

    private static final Logger log = LoggerFactory.getLogger(ReloadSignal.class);

    static final Signal HUP = new Signal("HUP");

    private ReloadSignal() {}

    /** Makes SIGHUP reload {@code daemon}; returns the handler it replaces. */
    static SignalHandler install(PresenterDaemon daemon) {
        return Signal.handle(HUP, signal -> {
            log.info("SIGHUP: reloading");
            daemon.reload("sighup");
        });
    }
}
