package io.keel.meta.secret;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The cluster's admin account: a username and a PBKDF2WithHmacSHA256 hash of the password with
 * its salt and iteration count. It is stored in the metadata (SetAdminCredential) so every node of
 * the cluster accepts the same password. It never prints its hash or salt.
 */
public record AdminCredential(String username, String algorithm, int iterations, byte[] salt, byte[] hash,
        long changedAt) {

    /** The only supported algorithm. */
    public static final String ALGORITHM = "PBKDF2WithHmacSHA256";
    /** Iterations new credentials should use (OWASP's 2023 figure for PBKDF2-HMAC-SHA256). */
    public static final int DEFAULT_ITERATIONS = 600_000;
    /** The fewest iterations the metadata accepts. */
    public static final int MIN_ITERATIONS = 100_000;
    /** The most iterations the metadata accepts (a verify must stay well under a second or two). */
    public static final int MAX_ITERATIONS = 10_000_000;
    /** Bytes of a new salt. */
    public static final int SALT_BYTES = 16;
    /** Bytes of the derived hash. */
    public static final int HASH_BYTES = 32;

    private static final SecureRandom SALTS = new SecureRandom();

    /** Copies the arrays so the record stays immutable. */
    public AdminCredential {
        salt = salt == null ? null : salt.clone();
        hash = hash == null ? null : hash.clone();
    }

    /** Hashes {@code password} under a new random salt. */
    public static AdminCredential create(final String username, final char[] password, final int iterations,
            final long changedAt) {
        final byte[] salt = new byte[SALT_BYTES];
        SALTS.nextBytes(salt);
        return new AdminCredential(username, ALGORITHM, iterations, salt, hash(password, salt, iterations),
                changedAt);
    }

    /** PBKDF2WithHmacSHA256 of {@code password}, {@link #HASH_BYTES} long. */
    public static byte[] hash(final char[] password, final byte[] salt, final int iterations) {
        final PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, HASH_BYTES * 8);
        try {
            return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " missing from the JDK", e);
        } finally {
            spec.clearPassword();
        }
    }

    /** Whether {@code password} matches, compared in constant time. */
    public boolean verify(final char[] password) {
        if (!ALGORITHM.equals(algorithm) || salt == null || hash == null) {
            return false;
        }
        final byte[] candidate = hash(password, salt, iterations);
        try {
            return MessageDigest.isEqual(candidate, hash);
        } finally {
            Arrays.fill(candidate, (byte) 0);
        }
    }

    @Override
    public byte[] salt() {
        return salt == null ? null : salt.clone();
    }

    @Override
    public byte[] hash() {
        return hash == null ? null : hash.clone();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof AdminCredential c && iterations == c.iterations && changedAt == c.changedAt
                && Objects.equals(username, c.username) && Objects.equals(algorithm, c.algorithm)
                && Arrays.equals(salt, c.salt) && Arrays.equals(hash, c.hash);
    }

    @Override
    public int hashCode() {
        return Objects.hash(username, algorithm, iterations, Arrays.hashCode(salt), Arrays.hashCode(hash), changedAt);
    }

    @Override
    public String toString() {
        return "AdminCredential[username=" + username + ", algorithm=" + algorithm + ", iterations=" + iterations
                + ", changedAt=" + changedAt + ", salt and hash redacted]";
    }
}
