package io.keel.meta.secret;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Owns the cluster secret key (256 bits, supplied by the node from a file and never stored in the
 * metadata) and seals and opens secrets with AES-GCM. Each secret is bound to a context string
 * (additional authenticated data, e.g. the target IQN), so a sealed secret copied onto another
 * object does not open.
 */
public final class SecretBox {

    /** Bytes of the key. */
    public static final int KEY_BYTES = 32;
    /** Bytes of a GCM nonce. */
    public static final int NONCE_BYTES = 12;

    private static final SecureRandom NONCES = new SecureRandom();

    private final SecretKeySpec key;
    private final String keyId;

    /** Uses a copy of {@code key}, which must be 32 bytes. */
    public SecretBox(final byte[] key) {
        if (key == null || key.length != KEY_BYTES) {
            throw new SecretException("the cluster key must be " + KEY_BYTES + " bytes, got "
                    + (key == null ? "none" : key.length));
        }
        this.key = new SecretKeySpec(key, "AES");
        this.keyId = keyIdOf(key);
    }

    /**
     * Reads the key from a file holding either exactly 32 raw bytes or 64 hexadecimal digits
     * (surrounding whitespace ignored).
     */
    public static SecretBox fromFile(final Path file) throws IOException {
        final byte[] raw = Files.readAllBytes(file);
        try {
            if (raw.length == KEY_BYTES) {
                return new SecretBox(raw);
            }
            final String text = new String(raw, StandardCharsets.US_ASCII).strip();
            if (text.length() == 2 * KEY_BYTES) {
                final byte[] key;
                try {
                    key = HexFormat.of().parseHex(text);
                } catch (IllegalArgumentException e) {
                    throw new SecretException("cluster key file " + file + " is not 64 hexadecimal digits");
                }
                try {
                    return new SecretBox(key);
                } finally {
                    Arrays.fill(key, (byte) 0);
                }
            }
            throw new SecretException("cluster key file " + file
                    + " must hold 32 raw bytes or 64 hexadecimal digits");
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /** A new random 256-bit key, e.g. for a node writing the cluster key file at bootstrap. */
    public static byte[] generateKey() {
        final byte[] k = new byte[KEY_BYTES];
        NONCES.nextBytes(k);
        return k;
    }

    /**
     * A public fingerprint of the key (first 8 bytes of SHA-256 over a fixed label and the key,
     * in hex): lets a node tell "sealed under another key" from "tampered".
     */
    public String keyId() {
        return keyId;
    }

    /** Seals {@code plaintext} under a fresh random nonce, bound to {@code context}. */
    public SealedSecret seal(final byte[] plaintext, final String context) {
        final byte[] nonce = new byte[NONCE_BYTES];
        NONCES.nextBytes(nonce);
        try {
            final Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(SealedSecret.TAG_BYTES * 8, nonce));
            c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return new SealedSecret(keyId, nonce, c.doFinal(plaintext));
        } catch (GeneralSecurityException e) {
            throw new SecretException("cannot seal a secret: " + e.getClass().getSimpleName(), e);
        }
    }

    /** Opens a secret sealed with {@link #seal} under the same key and context. */
    public Secret open(final SealedSecret sealed, final String context) {
        if (!keyId.equals(sealed.keyId())) {
            throw new SecretException("secret was sealed with cluster key " + sealed.keyId()
                    + " but this node has key " + keyId);
        }
        final byte[] nonce = sealed.nonce();
        if (nonce == null || nonce.length != NONCE_BYTES || sealed.plaintextLength() < 0) {
            throw new SecretException("sealed secret is malformed");
        }
        try {
            final Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(SealedSecret.TAG_BYTES * 8, nonce));
            c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            final byte[] plain = c.doFinal(sealed.ciphertext());
            try {
                return new Secret(plain);
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        } catch (GeneralSecurityException e) {
            // Do not pass the cause's message on: it is about our internals, never the secret,
            // but "authentication failed" is all a caller can act on.
            throw new SecretException("sealed secret does not authenticate (tampered, or another context)", e);
        }
    }

    private static String keyIdOf(final byte[] key) {
        try {
            final MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("keel-cluster-key-id".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d.digest(key), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    @Override
    public String toString() {
        return "SecretBox[keyId=" + keyId + "]";
    }
}
