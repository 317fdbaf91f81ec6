package io.keel.access.iscsi.login;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The key=value text of Login and Text PDUs (RFC 7143 §6.1): UTF-8 pairs each ended by a null
 * byte, and the binary value encodings (0x hex, 0b base64) that CHAP uses.
 */
public final class TextKeys {

    /** Longest key name the RFC allows. */
    public static final int MAX_KEY_LENGTH = 63;

    private TextKeys() {
    }

    /**
     * Parses {@code data} into pairs in order. A pair without '=' or an over-long key is a
     * format error.
     */
    public static List<Map.Entry<String, String>> parse(final byte[] data) throws LoginException {
        List<Map.Entry<String, String>> pairs = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= data.length; i++) {
            if (i == data.length || data[i] == 0) {
                if (i > start) {
                    String pair = new String(data, start, i - start, StandardCharsets.UTF_8);
                    int eq = pair.indexOf('=');
                    if (eq <= 0 || eq > MAX_KEY_LENGTH) {
                        throw new LoginException(LoginStatus.INITIATOR_ERROR, "malformed text pair");
                    }
                    pairs.add(Map.entry(pair.substring(0, eq), pair.substring(eq + 1)));
                }
                start = i + 1;
            }
        }
        return pairs;
    }

    /** Encodes {@code pairs} as null-terminated key=value strings. */
    public static byte[] encode(final List<Map.Entry<String, String>> pairs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, String> pair : pairs) {
            out.writeBytes((pair.getKey() + "=" + pair.getValue()).getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /** Decodes a binary value ({@code 0x}/{@code 0X} hex or {@code 0b}/{@code 0B} base64). */
    public static byte[] decodeBinary(final String value) throws LoginException {
        if (value.length() < 3 || value.charAt(0) != '0') {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "binary value without 0x/0b prefix");
        }
        String body = value.substring(2);
        try {
            return switch (value.charAt(1)) {
                case 'x', 'X' -> HexFormat.of().parseHex(body.length() % 2 == 0 ? body : "0" + body);
                case 'b', 'B' -> Base64.getDecoder().decode(body);
                default -> throw new LoginException(LoginStatus.INITIATOR_ERROR, "unknown binary encoding");
            };
        } catch (IllegalArgumentException e) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "malformed binary value");
        }
    }

    /** Encodes {@code bytes} as {@code 0x} followed by hex digits. */
    public static String encodeHex(final byte[] bytes) {
        return "0x" + HexFormat.of().formatHex(bytes);
    }

    /** Parses a decimal or 0x-hex numerical value, or -1 when it is not one. */
    public static long parseNumber(final String value) {
        try {
            if (value.startsWith("0x") || value.startsWith("0X")) {
                return Long.parseLong(value.substring(2), 16);
            }
            if (value.isEmpty() || value.length() > 19) {
                return -1;
            }
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
