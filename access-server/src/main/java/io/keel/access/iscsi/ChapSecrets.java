package io.keel.access.iscsi;

/**
 * A target's CHAP secrets in plaintext, as the portal needs them to check and answer challenges
 * (RFC 7143 §12.1.3). Never logged.
 *
 * @param username the name the initiator must give (CHAP_N)
 * @param secret the initiator's secret
 * @param mutualUsername the name the target answers with in mutual CHAP, or {@code null} when mutual CHAP is off
 * @param mutualSecret the target's secret for mutual CHAP, or {@code null}
 */
public record ChapSecrets(String username, byte[] secret, String mutualUsername, byte[] mutualSecret) {

    /** Whether the target must also prove itself to the initiator. */
    public boolean mutual() {
        return mutualSecret != null;
    }

    @Override
    public String toString() {
        return "ChapSecrets[username=" + username + ", mutualUsername=" + mutualUsername + "]";
    }
}
