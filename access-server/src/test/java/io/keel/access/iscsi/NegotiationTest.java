package io.keel.access.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.access.iscsi.login.ChapAuthenticator;
import io.keel.access.iscsi.login.LoginException;
import io.keel.access.iscsi.login.LoginStatus;
import io.keel.access.iscsi.login.OperationalNegotiator;
import io.keel.access.iscsi.login.SessionParams;
import io.keel.access.iscsi.login.TextKeys;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Key negotiation rules (RFC 7143 §6, §13), text encoding and CHAP. */
class NegotiationTest {

    private final SessionParams params = new SessionParams();
    private final OperationalNegotiator negotiator = new OperationalNegotiator(PortalConfig.defaults(), params);

    @Test
    void textPairsRoundTrip() throws Exception {
        byte[] encoded = TextKeys.encode(List.of(Map.entry("A", "1"), Map.entry("TargetName", "iqn.x:y=z")));
        assertThat(new String(encoded)).isEqualTo("A=1\0TargetName=iqn.x:y=z\0");
        assertThat(TextKeys.parse(encoded)).containsExactly(Map.entry("A", "1"), Map.entry("TargetName", "iqn.x:y=z"));
        assertThat(TextKeys.parse("Empty=\0\0".getBytes())).containsExactly(Map.entry("Empty", ""));
        assertThatThrownBy(() -> TextKeys.parse("novalue\0".getBytes())).isInstanceOf(LoginException.class);
        assertThatThrownBy(() -> TextKeys.parse(("K".repeat(64) + "=1\0").getBytes()))
                .isInstanceOf(LoginException.class);
    }

    @Test
    void binaryValues() throws Exception {
        assertThat(TextKeys.decodeBinary("0x0a0B")).containsExactly(10, 11);
        assertThat(TextKeys.decodeBinary("0xabc")).containsExactly(0x0a, 0xbc);
        assertThat(TextKeys.decodeBinary("0b" + Base64.getEncoder().encodeToString(new byte[] {1, 2, 3})))
                .containsExactly(1, 2, 3);
        assertThatThrownBy(() -> TextKeys.decodeBinary("1234")).isInstanceOf(LoginException.class);
        assertThatThrownBy(() -> TextKeys.decodeBinary("0xzz")).isInstanceOf(LoginException.class);
        assertThatThrownBy(() -> TextKeys.decodeBinary("0b!!")).isInstanceOf(LoginException.class);
    }

    @Test
    void listKeysPickTheInitiatorsFirstSupportedValue() throws Exception {
        assertThat(negotiator.respond("HeaderDigest", "CRC32C,None")).isEqualTo("CRC32C");
        assertThat(negotiator.respond("DataDigest", "Foo,None,CRC32C")).isEqualTo("None");
        assertThat(params.headerDigest).isTrue();
        assertThat(params.dataDigest).isFalse();
        assertThat(new OperationalNegotiator(PortalConfig.defaults(), new SessionParams())
                .respond("HeaderDigest", "MD5")).isEqualTo("Reject");
    }

    @Test
    void numericalKeys() throws Exception {
        assertThat(negotiator.respond("MaxBurstLength", "33554431")).isEqualTo("Reject");
        assertThat(negotiator.respond("FirstBurstLength", "1048576")).isEqualTo("262144");
        assertThat(negotiator.respond("MaxOutstandingR2T", "1")).isEqualTo("1");
        assertThat(negotiator.respond("MaxConnections", "4")).isEqualTo("1");
        assertThat(negotiator.respond("ErrorRecoveryLevel", "1")).isEqualTo("0");
        assertThat(negotiator.respond("DefaultTime2Wait", "10")).isEqualTo("10");
        assertThat(negotiator.respond("DefaultTime2Retain", "20")).isEqualTo("0");
        assertThat(negotiator.respond("MaxRecvDataSegmentLength", "65536")).isNull();
        assertThat(params.sendDataSegmentLength).isEqualTo(65536);
        assertThat(params.maxBurstLength).isEqualTo(262144);
        negotiator.finish();
        assertThat(params.firstBurstLength).isLessThanOrEqualTo(params.maxBurstLength);
        assertThat(new OperationalNegotiator(PortalConfig.defaults(), new SessionParams())
                .respond("MaxRecvDataSegmentLength", "100")).isEqualTo("Reject");
        assertThat(new OperationalNegotiator(PortalConfig.defaults(), new SessionParams())
                .respond("MaxBurstLength", "lots")).isEqualTo("Reject");
    }

