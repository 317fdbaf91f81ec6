package io.keel.access.iscsi.login;

import io.keel.access.iscsi.PortalConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Answers the operational keys of RFC 7143 §13 against what the portal offers: list keys pick
 * the initiator's first acceptable value, numerical keys take the minimum (or maximum), boolean
 * keys AND or OR, declarative keys are recorded, unknown keys are NotUnderstood and malformed
 * values Reject. The results land in a {@link SessionParams}.
 */
public final class OperationalNegotiator {

    /** Response value for a key we do not know. */
    public static final String NOT_UNDERSTOOD = "NotUnderstood";
    /** Response value for a malformed or unacceptable value. */
    public static final String REJECT = "Reject";
    /** Response value for a key that does not apply. */
    public static final String IRRELEVANT = "Irrelevant";

    private static final int MIN_LENGTH = 512;
    private static final int MAX_LENGTH = (1 << 24) - 1;

    private final PortalConfig config;
    private final SessionParams params;
    private final Set<String> negotiated = new HashSet<>();
    private boolean firstBurstSet;

    /** A negotiator offering {@code config}'s values and writing results into {@code params}. */
    public OperationalNegotiator(final PortalConfig config, final SessionParams params) {
        this.config = config;
        this.params = params;
    }

    /** Whether {@code key} is an operational key this class answers. */
    public static boolean handles(final String key) {
        return switch (key) {
            case "HeaderDigest", "DataDigest", "MaxConnections", "InitialR2T", "ImmediateData",
                    "MaxRecvDataSegmentLength", "MaxBurstLength", "FirstBurstLength", "DefaultTime2Wait",
                    "DefaultTime2Retain", "MaxOutstandingR2T", "DataPDUInOrder", "DataSequenceInOrder",
                    "ErrorRecoveryLevel", "IFMarker", "OFMarker", "OFMarkInt", "IFMarkInt", "InitiatorAlias" -> true;
            default -> false;
        };
    }

    /**
     * The response value for {@code key=value} from the initiator, or {@code null} when the key is
     * declarative and needs no answer. Offering the same key twice in one login is an initiator error.
     */
    public String respond(final String key, final String value) throws LoginException {
        if (!key.equals("InitiatorAlias") && !negotiated.add(key)) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "key " + key + " negotiated twice");
        }
        return switch (key) {
            case "HeaderDigest" -> digest(value, true);
            case "DataDigest" -> digest(value, false);
            case "MaxConnections" -> numeric(value, 1, 65535, v -> "1");
            case "InitialR2T" -> bool(value, v -> yesNo(params.initialR2T = v || config.initialR2T()));
            case "ImmediateData" -> bool(value, v -> yesNo(params.immediateData = v && config.immediateData()));
            case "MaxRecvDataSegmentLength" -> declareSendLength(value);
            case "MaxBurstLength" -> numeric(value, MIN_LENGTH, MAX_LENGTH,
                v -> Integer.toString(params.maxBurstLength = (int) Math.min(v, config.maxBurstLength())));
            case "FirstBurstLength" -> numeric(value, MIN_LENGTH, MAX_LENGTH, v -> {
                firstBurstSet = true;
                return Integer.toString(params.firstBurstLength = (int) Math.min(v, config.firstBurstLength()));
            });
            case "DefaultTime2Wait" -> numeric(value, 0, 3600,
                v -> Integer.toString(params.defaultTime2Wait = (int) Math.max(v, 2)));
            case "DefaultTime2Retain" -> numeric(value, 0, 3600,
                v -> Integer.toString(params.defaultTime2Retain = 0));
            case "MaxOutstandingR2T" -> numeric(value, 1, 65535,
                v -> Integer.toString(params.maxOutstandingR2T = (int) Math.min(v, config.maxOutstandingR2T())));
            case "DataPDUInOrder", "DataSequenceInOrder" -> bool(value, v -> "Yes");
            case "ErrorRecoveryLevel" -> numeric(value, 0, 2, v -> "0");
            case "IFMarker", "OFMarker" -> bool(value, v -> "No");
            case "OFMarkInt", "IFMarkInt" -> IRRELEVANT;
            case "InitiatorAlias" -> null;
            default -> NOT_UNDERSTOOD;
        };
    }

    /** Our MaxRecvDataSegmentLength declaration, made once per login. */
    public String declareRecvLength() {
        params.recvDataSegmentLength = config.maxRecvDataSegmentLength();
        return Integer.toString(config.maxRecvDataSegmentLength());
    }

    /** Settles cross-key rules at the end of negotiation (FirstBurstLength never exceeds MaxBurstLength). */
    public void finish() {
        if (params.firstBurstLength > params.maxBurstLength) {
            params.firstBurstLength = params.maxBurstLength;
        }
        if (!firstBurstSet && params.firstBurstLength > config.firstBurstLength()) {
            params.firstBurstLength = config.firstBurstLength();
        }
        if (params.maxBurstLength > config.maxBurstLength()) {
            params.maxBurstLength = config.maxBurstLength();
        }
    }

    private String declareSendLength(final String value) {
        long v = TextKeys.parseNumber(value);
        if (v < MIN_LENGTH || v > MAX_LENGTH) {
            return REJECT;
        }
        params.sendDataSegmentLength = (int) v;
        return null;
    }

    private String digest(final String value, final boolean header) {
        for (String choice : List.of(value.split(","))) {
            if (choice.equals("None") || choice.equals("CRC32C")) {
                boolean crc = choice.equals("CRC32C");
                if (header) {
                    params.headerDigest = crc;
                } else {
                    params.dataDigest = crc;
                }
                return choice;
            }
        }
        return REJECT;
    }

    private interface NumberRule {
        String apply(long value);
    }

    private interface BoolRule {
        String apply(boolean value);
    }

    private static String numeric(final String value, final long min, final long max, final NumberRule rule) {
        long v = TextKeys.parseNumber(value);
        return v < min || v > max ? REJECT : rule.apply(v);
    }

    private static String bool(final String value, final BoolRule rule) {
        return switch (value) {
            case "Yes" -> rule.apply(true);
            case "No" -> rule.apply(false);
            default -> REJECT;
        };
    }

    private static String yesNo(final boolean value) {
        return value ? "Yes" : "No";
    }
}
