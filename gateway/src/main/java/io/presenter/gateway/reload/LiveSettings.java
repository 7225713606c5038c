package io.presenter.gateway.reload;

import io.presenter.gateway.config.ConfigValues;
import io.presenter.gateway.config.PresenterSettings;
import io.presenter.gateway.config.Setting;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The settings a running presenter takes on a reload (SIGHUP, {@code POST /reload}, a watched file
 * changing). Each applies to what starts after the reload: new handshakes get the new
 * certificate, protocols, groups and handshake timeout; new connections the new limits and
 * deadlines; a drain or handover the new knobs. Nothing open is touched.
 *
 * <p>Every other setting shapes something built once at start (the listener, event loops,
 * ZooKeeper session, backend pool, admin endpoint, weight publisher, engine, key file paths): a
 * reload that changes one of them is rejected whole, naming it, and the change takes a restart
 * or, without dropping anyone, a handover. A setting added to the schema is restart-only until it
 * is listed here and actually applied by the daemon.
 */
public final class LiveSettings {

    /** The reloadable settings; the certificate, key and token key files' contents reload too. */
    public static final Set<Setting<?>> RELOADABLE = Set.of(
            PresenterSettings.TLS_CERTIFICATES, PresenterSettings.TLS_PROTOCOLS, PresenterSettings.TLS_GROUPS,
            PresenterSettings.TLS_HANDSHAKE_TIMEOUT, PresenterSettings.TLS_SESSION_CACHE_SIZE,
            PresenterSettings.TLS_SESSION_TIMEOUT,
            PresenterSettings.MAX_CONNECTIONS, PresenterSettings.MAX_CONNECTIONS_PER_IP,
            PresenterSettings.AUTH_TIMEOUT, PresenterSettings.MAX_AUTH_PACKET_BYTES, PresenterSettings.IDLE_TIMEOUT,
            PresenterSettings.DRAIN_QUIET_PERIOD, PresenterSettings.DRAIN_MAX_TIME, PresenterSettings.DRAIN_CLOSE_RATE,
            PresenterSettings.HANDOVER_DRAIN_WINDOW,
            PresenterSettings.MAX_HANDSHAKE_RATE, PresenterSettings.MAX_CONNECTION_RATE_PER_IP);

    private LiveSettings() {}

    /** Keys of the settings whose values differ between the two configs, in schema order. */
    public static List<String> changed(ConfigValues running, ConfigValues candidate) {
        List<String> changed = new ArrayList<>();
        for (Setting<?> setting : PresenterSettings.ALL) {
            if (!Objects.equals(running.get(setting), candidate.get(setting))) {
                changed.add(setting.key());
            }
        }
        return changed;
    }

    /** Of {@code changed} keys, those a reload cannot apply. */
    public static List<String> restartOnly(List<String> changed) {
        List<String> keys = RELOADABLE.stream().map(Setting::key).toList();
        return changed.stream().filter(key -> !keys.contains(key)).toList();
    }
}
