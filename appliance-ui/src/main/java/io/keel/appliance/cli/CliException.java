package io.keel.appliance.cli;

/**
 * A failure the CLI reports as one {@code keel: ...} line and an exit code, without a stack trace:
 * 1 for a refused request or bad input, 2 when the appliance could not be reached or stayed unavailable.
 */
public class CliException extends RuntimeException {

    /** Exit code for an API error or a usage error. */
    public static final int FAILED = 1;
    /** Exit code for a node that cannot be reached or has no meta leader. */
    public static final int UNREACHABLE = 2;

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    /** A failure with {@code message} for the user, exiting with {@code exitCode}. */
    public CliException(final String message, final int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    /** The process exit code this failure maps to. */
    public int exitCode() {
        return exitCode;
    }
}
