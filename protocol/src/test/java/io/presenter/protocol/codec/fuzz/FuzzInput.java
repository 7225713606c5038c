package io.presenter.protocol.codec.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One fuzz input: wire bytes plus where the network split them into reads.
 *
 * <p>Layout (chosen so the fuzzer mutates cut points and wire bytes alike, and so hand-made seeds
 * are easy to write): byte 0's low 3 bits give the number of cuts {@code k}, then {@code k}
 * big-endian 16-bit cut offsets, then the wire bytes. Offsets are taken modulo
 * {@code wire.length + 1} and sorted, so every input is valid and empty reads can happen. A decoder
 * must give the same answer however its input is split; splits are where cumulation and
 * mid-varint bugs hide.
 */
public record FuzzInput(byte[] wire, int[] cuts) {

    private static final int MAX_CUTS = 7;

    public static FuzzInput parse(byte[] input) {
        if (input.length == 0) {
            return new FuzzInput(input, new int[0]);
        }
        int cutCount = Math.min(input[0] & MAX_CUTS, (input.length - 1) / 2);
        int wireStart = 1 + 2 * cutCount;
        byte[] wire = Arrays.copyOfRange(input, wireStart, input.length);
        int[] cuts = new int[cutCount];
        for (int i = 0; i < cutCount; i++) {
            int offset = ((input[1 + 2 * i] & 0xFF) << 8) | (input[2 + 2 * i] & 0xFF);
            cuts[i] = offset % (wire.length + 1);
        }
        Arrays.sort(cuts);
        return new FuzzInput(wire, cuts);
    }

    /** The input bytes that {@link #parse} turns into {@code wire} cut at {@code cuts}. */
    public static byte[] encode(byte[] wire, int... cuts) {
        if (cuts.length > MAX_CUTS) {
            throw new IllegalArgumentException("at most " + MAX_CUTS + " cuts");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(cuts.length);
        for (int cut : cuts) {
            if (cut < 0 || cut > wire.length || cut > 0xFFFF) {
                throw new IllegalArgumentException("cut " + cut + " outside the " + wire.length + " wire bytes");
            }
            out.write(cut >>> 8);
            out.write(cut);
        }
        out.writeBytes(wire);
        return out.toByteArray();
    }

    /** The reads: {@code wire} split at every cut (some reads may be empty). */
    public List<byte[]> reads() {
        List<byte[]> reads = new ArrayList<>(cuts.length + 1);
        int from = 0;
        for (int cut : cuts) {
            reads.add(Arrays.copyOfRange(wire, from, cut));
            from = cut;
        }
        reads.add(Arrays.copyOfRange(wire, from, wire.length));
        return reads;
    }
}
