package io.keel.meta.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodecTest {

    private static final List<byte[]> ENTRIES = List.of("alpha".getBytes(StandardCharsets.UTF_8), new byte[0],
            "gamma-gamma".getBytes(StandardCharsets.UTF_8));

    @Test
    void batchRoundTrips() {
        byte[] data = BatchCodec.encode(7, 42, ENTRIES);
        assertThat(data).hasSize(BatchCodec.encodedSize(ENTRIES));
        BatchCodec.Batch batch = BatchCodec.decode("b", data);
        assertThat(batch.term()).isEqualTo(7);
        assertThat(batch.firstIndex()).isEqualTo(42);
        assertThat(batch.lastIndex()).isEqualTo(44);
        assertThat(batch.entries()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(batch.entries().get(i)).isEqualTo(ENTRIES.get(i));
        }
    }

    @Test
    void everyFlippedBitOrCutIsRefused() {
        byte[] data = BatchCodec.encode(7, 42, ENTRIES);
        for (int i = 0; i < data.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = data.clone();
                bad[i] ^= (byte) (1 << bit);
                assertThatThrownBy(() -> BatchCodec.decode("b", bad)).isInstanceOf(LogFormatException.class);
            }
        }
        for (int len = 0; len < data.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(data, len);
            assertThatThrownBy(() -> BatchCodec.decode("b", cut)).isInstanceOf(LogFormatException.class);
        }
        assertThatThrownBy(() -> BatchCodec.decode("b", null)).hasMessageContaining("truncated");
    }

    @Test
    void snapshotMarkerRoundTripsAndRefusesDamage() {
        SnapshotCodec.Marker marker = new SnapshotCodec.Marker(100, 3, 4, 4000, 0x1234);
        byte[] data = SnapshotCodec.encode(marker);
        assertThat(SnapshotCodec.decode("m", data)).isEqualTo(marker);
        for (int i = 0; i < data.length; i++) {
            byte[] bad = data.clone();
            bad[i] ^= 1;
            assertThatThrownBy(() -> SnapshotCodec.decode("m", bad)).isInstanceOf(LogFormatException.class);
        }
    }

    @Test
    void termRecordRoundTrips() {
        LeaderInfo info = new LeaderInfo(5, "m1", "10.0.0.1:7000");
        assertThat(TermCodec.decode("t", TermCodec.encode(info))).isEqualTo(info);
        assertThatThrownBy(() -> TermCodec.decode("t", "{\"format\":9,\"term\":1}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(LogFormatException.class);
        assertThatThrownBy(() -> TermCodec.decode("t", "nonsense".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(LogFormatException.class);
    }

    @Test
    void namesSortByIndex() {
        assertThat(LogPaths.batchName(9).compareTo(LogPaths.batchName(10))).isNegative();
        assertThat(LogPaths.parseBatch(LogPaths.batchName(123))).contains(123L);
        assertThat(LogPaths.parseBatch("b-12")).isEmpty();
        assertThat(LogPaths.parseSnapshot(LogPaths.snapshotName(77, 3))).hasValueSatisfying(it -> {
            assertThat(it[0]).isEqualTo(77);
            assertThat(it[1]).isEqualTo(3);
        });
        assertThat(LogPaths.parseSnapshot("s-1")).isEmpty();
    }

    @Test
    void configIsChecked() {
        MetaLogConfig ok = MetaLogConfig.defaults("m1", "10.0.0.1:7000");
        assertThat(ok.maxEntryBytes()).isEqualTo(512 * 1024 - BatchCodec.OVERHEAD - BatchCodec.PER_ENTRY);
        assertThatThrownBy(() -> MetaLogConfig.defaults("", "a")).hasMessageContaining("memberId");
        assertThatThrownBy(() -> ok.withBasePath("meta")).hasMessageContaining("basePath");
        assertThatThrownBy(() -> ok.withBatching(0, 4096, Duration.ZERO)).hasMessageContaining("maxBatchEntries");
        assertThatThrownBy(() -> ok.withBatching(10, 2 << 20, Duration.ZERO)).hasMessageContaining("maxBatchBytes");
        assertThatThrownBy(() -> ok.withBatching(10, 4096, Duration.ofSeconds(5))).hasMessageContaining("maxBatchWait");
        assertThatThrownBy(() -> ok.withSnapshots(0, 4096)).hasMessageContaining("snapshotEveryEntries");
        assertThatThrownBy(() -> ok.withSnapshots(10, 2 << 20)).hasMessageContaining("snapshotChunkBytes");
        assertThatThrownBy(() -> ok.withPollInterval(Duration.ofMillis(1))).hasMessageContaining("pollInterval");
    }
}
