package io.presenter.protocol.codec.fuzz;

import static io.presenter.protocol.codec.Bytes.concat;
import static io.presenter.protocol.codec.LibthriftWire.withLengthPrefix;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.presenter.protocol.codec.Bytes;
import io.presenter.protocol.codec.GoldenFiles;
import io.presenter.protocol.codec.LibthriftWire;
import io.presenter.protocol.codec.MuxFrames;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Heartbeat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;

/**
 * The hand-made nasty inputs each fuzz target starts from and replays on every test run, by file
 * name. Each is a {@link FuzzInput}: wire bytes and where reads split them. Compact-protocol bytes
 * are spelled out where libthrift would refuse to write them; comments give the layout.
 *
 * <p>{@link SeedCorpusTest} keeps the committed files equal to these (and writes them with
 * {@code -Dfuzz.seeds.update=true}); inputs the fuzzer finds are added as plain files beside them.
 */
final class SeedCorpus {

    /** Where Jazzer looks for a target's inputs: {@code <TestClass>Inputs/<method>/}. */
    enum Target {
        MUX_DECODE(MuxFrameDecoderFuzzTest.class, "decode"),
        CLIENT_DECODE(ClientPacketDecoderFuzzTest.class, "decode"),
        MUX_ROUND_TRIP(MuxFrameRoundTripFuzzTest.class, "roundTrip");

        final Class<?> testClass;
        final String method;

        Target(Class<?> testClass, String method) {
            this.testClass = testClass;
            this.method = method;
        }

        /** Resource path relative to the test class's package. */
        String directory() {
            return testClass.getSimpleName() + "Inputs/" + method;
        }

        Map<String, byte[]> seeds() {
            return switch (this) {
                case MUX_DECODE -> muxDecode();
                case CLIENT_DECODE -> clientDecode();
                case MUX_ROUND_TRIP -> muxRoundTrip();
            };
        }
    }

    private static final int MUX_CAP = MuxFrameDecoderFuzzTest.MAX_FRAME_LENGTH;
    private static final int CLIENT_CAP = ClientPacketDecoderFuzzTest.MAX_PACKET_LENGTH;

    private SeedCorpus() {}