    @Test
    void booleanKeys() throws Exception {
        assertThat(negotiator.respond("InitialR2T", "No")).isEqualTo("No");
        assertThat(negotiator.respond("ImmediateData", "Yes")).isEqualTo("Yes");
        assertThat(negotiator.respond("DataPDUInOrder", "No")).isEqualTo("Yes");
        assertThat(negotiator.respond("DataSequenceInOrder", "No")).isEqualTo("Yes");
        assertThat(negotiator.respond("IFMarker", "Yes")).isEqualTo("No");
        assertThat(negotiator.respond("OFMarkInt", "1~65535")).isEqualTo("Irrelevant");
        assertThat(negotiator.respond("X-vendor", "1")).isEqualTo("NotUnderstood");
        SessionParams other = new SessionParams();
        OperationalNegotiator strict = new OperationalNegotiator(PortalConfig.defaults()
                .withTransfer(8192, 65536, 8192, false, true), other);
        assertThat(strict.respond("InitialR2T", "No")).isEqualTo("Yes");
        assertThat(strict.respond("ImmediateData", "Yes")).isEqualTo("No");
        assertThat(strict.respond("MaxBurstLength", "1048576")).isEqualTo("65536");
        assertThat(strict.respond("DataPDUInOrder", "maybe")).isEqualTo("Reject");
    }

    @Test
    void aKeyOfferedTwiceIsAnInitiatorError() throws Exception {
        negotiator.respond("MaxBurstLength", "65536");
        assertThatThrownBy(() -> negotiator.respond("MaxBurstLength", "65536"))
                .isInstanceOfSatisfying(LoginException.class,
                    e -> assertThat(e.status()).isEqualTo(LoginStatus.INITIATOR_ERROR));
    }

    private static final ChapSecrets SECRETS = new ChapSecrets("user", "initiator-secret".getBytes(), "target",
            "target-secret-x".getBytes());

    private static Map<String, String> map(final List<Map.Entry<String, String>> pairs) {
        Map<String, String> map = new java.util.HashMap<>();
        pairs.forEach(e -> map.put(e.getKey(), e.getValue()));
        return map;
    }

    private static String answer(final Map<String, String> challenge, final byte[] secret) throws Exception {
        byte[] c = TextKeys.decodeBinary(challenge.get("CHAP_C"));
        return "0x" + HexFormat.of().formatHex(ChapAuthenticator.md5(Integer.parseInt(challenge.get("CHAP_I")),
                secret, c));
    }

    @Test
    void chapCorrectWrongAndUnsupportedAlgorithm() throws Exception {
        ChapAuthenticator chap = new ChapAuthenticator(SECRETS, new SecureRandom());
        Map<String, String> challenge = map(chap.onAlgorithms("6,5,7"));
        assertThat(challenge.get("CHAP_A")).isEqualTo("5");
        assertThat(TextKeys.decodeBinary(challenge.get("CHAP_C"))).hasSize(16);
        assertThat(chap.onResponse("user", answer(challenge, SECRETS.secret()), null, null)).isEmpty();
        assertThat(chap.authenticated()).isTrue();

        ChapAuthenticator wrong = new ChapAuthenticator(SECRETS, new SecureRandom());
        Map<String, String> c2 = map(wrong.onAlgorithms("5"));
        assertThatThrownBy(() -> wrong.onResponse("user", answer(c2, "nope".getBytes()), null, null))
                .isInstanceOfSatisfying(LoginException.class,
                    e -> assertThat(e.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE));
        ChapAuthenticator wrongName = new ChapAuthenticator(SECRETS, new SecureRandom());
        Map<String, String> c3 = map(wrongName.onAlgorithms("5"));
        assertThatThrownBy(() -> wrongName.onResponse("other", answer(c3, SECRETS.secret()), null, null))
                .isInstanceOf(LoginException.class);
        assertThatThrownBy(() -> new ChapAuthenticator(SECRETS, new SecureRandom()).onAlgorithms("6,9"))
                .isInstanceOf(LoginException.class);
        assertThatThrownBy(() -> new ChapAuthenticator(SECRETS, new SecureRandom()).onResponse("user", "0x00",
                null, null)).isInstanceOf(LoginException.class);
    }

