package io.keel.access.iscsi.login;

import io.keel.access.iscsi.ChapSecrets;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The target side of one CHAP exchange (RFC 1994 with RFC 7143 §12.1.3): picks the initiator's first
 * algorithm among MD5 (CHAP_A=5, mandatory), SHA-256 (7) and SHA3-256 (8) of RFC 9851, challenges
 * the initiator, checks its response and, for mutual CHAP, answers the initiator's challenge,
 * refusing a challenge that reflects ours. Secrets never leave this class.
 */
public final class ChapAuthenticator {

    /** The CHAP algorithm identifier for MD5. */
    public static final String MD5 = "5";
    /** The CHAP algorithm identifier for SHA-256 (RFC 9851). */
    public static final String SHA256 = "7";
    /** The CHAP algorithm identifier for SHA3-256 (RFC 9851). */
    public static final String SHA3_256 = "8";
    private static final int MAX_CHALLENGE_LENGTH = 1024;

    private enum State { WAIT_ALGORITHM, WAIT_RESPONSE, DONE }

    private final ChapSecrets secrets;
    private final SecureRandom random;
    private State state = State.WAIT_ALGORITHM;
    private String algorithm = MD5;
    private int identifier;
    private byte[] challenge;
    private boolean mutualDone;

    /** An exchange checking against {@code secrets}, drawing challenges from {@code random}. */
    public ChapAuthenticator(final ChapSecrets secrets, final SecureRandom random) {
        this.secrets = secrets;
        this.random = random;
    }

    /** Whether the initiator has proved itself. */
    public boolean authenticated() {
        return state == State.DONE;
    }

    /** Whether the target proved itself to the initiator too. */
    public boolean mutualDone() {
        return mutualDone;
    }

    /** Answers CHAP_A (a list of algorithms): picks MD5 and sends CHAP_I and CHAP_C. */
    public List<Map.Entry<String, String>> onAlgorithms(final String offered) throws LoginException {
        if (state != State.WAIT_ALGORITHM) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "CHAP_A out of sequence");
        }
        algorithm = Arrays.stream(offered.split(",")).filter(a -> a.equals(MD5) || a.equals(SHA256)
                || a.equals(SHA3_256)).findFirst().orElseThrow(() -> new LoginException(
                        LoginStatus.AUTHENTICATION_FAILURE, "no supported CHAP algorithm offered"));
        identifier = random.nextInt(256);
        // The challenge is as long as the digest (16 bytes for MD5, 32 for the SHA-256 family).
        challenge = new byte[algorithm.equals(MD5) ? 16 : 32];
        random.nextBytes(challenge);
        state = State.WAIT_RESPONSE;
        return List.of(Map.entry("CHAP_A", algorithm), Map.entry("CHAP_I", Integer.toString(identifier)),
                Map.entry("CHAP_C", TextKeys.encodeHex(challenge)));
    }

    /**
     * Checks CHAP_N and CHAP_R; with {@code initiatorId}/{@code initiatorChallenge} (both or neither)
     * answers the initiator's challenge with the target's name and response.
     */
    public List<Map.Entry<String, String>> onResponse(final String name, final String response,
            final String initiatorId, final String initiatorChallenge) throws LoginException {
        if (state != State.WAIT_RESPONSE) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "CHAP_R out of sequence");
        }
        if (name == null || response == null) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "CHAP_N or CHAP_R missing");
        }
        byte[] expected = digest(algorithm, identifier, secrets.secret(), challenge);
        byte[] got = TextKeys.decodeBinary(response);
        if (!name.equals(secrets.username()) || !MessageDigest.isEqual(expected, got)) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "CHAP response does not match");
        }
        state = State.DONE;
        if (initiatorId == null && initiatorChallenge == null) {
            return List.of();
        }
        if (initiatorId == null || initiatorChallenge == null) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "mutual CHAP needs both CHAP_I and CHAP_C");
        }
        if (!secrets.mutual()) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "mutual CHAP asked but not configured");
        }
        long id = TextKeys.parseNumber(initiatorId);
        byte[] theirChallenge = TextKeys.decodeBinary(initiatorChallenge);
        if (id < 0 || id > 255 || theirChallenge.length == 0 || theirChallenge.length > MAX_CHALLENGE_LENGTH) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "invalid mutual CHAP challenge");
        }
        if (Arrays.equals(theirChallenge, challenge)) {
            // RFC 7143 §12.1.3: answering our own challenge would let an attacker reflect it back to us.
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "mutual CHAP challenge reflects ours");
        }
        mutualDone = true;
        List<Map.Entry<String, String>> out = new ArrayList<>();
        out.add(Map.entry("CHAP_N", secrets.mutualUsername() == null ? "" : secrets.mutualUsername()));
        out.add(Map.entry("CHAP_R", TextKeys.encodeHex(digest(algorithm, (int) id, secrets.mutualSecret(),
                theirChallenge))));
        return out;
    }

    /** The CHAP MD5 response: MD5(identifier || secret || challenge). */
    public static byte[] md5(final int id, final byte[] secret, final byte[] challenge) {
        return digest(MD5, id, secret, challenge);
    }

    /** The CHAP response with algorithm {@code chapA} (5, 7 or 8): H(identifier || secret || challenge). */
    public static byte[] digest(final String chapA, final int id, final byte[] secret, final byte[] challenge) {
        String name = switch (chapA) {
            case SHA256 -> "SHA-256";
            case SHA3_256 -> "SHA3-256";
            default -> "MD5";
        };
        try {
            MessageDigest md = MessageDigest.getInstance(name);
            md.update((byte) id);
            md.update(secret);
            md.update(challenge);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(name + " is mandatory in every JDK", e);
        }
    }

    /** The secret bytes for a textual secret (UTF-8), for configuration and tests. */
    public static byte[] secretBytes(final String secret) {
        return secret.getBytes(StandardCharsets.UTF_8);
    }
}
