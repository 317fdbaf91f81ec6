package io.keel.meta.model;

import io.keel.meta.secret.SealedSecret;
import io.keel.meta.secret.Secret;
import io.keel.meta.secret.SecretBox;
import java.util.Arrays;

/**
 * CHAP settings of an iSCSI target. One-way: the initiator must log in as {@code username} with
 * {@code secret}. Mutual (optional, both {@code null} when off): the target answers the
 * initiator's challenge as {@code mutualUsername} with {@code mutualSecret}. Secrets are held
 * sealed by the cluster's {@link SecretBox}, bound to the target's IQN and direction.
 */
public record ChapCredentials(String username, SealedSecret secret, String mutualUsername,
        SealedSecret mutualSecret) {

    /**
     * The name discovery sessions' credentials are sealed for, in place of a target's IQN (it can
     * be no target's: an iSCSI name starts with iqn., eui. or naa.).
     */
    public static final String DISCOVERY = "discovery";

    /** Fewest secret bytes: RFC 7143 §12.1.3 requires at least 96 bits for CHAP secrets. */
    public static final int MIN_SECRET_BYTES = 12;
    /** Most secret bytes: the Microsoft and VMware initiators accept at most 16. */
    public static final int MAX_SECRET_BYTES = 16;

    /**
     * Seals plaintext secrets for target {@code iqn}; {@code mutualUsername} and
     * {@code mutualSecret} may be {@code null}. Refuses bad lengths and a mutual secret equal to
     * the one-way secret (RFC 7143 §12.1.3 forbids reusing a secret in both directions), which
     * the state machine cannot check since it never sees plaintext.
     */
    public static ChapCredentials seal(final SecretBox box, final String iqn, final String username,
            final byte[] secret, final String mutualUsername, final byte[] mutualSecret) {
        checkLength("CHAP secret", secret);
        if ((mutualUsername == null) != (mutualSecret == null)) {
            throw new IllegalArgumentException("mutual CHAP needs both a username and a secret");
        }
        SealedSecret sealedMutual = null;
        if (mutualSecret != null) {
            checkLength("mutual CHAP secret", mutualSecret);
            if (Arrays.equals(secret, mutualSecret)) {
                throw new IllegalArgumentException("the mutual CHAP secret must differ from the CHAP secret");
            }
            sealedMutual = box.seal(mutualSecret, context(iqn, true));
        }
        return new ChapCredentials(username, box.seal(secret, context(iqn, false)), mutualUsername, sealedMutual);
    }

    /** The one-way secret in plaintext, for the iSCSI target serving {@code iqn}. */
    public Secret openSecret(final SecretBox box, final String iqn) {
        return box.open(secret, context(iqn, false));
    }

    /** The mutual secret in plaintext, or {@code null} when mutual CHAP is off. */
    public Secret openMutualSecret(final SecretBox box, final String iqn) {
        return mutualSecret == null ? null : box.open(mutualSecret, context(iqn, true));
    }

    /** Whether mutual CHAP is configured. */
    public boolean mutual() {
        return mutualSecret != null;
    }

    /** The additional authenticated data a target's secret is sealed with. */
    public static String context(final String iqn, final boolean mutual) {
        return "keel-chap:" + (mutual ? "mutual:" : "oneway:") + iqn;
    }

    private static void checkLength(final String what, final byte[] s) {
        if (s == null || s.length < MIN_SECRET_BYTES || s.length > MAX_SECRET_BYTES) {
            throw new IllegalArgumentException(what + " must be " + MIN_SECRET_BYTES + " to " + MAX_SECRET_BYTES
                    + " bytes, got " + (s == null ? "none" : s.length));
        }
    }
}