    @Test
    void chapSha256WhenTheInitiatorPrefersIt() throws Exception {
        ChapAuthenticator chap = new ChapAuthenticator(SECRETS, new SecureRandom());
        Map<String, String> challenge = map(chap.onAlgorithms("7,5"));
        assertThat(challenge.get("CHAP_A")).isEqualTo("7");
        byte[] c = TextKeys.decodeBinary(challenge.get("CHAP_C"));
        assertThat(c).hasSize(32);
        int id = Integer.parseInt(challenge.get("CHAP_I"));
        byte[] r = java.security.MessageDigest.getInstance("SHA-256").digest(concat(new byte[] {(byte) id},
                SECRETS.secret(), c));
        byte[] mine = new byte[32];
        Map<String, String> reply = map(chap.onResponse("user", TextKeys.encodeHex(r), "3", TextKeys.encodeHex(mine)));
        assertThat(TextKeys.decodeBinary(reply.get("CHAP_R"))).isEqualTo(java.security.MessageDigest
                .getInstance("SHA-256").digest(concat(new byte[] {3}, SECRETS.mutualSecret(), mine)));
        ChapAuthenticator md5Answer = new ChapAuthenticator(SECRETS, new SecureRandom());
        Map<String, String> c2 = map(md5Answer.onAlgorithms("8"));
        assertThat(c2.get("CHAP_A")).isEqualTo("8");
        assertThatThrownBy(() -> md5Answer.onResponse("user", answer(c2, SECRETS.secret()), null, null))
                .isInstanceOf(LoginException.class);
    }

    private static byte[] concat(final byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    @Test
    void mutualChapAnswersTheInitiatorsChallenge() throws Exception {
        ChapAuthenticator chap = new ChapAuthenticator(SECRETS, new SecureRandom());
        Map<String, String> challenge = map(chap.onAlgorithms("5"));
        byte[] mine = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
        Map<String, String> reply = map(chap.onResponse("user", answer(challenge, SECRETS.secret()), "77",
                TextKeys.encodeHex(mine)));
        assertThat(reply.get("CHAP_N")).isEqualTo("target");
        assertThat(TextKeys.decodeBinary(reply.get("CHAP_R")))
                .isEqualTo(ChapAuthenticator.md5(77, SECRETS.mutualSecret(), mine));
        assertThat(chap.mutualDone()).isTrue();
    }

    @Test
    void mutualChapRefusesAReflectedChallenge() throws Exception {
        ChapAuthenticator chap = new ChapAuthenticator(SECRETS, new SecureRandom());
        Map<String, String> challenge = map(chap.onAlgorithms("5"));
        assertThatThrownBy(() -> chap.onResponse("user", answer(challenge, SECRETS.secret()), "1",
                challenge.get("CHAP_C"))).isInstanceOfSatisfying(LoginException.class,
                    e -> assertThat(e.getMessage()).contains("reflects"));
    }

    @Test
    void mutualChapWithoutTargetSecretFails() throws Exception {
        ChapSecrets oneWay = new ChapSecrets("user", "initiator-secret".getBytes(), null, null);
        ChapAuthenticator chap = new ChapAuthenticator(oneWay, new SecureRandom());
        Map<String, String> challenge = map(chap.onAlgorithms("5"));
        assertThatThrownBy(() -> chap.onResponse("user", answer(challenge, oneWay.secret()), "1", "0x0102"))
                .isInstanceOfSatisfying(LoginException.class,
                    e -> assertThat(e.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE));
        assertThat(oneWay.toString()).doesNotContain("initiator-secret");
    }
}
