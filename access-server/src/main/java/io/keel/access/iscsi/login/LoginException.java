package io.keel.access.iscsi.login;

/** A login that fails with a status class and detail (RFC 7143 §11.13.5), sent back in the Login Response. */
public final class LoginException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;

    /** A failure with {@code status} ({@code class << 8 | detail}) and a reason for the log. */
    public LoginException(final int status, final String message) {
        super(message);
        this.status = status;
    }

    /** {@code statusClass << 8 | statusDetail}. */
    public int status() {
        return status;
    }
}
