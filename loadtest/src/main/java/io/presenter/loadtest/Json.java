package io.presenter.loadtest;

import java.util.Iterator;
import java.util.Map;

/**
 * A minimal JSON writer for reports (maps, lists, numbers, strings, booleans, null): a report is
 * small and flat, and this keeps the harness free of a JSON library the rest of the build lacks.
 */
final class Json {

    private Json() {}

    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, 0);
        return out.append('\n').toString();
    }

    private static void write(Object v, StringBuilder out, int indent) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Map<?, ?> map) {
            out.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                newline(out, indent + 1);
                string(String.valueOf(e.getKey()), out);
                out.append(": ");
                write(e.getValue(), out, indent + 1);
                if (it.hasNext()) {
                    out.append(',');
                }
            }
            if (!map.isEmpty()) {
                newline(out, indent);
            }
            out.append('}');
        } else if (v instanceof Iterable<?> list) {
            out.append('[');
            Iterator<?> it = list.iterator();
            while (it.hasNext()) {
                write(it.next(), out, indent + 1);
                if (it.hasNext()) {
                    out.append(", ");
                }
            }
            out.append(']');
        } else if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
            out.append("null");
        } else if (v instanceof Number || v instanceof Boolean) {
            out.append(v);
        } else {
            string(v.toString(), out);
        }
    }

    private static void newline(StringBuilder out, int indent) {
        out.append('\n').append("  ".repeat(indent));
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
