package io.keel.appliance.api;

import io.keel.appliance.api.Views.LunView;
import io.keel.appliance.api.Views.QosView;
import io.keel.meta.model.ChapCredentials;
import io.keel.meta.model.QosLimits;
import io.keel.meta.secret.Secret;
import io.keel.meta.secret.SecretBox;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/** The JSON bodies the REST API accepts (docs/rest-api.md); unknown fields are refused. */
public final class Requests {

    private Requests() {
    }

    /** {@code POST /pools}. */
    public record NewPool(String name, Integer replicationFactor, String provisioning, String failureDomain,
            QosView qos) {
    }

    /** {@code PATCH /pools/{name}}. */
    public record PoolChange(QosView qos) {
    }

    /** {@code POST /volumes}. */
    public record NewVolume(String name, String pool, Long sizeBytes, String servingNode, Integer physicalBlockBytes) {
    }

    /** {@code PATCH /volumes/{name}}: grow, set the volume's own QoS limits, or return it to its pool's. */
    public record VolumeChange(Long sizeBytes, QosView qos, Boolean poolQos) {
    }

    /** {@code POST /volumes/{name}/snapshots}. */
    public record NewSnapshot(String name) {
    }

    /** {@code POST /targets} and {@code PUT /targets/{iqn}}. */
    public record TargetDefinition(String iqn, String alias, List<LunView> luns, List<String> allowedInitiators,
            Boolean anyInitiator, Chap chap) {
    }

    /** {@code PUT /iscsi/discovery-auth}: the CHAP credentials discovery sessions must use. */
    public record DiscoveryAuth(Chap chap) {
    }

    /** CHAP credentials as a client sends them; the secrets are sealed before they are stored. */
    public record Chap(String username, String secret, String mutualUsername, String mutualSecret) {
        @Override
        public String toString() {
            return "Chap[username=" + username + ", mutualUsername=" + mutualUsername + ", secrets redacted]";
        }
    }

    /**
     * {@code chap} sealed for {@code name} (a target's IQN, or discovery's), or null for none.
     * {@code secret} left out keeps the {@code stored} secret of the same user, and
     * {@code mutualSecret} left out the stored mutual secret of the same mutual user; without
     * {@code mutualUsername} there is no mutual CHAP. {@code what} names the owner in errors.
     */
    static ChapCredentials seal(final SecretBox secrets, final String name, final String what, final Chap chap,
            final ChapCredentials stored) {
        if (chap == null) {
            return null;
        }
        String username = required(chap.username(), "chap.username");
        String mutualUsername = chap.mutualUsername();
        boolean keepSecret = chap.secret() == null;
        boolean keepMutual = mutualUsername != null && chap.mutualSecret() == null;
        if (keepSecret && (stored == null || !username.equals(stored.username()))) {
            throw ApiException.invalid("'chap.secret' is required unless " + what + " keeps its CHAP user '"
                    + (stored == null ? "" : stored.username()) + "'");
        }
        if (keepMutual && (stored == null || !mutualUsername.equals(stored.mutualUsername()))) {
            throw ApiException.invalid("'chap.mutualSecret' is required unless " + what
                    + " keeps its mutual CHAP user '" + (stored == null || !stored.mutual() ? ""
                            : stored.mutualUsername()) + "'");
        }
        try (Secret kept = keepSecret ? stored.openSecret(secrets, name) : null;
                Secret keptMutual = keepMutual ? stored.openMutualSecret(secrets, name) : null) {
            byte[] secret = kept != null ? kept.bytes() : chap.secret().getBytes(StandardCharsets.UTF_8);
            byte[] mutual = keptMutual != null ? keptMutual.bytes() : chap.mutualSecret() == null ? null
                    : chap.mutualSecret().getBytes(StandardCharsets.UTF_8);
            return ChapCredentials.seal(secrets, name, username, secret, mutualUsername, mutual);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(what + ": " + e.getMessage());
        }
    }

    static <T> T required(final T value, final String field) {
        if (value == null) {
            throw ApiException.invalid("'" + field + "' is required");
        }
        return value;
    }

    static <E extends Enum<E>> E parseEnum(final Class<E> type, final String text, final E fallback,
            final String field) {
        if (text == null) {
            return fallback;
        }
        try {
            return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("'" + field + "' must be one of " + List.of(type.getEnumConstants())
                    + ", not '" + text + "'");
        }
    }

    static QosLimits qos(final QosView view) {
        if (view == null) {
            return QosLimits.UNLIMITED;
        }
        if (view.iopsLimit() < 0 || view.bandwidthLimitBytes() < 0) {
            throw ApiException.invalid("QoS limits must be 0 (unlimited) or positive");
        }
        return new QosLimits(view.iopsLimit(), view.bandwidthLimitBytes());
    }
}
