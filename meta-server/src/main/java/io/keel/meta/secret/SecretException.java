package io.keel.meta.secret;

/** A secret could not be sealed or opened: wrong key, tampered ciphertext, or a bad key file. */
public final class SecretException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** With a message that never contains secret material. */
    public SecretException(final String message, final Throwable cause) {
        super(message, cause);
    }

    /** With a message that never contains secret material. */
    public SecretException(final String message) {
        super(message);
    }
}
