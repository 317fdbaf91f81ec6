package io.keel.meta.model;

import java.util.regex.Pattern;

/**
 * The syntax rules for names and identifiers in the metadata, shared by the state machine's
 * validation and by callers that want to check early.
 */
public final class Names {

    /** Pool, volume, snapshot, node and admin user names: lowercase, 1–63 characters. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    /** Node, disk, volume and snapshot ids (UUIDs in practice): 1–64 letters, digits and dashes. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,63}");

    private static final String LABEL = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";
    // RFC 3720 §3.2.6.3: iqn.yyyy-mm.reversed-domain[:anything]. iSCSI names are compared after
    // stringprep folding to lowercase; we require the folded form so equal names are equal strings.
    private static final Pattern IQN = Pattern.compile(
            "iqn\\.[0-9]{4}-(0[1-9]|1[0-2])\\." + LABEL + "(\\." + LABEL + ")*(:[a-z0-9.:-]+)?");
    private static final Pattern EUI = Pattern.compile("eui\\.[0-9a-f]{16}");
    private static final Pattern NAA = Pattern.compile("naa\\.([0-9a-f]{16}|[0-9a-f]{32})");
    private static final Pattern HOST = Pattern.compile(
            "(" + LABEL + "(\\." + LABEL + ")*|[0-9]{1,3}(\\.[0-9]{1,3}){3}|\\[[0-9a-fA-F:.]+\\])");
    /** Most bytes of an iSCSI name (RFC 3720 §3.2.6.1). */
    public static final int MAX_ISCSI_NAME = 223;

    private Names() {
    }

    /** Whether {@code s} follows {@link #NAME}. */
    public static boolean isName(final String s) {
        return s != null && NAME.matcher(s).matches();
    }

    /** Whether {@code s} follows {@link #ID}. */
    public static boolean isId(final String s) {
        return s != null && ID.matcher(s).matches();
    }

    /** Whether {@code s} is an iSCSI name in lowercase {@code iqn.}, {@code eui.} or {@code naa.} form. */
    public static boolean isIscsiName(final String s) {
        return s != null && s.length() <= MAX_ISCSI_NAME
                && (IQN.matcher(s).matches() || EUI.matcher(s).matches() || NAA.matcher(s).matches());
    }

    /** Whether {@code s} is {@code host:port} with a DNS name, IPv4 or bracketed IPv6 host and a port 1–65535. */
    public static boolean isAddress(final String s) {
        if (s == null || s.length() > 255) {
            return false;
        }
        final int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1 || s.length() - colon > 6) {
            return false;
        }
        final String port = s.substring(colon + 1);
        for (int i = 0; i < port.length(); i++) {
            if (port.charAt(i) < '0' || port.charAt(i) > '9') {
                return false;
            }
        }
        final int p = Integer.parseInt(port);
        return p >= 1 && p <= 65535 && HOST.matcher(s.substring(0, colon)).matches();
    }

    /** Whether {@code s} is non-empty free text of at most {@code max} characters without control characters. */
    public static boolean isText(final String s, final int max) {
        if (s == null || s.isEmpty() || s.length() > max) {
            return false;
        }
        return s.chars().noneMatch(Character::isISOControl);
    }
}
