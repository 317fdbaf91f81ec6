package io.keel.meta.secret;

import java.util.Arrays;

/**
 * A secret encrypted by {@link SecretBox} with AES-256-GCM: the id of the key that sealed it, the
 * 12-byte nonce and the ciphertext with its 16-byte tag appended. This is what the metadata
 * stores; without the cluster key it reveals only the plaintext's length.
 */
public record SealedSecret(String keyId, byte[] nonce, byte[] ciphertext) {

    /** Bytes of the GCM authentication tag at the end of {@link #ciphertext}. */
    public static final int TAG_BYTES = 16;

    /** Copies the arrays so the record stays immutable. */
    public SealedSecret {
        nonce = nonce == null ? null : nonce.clone();
        ciphertext = ciphertext == null ? null : ciphertext.clone();
    }

    @Override
    public byte[] nonce() {
        return nonce == null ? null : nonce.clone();
    }

    @Override
    public byte[] ciphertext() {
        return ciphertext == null ? null : ciphertext.clone();
    }

    /** The length of the sealed plaintext, known without the key (GCM does not pad); -1 if malformed. */
    public int plaintextLength() {
        return ciphertext == null || ciphertext.length < TAG_BYTES ? -1 : ciphertext.length - TAG_BYTES;
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof SealedSecret s && java.util.Objects.equals(keyId, s.keyId)
                && Arrays.equals(nonce, s.nonce) && Arrays.equals(ciphertext, s.ciphertext);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * java.util.Objects.hashCode(keyId) + Arrays.hashCode(nonce)) + Arrays.hashCode(ciphertext);
    }

    @Override
    public String toString() {
        return "SealedSecret[keyId=" + keyId + ", " + plaintextLength() + " bytes, sealed]";
    }
}
