package io.keel.tests.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files the conformance gate judges by: the verdict script's own unit tests pass, and the list
 * of tests Keel is expected not to pass names none that tgtd really passes in its baseline (the
 * issue asks Keel to pass every one of those).
 */
class ConformanceListsTest {

    private static final Path ISCSI_DIR = Path.of(System.getProperty("keel.home", ".."), "tests", "iscsi");

    @TempDir
    Path dir;

    @Test
    void theVerdictScriptPassesItsUnitTests() throws Exception {
        IscsiNode.assumeInstalled("python3");
        IscsiNode.Run tests = IscsiNode.run(dir.resolve("unittest.out"), 120, List.of("python3", "-m", "unittest",
                "discover", "-s", ISCSI_DIR.toString(), "-p", "test_*.py"));
        assertThat(tests.exit()).as(tests.output()).isZero();
        assertThat(tests.output()).contains("OK");
    }

    @Test
    void noTestTgtdReallyPassesIsExpectedToFailOnKeel() throws IOException {
        Map<String, String> tgtd = entries(ISCSI_DIR.resolve("tgtd-baseline.txt"));
        for (String list : List.of("keel-expected.txt", "keel-expected-512n.txt", "keel-expected-512e.txt")) {
            List<String> expected = entries(ISCSI_DIR.resolve(list)).keySet().stream().sorted().toList();
            assertThat(expected).as(list).isNotEmpty();
            for (String test : expected) {
                String baseline = tgtd.get(test);
                assertThat(baseline).as("%s: %s is a test of the suite (tgtd-baseline.txt lists every one)", list,
                        test).isNotNull();
                boolean reallyPassed = baseline.startsWith("PASSED") && !baseline.contains("really a skip");
                assertThat(reallyPassed).as(list + ": " + test + ": tgtd passes it (" + baseline
                        + "), so Keel must too").isFalse();
            }
        }
    }

    @Test
    void theGeometryListsOnlyAddToTheCommonOne() throws IOException {
        Set<String> common = entries(ISCSI_DIR.resolve("keel-expected.txt")).keySet();
        Set<String> native512 = entries(ISCSI_DIR.resolve("keel-expected-512n.txt")).keySet();
        Set<String> emulated512 = entries(ISCSI_DIR.resolve("keel-expected-512e.txt")).keySet();
        assertThat(native512).as("512n list").doesNotContainAnyElementsOf(common)
                .doesNotContainAnyElementsOf(emulated512);
        assertThat(emulated512).as("512e list").doesNotContainAnyElementsOf(common);
    }

    /** {@code <suite>.<test>} → the rest of its line, for every line of {@code file} that is not a comment. */
    private static Map<String, String> entries(final Path file) throws IOException {
        return Files.readAllLines(file).stream().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                .collect(Collectors.toMap(line -> line.split("\\s+", 2)[0],
                        line -> line.contains(" ") ? line.split("\\s+", 2)[1].strip() : "", (a, b) -> a,
                        java.util.LinkedHashMap::new));
    }
}
