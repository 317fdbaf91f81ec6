package io.keel.appliance.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.appliance.api.Requests.Chap;
import io.keel.meta.model.ChapCredentials;
import io.keel.meta.secret.Secret;
import io.keel.meta.secret.SecretBox;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How a CHAP request body becomes sealed credentials: what is kept, changed, turned off or refused. */
class ChapRequestTest {

    private static final SecretBox BOX = new SecretBox(new byte[32]);
    private static final String IQN = "iqn.2026-11.io.keel:web";

    private static ChapCredentials seal(final Chap chap, final ChapCredentials stored) {
        return Requests.seal(BOX, IQN, "target '" + IQN + "'", chap, stored);
    }

    private static String open(final ChapCredentials c, final boolean mutual) {
        try (Secret s = mutual ? c.openMutualSecret(BOX, IQN) : c.openSecret(BOX, IQN)) {
            return new String(s.bytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void leftOutSecretsAreKeptForTheSameUsersAndMutualChapFollowsTheRequest() {
        ChapCredentials stored = seal(new Chap("esx", "esx-secret-12", "keel", "keel-secret-1"), null);
        ChapCredentials same = seal(new Chap("esx", null, "keel", null), stored);
        assertThat(open(same, false)).isEqualTo("esx-secret-12");
        assertThat(open(same, true)).isEqualTo("keel-secret-1");

        ChapCredentials newMutual = seal(new Chap("esx", null, "keel", "keel-secret-2"), stored);
        assertThat(open(newMutual, false)).isEqualTo("esx-secret-12");
        assertThat(open(newMutual, true)).isEqualTo("keel-secret-2");

        assertThat(seal(new Chap("esx", null, null, null), stored).mutual()).as("mutual CHAP turned off").isFalse();
        ChapCredentials turnedOn = seal(new Chap("esx", null, "keel2", "keel-secret-3"),
                seal(new Chap("esx", "esx-secret-12", null, null), null));
        assertThat(open(turnedOn, true)).isEqualTo("keel-secret-3");
    }

    @Test
    void aSecretThatCannotBeKeptIsRequired() {
        ChapCredentials stored = seal(new Chap("esx", "esx-secret-12", "keel", "keel-secret-1"), null);
        assertThatThrownBy(() -> seal(new Chap("other", null, null, null), stored))
                .isInstanceOf(ApiException.class).hasMessageContaining("'chap.secret' is required");
        assertThatThrownBy(() -> seal(new Chap("esx", null, "other", null), stored))
                .isInstanceOf(ApiException.class).hasMessageContaining("'chap.mutualSecret' is required");
        assertThatThrownBy(() -> seal(new Chap("esx", null, "keel", null), null))
                .isInstanceOf(ApiException.class).hasMessageContaining("'chap.secret' is required");
        assertThatThrownBy(() -> seal(new Chap("esx", "esx-secret-12", "keel", "esx-secret-12"), null))
                .isInstanceOf(ApiException.class).hasMessageContaining("must differ");
    }
}
