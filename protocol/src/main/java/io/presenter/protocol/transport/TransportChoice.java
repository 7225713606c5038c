package io.presenter.protocol.transport;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The socket transport an operator asks for ({@code listen.transport}). {@link #AUTO} is native
 * epoll where its library loads and NIO elsewhere; the others are taken as asked, and a process
 * whose platform lacks the one asked for refuses to start ({@link Transport#of}).
 */
public enum TransportChoice {
    AUTO("auto"),
    EPOLL("epoll"),
    IO_URING("io_uring"),
    NIO("nio");

    private final String configValue;

    TransportChoice(String configValue) {
        this.configValue = configValue;
    }

    /** The value in config files and on the command line. */
    public String configValue() {
        return configValue;
    }

    public static TransportChoice fromConfig(String value) {
        for (TransportChoice choice : values()) {
            if (choice.configValue.equals(value)) {
                return choice;
            }
        }
        throw new IllegalArgumentException("unknown transport '" + value + "', expected one of "
                + Arrays.stream(values()).map(TransportChoice::configValue).collect(Collectors.joining(", ")));
    }
}
