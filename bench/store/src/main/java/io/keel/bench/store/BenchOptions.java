package io.keel.bench.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The load driver's command line: {@code --name value} pairs.
 *
 * @param file the device file
 * @param formatBytes when positive, create the file with this size and format it first
 * @param workers store workers (format only)
 * @param extents extents to create (format only)
 * @param extentBytes extent size (format only)
 * @param journalBytes journal bytes per worker (format only)
 * @param workload fill, randwrite, randread or seqwrite; null to only format
 * @param blockBytes bytes per request
 * @param threads concurrent requests (load threads)
 * @param duration measured time (ignored by fill, which covers every extent once)
 * @param ramp time before measuring starts
 * @param threading jdk (plain virtual threads), keel (virtual threads in a Keel pool context), platform
 *     (platform threads, as the iSCSI target's reader threads call the store), or started (random reads
 *     and writes only: one thread keeps {@code threads} requests in flight through the store's
 *     non-blocking reads and writes)
 * @param carriers threads of the Keel pool context
 * @param label a free-form name echoed in the result
 */
public record BenchOptions(Path file, long formatBytes, int workers, int extents, long extentBytes,
        long journalBytes, String workload, int blockBytes, int threads, Duration duration, Duration ramp,
        String threading, int carriers, String label) {

    static final String USAGE = """
            usage: StoreBench --file PATH [--format BYTES --workers W --extents K --extent-size BYTES
                              --journal-per-worker BYTES]
                              [--workload fill|randwrite|randread|seqwrite --bs BYTES --threads N
                               --duration SECONDS --ramp SECONDS --threading jdk|keel|platform|started --carriers C
                               --label NAME]
            Sizes take a K, M or G suffix (powers of 1024).""";

    /** Parses {@code args}; throws IllegalArgumentException with the usage on anything unknown. */
    public static BenchOptions parse(final String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("bad argument '" + args[i] + "'\n" + USAGE);
            }
            values.put(args[i].substring(2), args[++i]);
        }
        BenchOptions options = new BenchOptions(
                Path.of(required(values, "file")),
                size(values.remove("format"), 0),
                (int) size(values.remove("workers"), 2),
                (int) size(values.remove("extents"), 16),
                size(values.remove("extent-size"), 256L << 20),
                size(values.remove("journal-per-worker"), 256L << 20),
                values.remove("workload"),
                (int) size(values.remove("bs"), 4096),
                (int) size(values.remove("threads"), 1),
                seconds(values.remove("duration"), 10),
                seconds(values.remove("ramp"), 0),
                values.getOrDefault("threading", "jdk").toLowerCase(Locale.ROOT),
                (int) size(values.remove("carriers"), Runtime.getRuntime().availableProcessors()),
                values.getOrDefault("label", ""));
        values.remove("threading");
        values.remove("label");
        if (!values.isEmpty()) {
            throw new IllegalArgumentException("unknown options " + values.keySet() + "\n" + USAGE);
        }
        if (!List.of("jdk", "keel", "platform", "started").contains(options.threading)) {
            throw new IllegalArgumentException("--threading is jdk, keel, platform or started, not "
                    + options.threading);
        }
        if (options.threading.equals("started") && !List.of("randread", "randwrite").contains(options.workload)) {
            throw new IllegalArgumentException("--threading started is for --workload randread or randwrite");
        }
        return options;
    }

    private static String required(final Map<String, String> values, final String name) {
        String value = values.remove(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required\n" + USAGE);
        }
        return value;
    }

    static long size(final String text, final long fallback) {
        if (text == null) {
            return fallback;
        }
        String upper = text.toUpperCase(Locale.ROOT);
        long unit = switch (upper.charAt(upper.length() - 1)) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        String digits = unit == 1 ? upper : upper.substring(0, upper.length() - 1);
        return Long.parseLong(digits) * unit;
    }

    private static Duration seconds(final String text, final double fallback) {
        double value = text == null ? fallback : Double.parseDouble(text);
        return Duration.ofNanos((long) (value * 1e9));
    }
}
