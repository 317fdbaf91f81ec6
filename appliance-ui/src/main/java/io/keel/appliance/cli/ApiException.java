package io.keel.appliance.cli;

/** An error response from the REST API: its HTTP status and the {@code code} and {@code message} of its body. */
public final class ApiException extends CliException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String apiMessage;

    /** The error the API answered with; {@code code} may be null when the body was not the documented JSON. */
    public ApiException(final int status, final String code, final String apiMessage, final String hint) {
        super(describe(status, code, apiMessage, hint), status == 503 ? UNREACHABLE : FAILED);
        this.status = status;
        this.code = code;
        this.apiMessage = apiMessage;
    }

    private static String describe(final int status, final String code, final String message, final String hint) {
        StringBuilder text = new StringBuilder(message == null || message.isBlank() ? "request failed" : message);
        text.append(" (HTTP ").append(status);
        if (code != null) {
            text.append(' ').append(code);
        }
        text.append(')');
        if (hint != null) {
            text.append("; ").append(hint);
        }
        return text.toString();
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The API's error code, e.g. {@code NOT_FOUND}; null when the body had none. */
    public String code() {
        return code;
    }

    /** The API's message, as sent. */
    public String apiMessage() {
        return apiMessage;
    }
}
