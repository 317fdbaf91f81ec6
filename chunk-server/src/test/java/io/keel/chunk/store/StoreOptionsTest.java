package io.keel.chunk.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.runtime.time.SystemClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StoreOptionsTest {

    @Test
    void defaultsAreValid() {
        StoreOptions defaults = StoreOptions.defaults();
        assertThat(defaults.checkpointThreshold()).isEqualTo(0.5);
        assertThat(defaults.withScrubBytesPerSecond(0).scrubBytesPerSecond()).isZero();
        assertThat(defaults.scrubPassInterval()).isEqualTo(Duration.ofDays(1));
        assertThat(defaults.withScrubPassInterval(Duration.ofDays(7)).scrubPassInterval())
                .isEqualTo(Duration.ofDays(7));
    }

    @Test
    void outOfRangeOptionsAreRefusedSayingWhich() {
        assertThatThrownBy(() -> new StoreOptions(100, Duration.ZERO, 0.5, 0, Duration.ofDays(1),
                SystemClock.INSTANCE, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("journalBatchBytes");
        assertThatThrownBy(() -> new StoreOptions(1 << 20, Duration.ofNanos(-1), 0.5, 0, Duration.ofDays(1),
                SystemClock.INSTANCE, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("journalBatchDelay");
        assertThatThrownBy(() -> StoreOptions.defaults().withCheckpointThreshold(0.95))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("checkpointThreshold");
        assertThatThrownBy(() -> StoreOptions.defaults().withCheckpointThreshold(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("checkpointThreshold");
        assertThatThrownBy(() -> StoreOptions.defaults().withScrubBytesPerSecond(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scrubBytesPerSecond");
        assertThatThrownBy(() -> StoreOptions.defaults().withScrubPassInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scrubPassInterval");
        assertThatThrownBy(() -> StoreOptions.defaults().withScrubPassInterval(Duration.ofHours(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scrubPassInterval");
    }
}