    static Map<String, byte[]> muxDecode() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        addGoldens(seeds, "mux", true);
        addLengths(seeds, MUX_CAP);
        byte[] ping = GoldenFiles.read("mux/ping-ack.bin");
        byte[] data = GoldenFiles.read("mux/data-stream1-hello.bin");
        // Binary lengths the frame cannot hold: 2^31 (a negative i32), 2^31 - 1, and -5.
        seeds.put("data-binary-length-2gib", one(dataFrameDeclaring(0x8000_0000L)));
        seeds.put("data-binary-length-max-int", one(dataFrameDeclaring(Integer.MAX_VALUE)));
        seeds.put("data-binary-length-negative", one(dataFrameDeclaring(-5 & 0xFFFF_FFFFL)));
        // Stream id as a 5-byte varint (still the fast path) and a 7-byte one (libthrift's path).
        seeds.put("data-stream-id-5-byte-varint", one(frame(0x1C, 0x15, 0x82, 0x80, 0x80, 0x80, 0x00,
                0x18, 0x01, 0x2A, 0x00, 0x00)));
        seeds.put("data-stream-id-7-byte-varint", one(frame(0x1C, 0x15, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80,
                0x00, 0x18, 0x01, 0x2A, 0x00, 0x00)));
        // A 200-byte payload has a two-byte length varint; the read ends between its bytes.
        seeds.put("data-split-mid-varint", FuzzInput.encode(LibthriftWire.framed(
                MuxFrames.data(1, new byte[200])), 9));
        seeds.put("data-trailer-not-zero", one(frame(0x1C, 0x15, 0x02, 0x18, 0x01, 0x2A, 0x00, 0x2A)));
        seeds.put("data-empty-payload", one(LibthriftWire.framed(MuxFrames.data(3, new byte[0]))));
        seeds.put("many-tiny-frames", FuzzInput.encode(repeat(LibthriftWire.framed(MuxFrames.data(1, new byte[0])), 300),
                1, 11, 12, 500, 1001, 2222, 3299));
        seeds.putAll(commonStructAbuse("mux", ping));
        // Settings (member 2) whose field 1 is a list of lists of lists...: skipping must stop.
        seeds.put("deep-nesting-lists", one(frame(concat(bytes(0x2C), filled(0x19, 1000)))));
        // Reset (member 5) with ResetCode 99, which this version does not know: required, so rejected.
        seeds.put("reset-unknown-code", one(frame(0x5C, 0x15, 0x02, 0x15, 0xC6, 0x01, 0x00, 0x00)));
        // Reset whose reason (string, field 3) claims 2^31 - 1 bytes.
        seeds.put("reset-string-length-max-int", one(frame(concat(bytes(0x5C, 0x15, 0x02, 0x15, 0x02, 0x18),
                varint(Integer.MAX_VALUE), bytes(0x78, 0x00, 0x00)))));
        // Ping then goaway in one union: libthrift reads the first and leaves the second over.
        seeds.put("union-two-members", one(frame(0x7C, 0x16, 0x02, 0x11, 0x00, 0x1C, 0x15, 0x02, 0x12, 0x15,
                0x02, 0x00, 0x00)));
        seeds.put("valid-then-garbage", FuzzInput.encode(concat(ping, filled(0xFF, 64)), ping.length));
        seeds.put("valid-then-length-over-cap", one(concat(data, prefix(1 << 30), filled(0x41, 32))));
        return seeds;
    }

    static Map<String, byte[]> clientDecode() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        addGoldens(seeds, "client", true);
        addLengths(seeds, CLIENT_CAP);
        byte[] ping = LibthriftWire.framed(ClientPacket.ping(new Heartbeat(7L)));
        seeds.putAll(commonStructAbuse("client", ping));
        // Auth packet whose token signature (binary) claims 2^31 bytes.
        seeds.put("auth-signature-length-2gib", one(frame(concat(
                bytes(0x1C, 0x16, 0x54, 0x16, 0x02, 0x1C, 0x18, 0x02, 0x6B, 0x31, 0x16, 0x02, 0x18),
                varint(0x8000_0000L), bytes(1, 2, 3, 0x00, 0x00, 0x00)))));
        // AuthResult with status 99: required enum this version does not know.
        seeds.put("auth-result-unknown-status", one(frame(0x2C, 0x15, 0xC6, 0x01, 0x00, 0x00)));
        // Heartbeat (member 7) holding a list of lists...: skipping must stop.
        seeds.put("deep-nesting-lists", one(frame(concat(bytes(0x7C), filled(0x19, 1000)))));
        // A packet the codec rejects inside intact framing, then a valid one, in one read.
        seeds.put("undecodable-then-valid", one(concat(frame(0xCC, 0x00, 0x00), ping)));
        seeds.put("many-tiny-packets", FuzzInput.encode(repeat(ping, 300), 2, 3, 700, 701, 1500, 2699));
        seeds.put("valid-then-garbage", FuzzInput.encode(concat(ping, filled(0xFF, 64)), ping.length + 2));
        return seeds;
    }

    static Map<String, byte[]> muxRoundTrip() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        addGoldens(seeds, "mux", false); // a truncated frame decodes to nothing: nothing to round-trip
        seeds.put("data-stream-id-7-byte-varint", muxDecode().get("data-stream-id-7-byte-varint"));
        seeds.put("ping-long-form-field-ids", muxDecode().get("ping-long-form-field-ids"));
        seeds.put("many-tiny-frames", FuzzInput.encode(repeat(LibthriftWire.framed(MuxFrames.data(5, new byte[] {7})), 20),
                5, 40, 41));
        // Settings whose peerId is not UTF-8: its canonical form (U+FFFD each) is longer.
        seeds.put("settings-peer-id-invalid-utf8", one(LibthriftWire.framed(protocol -> {
            protocol.writeStructBegin(new TStruct("MuxFrame"));
            protocol.writeFieldBegin(new TField("settings", TType.STRUCT, (short) 2));
            protocol.writeStructBegin(new TStruct("Settings"));
            for (short id = 1; id <= 5; id++) {
                protocol.writeFieldBegin(new TField("limit", TType.I32, id));
                protocol.writeI32(id * 1000);
                protocol.writeFieldEnd();
            }
            protocol.writeFieldBegin(new TField("peerId", TType.STRING, (short) 6));
            protocol.writeBinary(ByteBuffer.wrap(bytes(0xFF, 0xFE, 0xC3, 0x28)));
            protocol.writeFieldEnd();
            // Field 20 is unknown: skipped on decode, gone after re-encoding.
            protocol.writeFieldBegin(new TField("future", TType.I64, (short) 20));
            protocol.writeI64(-1L);
            protocol.writeFieldEnd();
            protocol.writeFieldStop();
            protocol.writeStructEnd();
            protocol.writeFieldEnd();
            protocol.writeFieldStop();
            protocol.writeStructEnd();
        })));
        return seeds;
    }

    /** Every golden file of {@code wire} (and, if asked, one byte short), and all of them in one stream. */
    private static void addGoldens(Map<String, byte[]> seeds, String wire, boolean truncated) {
        byte[] all = new byte[0];
        for (String name : goldenNames(wire)) {
            byte[] golden = GoldenFiles.read(wire + "/" + name);
            String base = "golden-" + name.replace(".bin", "");
            seeds.put(base, one(golden));
            if (truncated) {
                seeds.put(base + "-truncated", one(Arrays.copyOf(golden, golden.length - 1)));
            }
            all = concat(all, golden);
        }
        // Cut inside the first length prefix, then at arbitrary points.
        seeds.put("golden-all-split", FuzzInput.encode(all, 2, all.length / 3, all.length / 2 + 1, all.length - 1));
    }

    private static void addLengths(Map<String, byte[]> seeds, int cap) {
        seeds.put("length-0", one(prefix(0)));
        seeds.put("length-1", one(concat(prefix(1), bytes(0))));
        seeds.put("length-minus-1", one(prefix(-1)));
        seeds.put("length-max-int", one(concat(prefix(Integer.MAX_VALUE), filled(0, 16))));
        seeds.put("length-cap-plus-1", one(concat(prefix(cap + 1), filled(0x1C, 8))));
        seeds.put("length-cap-of-zeros", one(concat(prefix(cap), new byte[cap])));
        seeds.put("length-split-mid-prefix", FuzzInput.encode(prefix(cap + 1), 1, 2, 3));
    }

    /** Struct-level abuse both unions share: unknown members, long-form ids, deep nesting, huge containers. */
    private static Map<String, byte[]> commonStructAbuse(String wire, byte[] validFrame) {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        // Member 12 (unknown) holding a struct with i32 field 1 = 7.
        seeds.put("unknown-member-12", one(frame(0xCC, 0x15, 0x0E, 0x00, 0x00)));
        // Member 300, long-form header: type byte, then the id as a zigzag varint (600).
        seeds.put("unknown-member-300-long-form", one(frame(0x0C, 0xD8, 0x04, 0x15, 0x0E, 0x00, 0x00)));
        // Member 7 (ping in both unions) with every field header in long form.
        seeds.put("ping-long-form-field-ids", one(wire.equals("mux")
                ? frame(0x0C, 0x0E, 0x06, 0x02, 0x02, 0x01, 0x04, 0x00, 0x00)
                : frame(0x0C, 0x0E, 0x06, 0x02, 0x02, 0x00, 0x00)));
        // Member 10 (unknown) as a struct in a struct in a struct...
        seeds.put("deep-nesting-unknown-member", one(frame(concat(bytes(0xAC), filled(0x1C, 500)))));
        // Unknown member 12 as a map claiming 2^31 - 1 entries of i32 -> i32.
        seeds.put("map-size-max-int", one(frame(concat(bytes(0xCB), varint(Integer.MAX_VALUE), bytes(0x55, 0x00)))));
        // Unknown member 12 as a list claiming 2^31 - 1 i32 elements (size nibble 15: size follows).
        seeds.put("list-size-max-int", one(frame(concat(bytes(0xC9, 0xF5), varint(Integer.MAX_VALUE), bytes(0x00)))));
        seeds.put("valid-frame-split-everywhere", FuzzInput.encode(validFrame, 1, 2, 3, 4, 5, 6, 7));
        return seeds;
    }

    private static Iterable<String> goldenNames(String wire) {
        try (Stream<Path> files = Files.list(Path.of(GoldenFiles.class.getResource("/golden/" + wire).toURI()))) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A canonical data frame for stream 1 whose payload length varint says {@code declared} (unsigned). */
    private static byte[] dataFrameDeclaring(long declared) {
        return frame(concat(bytes(0x1C, 0x15, 0x02, 0x18), varint(declared), bytes(1, 2, 3, 0x00, 0x00)));
    }

    /** {@code wire} in a single read. */
    private static byte[] one(byte[] wire) {
        return FuzzInput.encode(wire);
    }

    private static byte[] frame(int... body) {
        return withLengthPrefix(bytes(body));
    }

    private static byte[] frame(byte[] body) {
        return withLengthPrefix(body);
    }

    private static byte[] prefix(int length) {
        return ByteBuffer.allocate(Integer.BYTES).putInt(length).array();
    }

    /** Unsigned LEB128, as the compact protocol writes lengths and sizes. */
    private static byte[] varint(long value) {
        ByteBuf out = Unpooled.buffer(10);
        while ((value & ~0x7FL) != 0) {
            out.writeByte((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.writeByte((int) value);
        return Bytes.drain(out);
    }

    private static byte[] repeat(byte[] part, int times) {
        byte[] all = new byte[part.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(part, 0, all, i * part.length, part.length);
        }
        return all;
    }

    private static byte[] filled(int value, int length) {
        byte[] filled = new byte[length];
        Arrays.fill(filled, (byte) value);
        return filled;
    }

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }
}
