package io.keel.access.iscsi.login;

/** Login Response status codes, {@code class << 8 | detail} (RFC 7143 §11.13.5). */
public final class LoginStatus {
    /** Success. */
    public static final int SUCCESS = 0x0000;
    /** Initiator error (protocol or negotiation error). */
    public static final int INITIATOR_ERROR = 0x0200;
    /** Authentication failure. */
    public static final int AUTHENTICATION_FAILURE = 0x0201;
    /** The initiator is not allowed to access the target. */
    public static final int AUTHORIZATION_FAILURE = 0x0202;
    /** No such target. */
    public static final int TARGET_NOT_FOUND = 0x0203;
    /** Unsupported iSCSI version. */
    public static final int UNSUPPORTED_VERSION = 0x0205;
    /** Too many connections on the session. */
    public static final int TOO_MANY_CONNECTIONS = 0x0206;
    /** A required key is missing. */
    public static final int MISSING_PARAMETER = 0x0207;
    /** The session type is not supported. */
    public static final int SESSION_TYPE_NOT_SUPPORTED = 0x0209;
    /** The TSIH names no session. */
    public static final int SESSION_DOES_NOT_EXIST = 0x020a;
    /** A request not allowed during login. */
    public static final int INVALID_DURING_LOGIN = 0x020b;
    /** Target error. */
    public static final int TARGET_ERROR = 0x0300;
    /** Service unavailable (shutting down). */
    public static final int SERVICE_UNAVAILABLE = 0x0301;

    private LoginStatus() {
    }

    /** A short name for logs and metrics. */
    public static String name(final int status) {
        return switch (status) {
            case SUCCESS -> "success";
            case INITIATOR_ERROR -> "initiator-error";
            case AUTHENTICATION_FAILURE -> "authentication-failure";
            case AUTHORIZATION_FAILURE -> "authorization-failure";
            case TARGET_NOT_FOUND -> "target-not-found";
            case UNSUPPORTED_VERSION -> "unsupported-version";
            case TOO_MANY_CONNECTIONS -> "too-many-connections";
            case MISSING_PARAMETER -> "missing-parameter";
            case SESSION_TYPE_NOT_SUPPORTED -> "session-type-not-supported";
            case SESSION_DOES_NOT_EXIST -> "session-does-not-exist";
            case INVALID_DURING_LOGIN -> "invalid-during-login";
            case TARGET_ERROR -> "target-error";
            case SERVICE_UNAVAILABLE -> "service-unavailable";
            default -> String.format("status-0x%04x", status);
        };
    }
}
