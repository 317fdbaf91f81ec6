package io.keel.appliance.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Sizes typed by admins: binary units only, and clear errors for anything else. */
class SizesTest {

    @ParameterizedTest
    @CsvSource({
        "4096, 4096",
        "0, 0",
        "64K, 65536",
        "64k, 65536",
        "64KiB, 65536",
        "512M, 536870912",
        "512MiB, 536870912",
        "10G, 10737418240",
        "10GiB, 10737418240",
        "10gib, 10737418240",
        "1T, 1099511627776",
        "1TiB, 1099511627776",
        "1.5G, 1610612736",
        "4096B, 4096",
        "' 8G ', 8589934592",
    })
    void parsesBinaryUnits(final String text, final long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "G", "ten", "-1G", "10X", "10 gigs", "1.5", "0.1K", "99999999999P", "1e3"})
    void refusesWhatIsNotASize(final String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @Test
    void refusesDecimalUnitsAsAmbiguous() {
        assertThatThrownBy(() -> Sizes.parse("10GB")).hasMessage(
                "'10GB' is ambiguous: sizes use binary units, write 10G or 10GiB");
    }

    @ParameterizedTest
    @CsvSource({
        "0, 0 B",
        "512, 512 B",
        "4096, 4 KiB",
        "536870912, 512 MiB",
        "10737418240, 10 GiB",
        "1610612736, 1.5 GiB",
        "1099511627776, 1 TiB",
        "1099511627775, 1 TiB",
    })
    void formatsForPeople(final long bytes, final String text) {
        assertThat(Sizes.format(bytes)).isEqualTo(text);
    }

    @Test
    void aBadSizeOnTheCommandLineIsAUsageErrorBeforeAnyRequest() throws IOException {
        try (FakeApi api = new FakeApi()) {
            CliHarness.Result result = new CliHarness(api).run("volume", "create", "v", "--pool", "p", "--size", "10X");
            assertThat(result.code()).isEqualTo(1);
            assertThat(result.err()).contains("keel: Invalid value for option '--size': '10X' has an unknown unit 'X'")
                    .contains("Try 'keel volume create --help'");
            assertThat(api.requests()).isEmpty();
        }
    }

    @Test
    void aVolumeSizeMustBeAMultipleOf4K() throws IOException {
        try (FakeApi api = new FakeApi()) {
            CliHarness.Result result = new CliHarness(api).run("volume", "create", "v", "--pool", "p",
                    "--size", "1000");
            assertThat(result.code()).isEqualTo(1);
            assertThat(result.err()).contains("not a positive multiple of 4096 bytes");
            assertThat(api.requests()).isEmpty();
        }
    }

    @Test
    void sizeSyntaxIsInTheHelp() {
        CliHarness.Result result = new CliHarness(null).run("volume", "create", "--help");
        assertThat(result.code()).isZero();
        assertThat(result.out().replaceAll("\\s+", " ")).contains("K/KiB, M/MiB, G/GiB, T/TiB")
                .contains("1G = 1GiB = 1024^3 bytes");
    }
}
