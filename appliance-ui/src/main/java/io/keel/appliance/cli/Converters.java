package io.keel.appliance.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Picocli converters for the CLI's own value syntaxes: sizes, durations and LUN mappings. */
final class Converters {

    private Converters() {
    }

    /** A size in bytes, see {@link Sizes#SYNTAX}. */
    static final class SizeConverter implements ITypeConverter<Long> {

        @Override
        public Long convert(final String value) {
            try {
                return Sizes.parse(value);
            } catch (IllegalArgumentException bad) {
                throw new TypeConversionException(bad.getMessage());
            }
        }
    }

    /** Seconds by default; {@code ms}, {@code s} and {@code m} suffixes. */
    static final class DurationConverter implements ITypeConverter<Duration> {

        private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m)?");

        @Override
        public Duration convert(final String value) {
            Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new TypeConversionException("'" + value
                        + "' is not a duration; expected e.g. 30, 30s, 500ms, 2m");
            }
            long amount;
            try {
                amount = Long.parseLong(m.group(1));
            } catch (NumberFormatException tooLong) {
                throw new TypeConversionException("'" + value + "' is too long");
            }
            String unit = m.group(2) == null ? "s" : m.group(2);
            Duration duration = switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofSeconds(amount);
            };
            if (duration.isZero()) {
                throw new TypeConversionException("the timeout must be positive");
            }
            return duration;
        }
    }

    /** A LUN mapping {@code N=VOLUME}, or {@code N=VOLUME:ro} for a read-only one. */
    record Lun(int lun, String volume, boolean readOnly) {
    }

    /** Parses {@code N=VOLUME} and {@code N=VOLUME:ro} (volume names have no colon). */
    static final class LunConverter implements ITypeConverter<Lun> {

        private static final Pattern LUN = Pattern.compile("(\\d{1,5})=([^:]+)(:ro)?");

        @Override
        public Lun convert(final String value) {
            Matcher m = LUN.matcher(value.trim());
            if (!m.matches()) {
                throw new TypeConversionException("'" + value + "' is not a LUN mapping; expected NUMBER=VOLUME "
                        + "or NUMBER=VOLUME:ro (read-only), e.g. 0=vm-disk-1");
            }
            return new Lun(Integer.parseInt(m.group(1)), m.group(2), m.group(3) != null);
        }
    }
}
