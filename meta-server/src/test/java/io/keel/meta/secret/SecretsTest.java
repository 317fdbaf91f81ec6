package io.keel.meta.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.meta.command.CommandCodec;
import io.keel.meta.command.CreateTarget;
import io.keel.meta.command.SetAdminCredential;
import io.keel.meta.model.ChapCredentials;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsTest {

    private static final String IQN = "iqn.2025-01.io.keel:t1";
    private static final byte[] SECRET = "s3cr3t-p4ssw0rd".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    @Test
    void chapSecretsRoundTripOnlyUnderTheSameKeyAndTarget() throws Exception {
        final byte[] key = SecretBox.generateKey();
        final SecretBox box = new SecretBox(key);
        final ChapCredentials chap = ChapCredentials.seal(box, IQN, "user", SECRET, "target",
                "other-s3cret".getBytes(StandardCharsets.US_ASCII));
        try (Secret s = chap.openSecret(box, IQN)) {
            assertThat(s.bytes()).isEqualTo(SECRET);
        }
        assertThat(chap.openMutualSecret(box, IQN).bytes()).isEqualTo("other-s3cret".getBytes());
        // The same key read from a hex file opens it; another key or another target does not.
        Files.writeString(dir.resolve("key"), HexFormat.of().formatHex(key) + "\n");
        assertThat(chap.openSecret(SecretBox.fromFile(dir.resolve("key")), IQN).bytes()).isEqualTo(SECRET);
        assertThatThrownBy(() -> chap.openSecret(new SecretBox(SecretBox.generateKey()), IQN))
                .isInstanceOf(SecretException.class).hasMessageContaining("sealed with cluster key");
        assertThatThrownBy(() -> chap.openSecret(box, "iqn.2025-01.io.keel:t2")).isInstanceOf(SecretException.class)
                .hasMessageContaining("does not authenticate");
        final byte[] ct = chap.secret().ciphertext();
        ct[0] ^= 1;
        assertThatThrownBy(() -> box.open(new SealedSecret(box.keyId(), chap.secret().nonce(), ct),
                ChapCredentials.context(IQN, false))).isInstanceOf(SecretException.class);
    }

    @Test
    void nothingPrintsOrEncodesAPlaintextSecret() {
        final SecretBox box = new SecretBox(SecretBox.generateKey());
        final ChapCredentials chap = ChapCredentials.seal(box, IQN, "user", SECRET, null, null);
        final CreateTarget cmd = new CreateTarget("c1", IQN, null, List.of(), List.of(), chap, 0);
        final String entry = new String(CommandCodec.encode(cmd), StandardCharsets.UTF_8);
        assertThat(entry).doesNotContain("s3cr3t");
        assertThat(cmd.toString()).doesNotContain("s3cr3t").contains("15 bytes, sealed");
        assertThat(chap.openSecret(box, IQN).toString()).isEqualTo("Secret[redacted]");
        assertThat(box.toString()).startsWith("SecretBox[keyId=");
        final AdminCredential admin = AdminCredential.create("admin", "pw".toCharArray(), 1000, 0);
        assertThat(new SetAdminCredential("c2", admin).toString()).contains("salt and hash redacted")
                .doesNotContain(HexFormat.of().formatHex(admin.hash()));
    }

    @Test
    void chapSealRefusesBadSecrets() {
        final SecretBox box = new SecretBox(SecretBox.generateKey());
        assertThatThrownBy(() -> ChapCredentials.seal(box, IQN, "u", new byte[11], null, null))
                .hasMessageContaining("12 to 16 bytes, got 11");
        assertThatThrownBy(() -> ChapCredentials.seal(box, IQN, "u", SECRET, "t", SECRET))
                .hasMessageContaining("must differ");
        assertThatThrownBy(() -> new SecretBox(new byte[16])).hasMessageContaining("32 bytes, got 16");
    }

    @Test
    void adminPasswordHashVerifies() {
        final AdminCredential a = AdminCredential.create("admin", "correct horse".toCharArray(), 1000, 5);
        assertThat(a.verify("correct horse".toCharArray())).isTrue();
        assertThat(a.verify("correct hors".toCharArray())).isFalse();
        assertThat(a.salt()).hasSize(AdminCredential.SALT_BYTES);
        assertThat(AdminCredential.create("admin", "correct horse".toCharArray(), 1000, 5).hash())
                .isNotEqualTo(a.hash());
    }
}
