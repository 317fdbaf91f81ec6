package io.keel.bench.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link BenchOptions#parse}: the load modes, and clear refusals of what does not fit. */
class BenchOptionsTest {

    private static BenchOptions parse(final String... args) {
        return BenchOptions.parse(args);
    }

    @Test
    void everyLoadModeParsesAndStartedRequestsAreForRandomReadsAndWrites() {
        for (String threading : new String[] {"jdk", "keel", "platform"}) {
            assertThat(parse("--file", "f", "--workload", "randwrite", "--threading", threading).threading())
                    .isEqualTo(threading);
        }
        assertThat(parse("--file", "f", "--workload", "randread", "--threading", "STARTED").threading())
                .isEqualTo("started");
        assertThat(parse("--file", "f", "--workload", "randwrite", "--threading", "started").threading())
                .isEqualTo("started");
        assertThatThrownBy(() -> parse("--file", "f", "--workload", "seqwrite", "--threading", "started"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--workload randread or randwrite");
        assertThatThrownBy(() -> parse("--file", "f", "--workload", "randread", "--threading", "fibers"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not fibers");
    }

    @Test
    void unknownOptionsAndMissingValuesAreRefusedWithTheUsage() {
        assertThatThrownBy(() -> parse("--file", "f", "--colour", "blue"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown options [colour]")
                .hasMessageContaining("usage:");
        assertThatThrownBy(() -> parse("--file"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad argument '--file'");
        assertThatThrownBy(() -> parse("--workload", "randread"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--file is required");
    }
}
