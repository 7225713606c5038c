package io.presenter.ring;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.StringReader;
import java.util.Locale;
import java.util.Properties;

/**
 * Reads and writes the data of a member node: {@link Properties} text an operator can read and
 * edit in {@code zkCli}. The layout is documented in the package documentation.
 *
 * <p>The member id is not in the data: the node name is the only place it lives, so the two can
 * never disagree.
 */
final class MemberData {

    static final String FORMAT = "1";

    private static final String FORMAT_KEY = "format";
    private static final String HOST_KEY = "host";
    private static final String MUX_PORT_KEY = "muxPort";
    private static final String DIRECT_PORT_KEY = "directPort";
    private static final String WEIGHT_KEY = "weight";
    private static final String STATE_KEY = "state";

    /** Member nodes are a few lines; anything bigger is not one of ours. */
    static final int MAX_BYTES = 4096;

    private MemberData() {
    }

    /** Writes the fields in a fixed order, so that equal members give byte-identical nodes. */
    static byte[] encode(RingMember member) {
        // No escaping needed: RingMember admits only printable ASCII without '\' in its host.
        String text = FORMAT_KEY + '=' + FORMAT + '\n'
                + HOST_KEY + '=' + member.host() + '\n'
                + MUX_PORT_KEY + '=' + member.muxPort() + '\n'
                + DIRECT_PORT_KEY + '=' + member.directPort() + '\n'
                + WEIGHT_KEY + '=' + member.weight() + '\n'
                + STATE_KEY + '=' + member.state().name() + '\n';
        return text.getBytes(UTF_8);
    }

    /**
     * Reads the data of the member node named {@code id}. Unknown keys and comment lines are
     * ignored, so a later format 1 writer may add keys without breaking older readers.
     *
     * @throws MalformedMemberException if the data is not a valid format 1 member
     */
    static RingMember decode(String id, byte[] data) throws MalformedMemberException {
        if (data == null || data.length == 0) {
            throw new MalformedMemberException("empty", "member node has no data");
        }
        if (data.length > MAX_BYTES) {
            throw new MalformedMemberException("too-large",
                    "member node has " + data.length + " bytes, more than " + MAX_BYTES);
        }
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(new String(data, UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            // IllegalArgumentException: a malformed \\uXXXX escape.
            throw new MalformedMemberException("unreadable", "not properties text: " + e.getMessage());
        }
        String format = properties.getProperty(FORMAT_KEY);
        if (!FORMAT.equals(format)) {
            throw new MalformedMemberException("unsupported-format",
                    "format is '" + format + "', this reader knows '" + FORMAT + "'");
        }
        try {
            return new RingMember(id,
                    required(properties, HOST_KEY),
                    integer(properties, MUX_PORT_KEY),
                    integer(properties, DIRECT_PORT_KEY),
                    integer(properties, WEIGHT_KEY),
                    state(properties));
        } catch (IllegalArgumentException e) {
            throw new MalformedMemberException("invalid-field", e.getMessage());
        }
    }

    private static String required(Properties properties, String key) throws MalformedMemberException {
        String value = properties.getProperty(key);
        if (value == null) {
            throw new MalformedMemberException("missing-field", "no '" + key + "'");
        }
        return value.strip();
    }

    private static int integer(Properties properties, String key) throws MalformedMemberException {
        String value = required(properties, key);
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new MalformedMemberException("invalid-field", key + " is not an integer: '" + value + "'");
        }
    }

    private static MemberState state(Properties properties) throws MalformedMemberException {
        String value = required(properties, STATE_KEY);
        try {
            return MemberState.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new MalformedMemberException("invalid-field", "unknown state '" + value + "'");
        }
    }
}
