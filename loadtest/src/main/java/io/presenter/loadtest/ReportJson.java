package io.presenter.loadtest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Reports and worker progress lines as JSON, through Jackson. Reports are plain maps and lists
 * (insertion-ordered, so the file reads in the order the scenario wrote it); integral numbers read
 * back as {@code Long}, which {@link ResultMerger} relies on to keep counters integral.
 */
final class ReportJson {

    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .addModule(new SimpleModule().addSerializer(Double.class, new FiniteOrNull()))
            .build();

    /** {@code "key": value}, two-space indentation: what {@code jq} users and the README show. */
    private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter(Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
            .withObjectEmptySeparator("")
            .withArrayEmptySeparator(""))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"));

    private ReportJson() {}

    /** Indented, one line per object field, ending with a newline. */
    static String write(Object value) {
        try {
            return MAPPER.writer(PRETTY).writeValueAsString(value) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One line (the progress lines a worker prints). */
    static String writeCompact(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSON object as an insertion-ordered map. */
    static Map<String, Object> readObject(String text) throws IOException {
        return MAPPER.readValue(text, OBJECT);
    }

    /**
     * NaN and infinities have no JSON spelling: a ratio over nothing (no samples yet) is written as
     * null, which every reader understands as "no value".
     */
    private static final class FiniteOrNull extends StdSerializer<Double> {
        FiniteOrNull() {
            super(Double.class);
        }

        @Override
        public void serialize(Double value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (value.isNaN() || value.isInfinite()) {
                gen.writeNull();
            } else {
                gen.writeNumber(value);
            }
        }
    }
}
