package io.keel.appliance.cli;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as admins type and read them: binary units only ({@code 1G} = 1024³ bytes), because
 * the API's 4096-byte alignment makes decimal gigabytes produce sizes the server refuses.
 */
public final class Sizes {

    /** What the size options accept, for their {@code --help} text. */
    public static final String SYNTAX = "bytes, or a number with a binary unit: K/KiB, M/MiB, G/GiB, T/TiB, P/PiB "
            + "(1G = 1GiB = 1024^3 bytes); e.g. 4096, 64K, 512M, 10G, 1.5T";

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([A-Za-z]*)");
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private Sizes() {
    }

    /**
     * Parses {@code text} into bytes.
     *
     * @throws IllegalArgumentException with a message fit for the user when the text is not a size
     */
    public static long parse(final String text) {
        String trimmed = text == null ? "" : text.trim();
        Matcher m = SIZE.matcher(trimmed);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; expected " + SYNTAX);
        }
        int power = power(text, m.group(2));
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1024).pow(power));
        if (bytes.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
        }
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        return bytes.longValueExact();
    }

    private static int power(final String text, final String unit) {
        String u = unit.toUpperCase(Locale.ROOT);
        if (u.isEmpty() || u.equals("B")) {
            return 0;
        }
        if ((u.length() == 3 && u.endsWith("IB")) || u.length() == 1) {
            int power = "KMGTP".indexOf(u.charAt(0)) + 1;
            if (power > 0) {
                return power;
            }
        }
        if (u.length() == 2 && u.endsWith("B") && "KMGTP".indexOf(u.charAt(0)) >= 0) {
            // "10GB" usually means 10^10 bytes elsewhere; refusing it beats silently picking one meaning.
            throw new IllegalArgumentException("'" + text + "' is ambiguous: sizes use binary units, write "
                    + text.substring(0, text.length() - 1) + " or " + text.substring(0, text.length() - 1) + "iB");
        }
        throw new IllegalArgumentException("'" + text + "' has an unknown unit '" + unit + "'; expected " + SYNTAX);
    }

    /** Formats {@code bytes} for people: {@code 10 GiB}, {@code 1.5 TiB}, {@code 512 B}. */
    public static String format(final long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = 0;
        double value = bytes;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        String number = String.format(Locale.ROOT, "%.1f", value);
        if (number.equals("1024.0") && unit < UNITS.length - 1) {
            number = "1.0";
            unit++;
        }
        if (number.endsWith(".0")) {
            number = number.substring(0, number.length() - 2);
        }
        return number + " " + UNITS[unit];
    }
}
