package io.keel.meta.secret;

import java.util.Arrays;

/**
 * A plaintext secret in memory (a decrypted CHAP secret). It never prints its value, and
 * {@link #close} overwrites it, so holders can keep its lifetime short.
 */
public final class Secret implements AutoCloseable {

    private final byte[] value;

    /** Takes a copy of {@code value}. */
    public Secret(final byte[] value) {
        this.value = value.clone();
    }

    /** A copy of the secret bytes; the caller should wipe it when done. */
    public byte[] bytes() {
        return value.clone();
    }

    /** The secret's length in bytes. */
    public int length() {
        return value.length;
    }

    /** Overwrites the secret with zeros. */
    @Override
    public void close() {
        Arrays.fill(value, (byte) 0);
    }

    @Override
    public String toString() {
        return "Secret[redacted]";
    }
}
