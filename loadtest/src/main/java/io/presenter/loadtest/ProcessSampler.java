package io.presenter.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the target process's CPU time and resident memory from Linux's /proc, so a run can report
 * what the server paid per handshake, per connection and per message (the number that sizes a
 * fleet), not only what the client saw. The target must run on this host.
 */
final class ProcessSampler {

    /**
     * USER_HZ: the unit of utime/stime in /proc/PID/stat. It is 100 on every Linux ABI Java runs on
     * (the kernel exports it as a constant, sysconf(_SC_CLK_TCK)); Java cannot call sysconf.
     */
    static final long CLOCK_TICKS_PER_SECOND = 100;

    /** One reading: CPU time used so far (user + system, µs, 10 ms resolution) and VmRSS (KiB). */
    record Sample(long cpuMicros, long rssKib, long atNanos) {}

    private final long pid;

    ProcessSampler(long pid) {
        this.pid = pid;
    }

    long pid() {
        return pid;
    }

    Sample sample() throws IOException {
        return new Sample(cpuMicros(), rssKib(), System.nanoTime());
    }

    private long cpuMicros() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        // The command name (field 2) is in parentheses and may contain spaces or ')': fields after
        // the LAST ')' are fixed. utime and stime are fields 14 and 15 (1-based) of the whole line.
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        long ticks = Long.parseLong(after[11]) + Long.parseLong(after[12]);
        return ticks * 1_000_000 / CLOCK_TICKS_PER_SECOND;
    }

    private long rssKib() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.US_ASCII);
        for (String line : lines) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }

    /** What the server spent between two samples, divided over {@code units} (handshakes, messages). */
    static Map<String, Object> cost(Sample before, Sample after, long units, String unitName) {
        Map<String, Object> m = new LinkedHashMap<>();
        long cpu = after.cpuMicros() - before.cpuMicros();
        m.put("cpu_us", cpu);
        m.put("wall_us", (after.atNanos() - before.atNanos()) / 1_000);
        m.put("rss_kib_before", before.rssKib());
        m.put("rss_kib_after", after.rssKib());
        m.put(unitName, units);
        if (units > 0) {
            m.put("cpu_us_per_" + singular(unitName), Math.round(cpu * 10.0 / units) / 10.0);
            m.put("rss_delta_bytes_per_" + singular(unitName),
                    Math.round((after.rssKib() - before.rssKib()) * 1024.0 / units));
        }
        return m;
    }

    private static String singular(String plural) {
        return plural.endsWith("s") ? plural.substring(0, plural.length() - 1) : plural;
    }
}
