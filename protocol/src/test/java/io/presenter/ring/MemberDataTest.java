package io.presenter.ring;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MemberDataTest {

    private static final RingMember MEMBER =
            new RingMember("chat-7", "10.1.2.3", 7100, 7443, 2, MemberState.DRAINING);

    @Test
    void writesOneKeyPerLineInAFixedOrder() {
        assertThat(new String(MemberData.encode(MEMBER), UTF_8)).isEqualTo("""
                format=1
                host=10.1.2.3
                muxPort=7100
                directPort=7443
                weight=2
                state=DRAINING
                """);
    }

    @Test
    void readsWhatItWrites() throws MalformedMemberException {
        assertThat(MemberData.decode("chat-7", MemberData.encode(MEMBER))).isEqualTo(MEMBER);
        RingMember ipv6 = new RingMember("chat-8", "::1", 7100, 7443, 0, MemberState.ACTIVE);
        assertThat(MemberData.decode("chat-8", MemberData.encode(ipv6))).isEqualTo(ipv6);
    }

    @Test
    void toleratesWhatAnOperatorMightTypeInZkCli() throws MalformedMemberException {
        String edited = "# drained by hand\nformat = 1\nhost=10.1.2.3\nmuxPort=7100\ndirectPort=7443\n"
                + "weight=2\nstate=draining\naddedByALaterVersion=yes\n";
        assertThat(MemberData.decode("chat-7", edited.getBytes(UTF_8))).isEqualTo(MEMBER);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''                                                                    | empty",
            "format=2\\nhost=h\\nmuxPort=1\\ndirectPort=2\\nweight=1\\nstate=ACTIVE | unsupported-format",
            "host=h\\nmuxPort=1\\ndirectPort=2\\nweight=1\\nstate=ACTIVE          | unsupported-format",
            "{\"host\": \"h\", \"muxPort\": 1}                                     | unsupported-format",
            "format=1\\nmuxPort=1\\ndirectPort=2\\nweight=1\\nstate=ACTIVE        | missing-field",
            "format=1\\nhost=h\\nmuxPort=x\\ndirectPort=2\\nweight=1\\nstate=ACTIVE | invalid-field",
            "format=1\\nhost=h\\nmuxPort=1\\ndirectPort=70000\\nweight=1\\nstate=ACTIVE | invalid-field",
            "format=1\\nhost=h\\nmuxPort=1\\ndirectPort=2\\nweight=-1\\nstate=ACTIVE | invalid-field",
            "format=1\\nhost=h\\nmuxPort=1\\ndirectPort=2\\nweight=1\\nstate=GONE   | invalid-field",
            "format=1\\nhost=h\\u12\\nmuxPort=1                                | unreadable",
    })
    void rejectsMalformedDataWithAReason(String data, String reason) {
        byte[] bytes = data.replace("\\n", "\n").getBytes(UTF_8);
        assertThatThrownBy(() -> MemberData.decode("chat-7", bytes))
                .isInstanceOfSatisfying(MalformedMemberException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void rejectsANodeNameThatIsNoMemberId() {
        assertThatThrownBy(() -> MemberData.decode("..", MemberData.encode(MEMBER)))
                .isInstanceOfSatisfying(MalformedMemberException.class,
                        e -> assertThat(e.reason()).isEqualTo("invalid-field"));
    }

    @Test
    void rejectsOversizedData() {
        byte[] huge = ("format=1\n#" + "x".repeat(MemberData.MAX_BYTES)).getBytes(UTF_8);
        assertThatThrownBy(() -> MemberData.decode("chat-7", huge))
                .isInstanceOfSatisfying(MalformedMemberException.class,
                        e -> assertThat(e.reason()).isEqualTo("too-large"));
    }
}
