package io.keel.tests.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * libiscsi's conformance suite, {@code iscsi-test-cu -d -S -V -t ALL URL}, each time in one process
 * against a thin LUN of a Keel node, judged by {@code tests/iscsi/cunit_results.py}: a test counts
 * as passed only when it neither failed nor skipped itself; a run fails when a test outside
 * {@code tests/iscsi/keel-expected.txt} and its geometry's list does not pass, when a listed one
 * starts to pass, or when fewer than 200 pass. It runs twice: on a LUN reporting 512-byte physical
 * blocks (512n), where nothing fails, and on one reporting 4096 (512e, the default), where one
 * test whose check assumes one logical block per physical block fails. The multipath tests, which
 * skip without a second path, then run on their own with the URL given twice, and the read-only
 * test against a LUN exported read-only; they must all pass.
 */
@Tag("iscsi-conformance")
class IscsiConformanceTest {

    /** 1 GiB less 4 KiB: at most 0x1fffff blocks of 512 bytes, so READ(6) beyond the end really runs. */
    private static final long LUN_BYTES = (1L << 30) - 4096;
    private static final String IQN = "iqn.2026-12.io.keel.test:conformance";
    private static final Path ISCSI_DIR = Path.of(System.getProperty("keel.home", ".."), "tests", "iscsi");
    private static final Path KEPT = Path.of("target", "iscsi-conformance");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 40, unit = TimeUnit.MINUTES) // about 7 minutes on a quiet machine; the default 5 is too tight
    void libiscsiConformanceSuitePassesWhatKeelPromises() throws Exception {
        IscsiNode.assumeInstalled("iscsi-test-cu", "python3");
        Files.createDirectories(KEPT);
        try (IscsiNode keel = IscsiNode.start("conformance", dir.resolve("node"), 4L << 30)) {
            wholeSuitePasses(keel, "512n", 512);
            String lun = wholeSuitePasses(keel, "512e", 4096);

            // The same LUN URL twice: the multipath tests reach the LUN over two sessions.
            Path multipath = dir.resolve("multipath.out");
            IscsiNode.run(multipath, 600, List.of("iscsi-test-cu", "-d", "-S", "-V", "-t", "ALL.MultipathIO",
                    lun, lun));
            Files.copy(multipath, KEPT.resolve("multipath.out"), StandardCopyOption.REPLACE_EXISTING);
            IscsiNode.Run listed = IscsiNode.run(dir.resolve("multipath.txt"), 60, List.of("python3",
                    ISCSI_DIR.resolve("cunit_results.py").toString(), "--tests", "--reasons", multipath.toString()));
            assertThat(listed.output()).as("MultipathIO on two paths")
                    .contains("MultipathIO.Simple PASSED", "MultipathIO.Reset PASSED",
                            "MultipathIO.CompareAndWrite PASSED", "MultipathIO.CompareAndWriteAsync PASSED");

            // ReadOnly.ReadOnlySBC runs only against a write-protected LUN.
            keel.createVolume("conformance-ro", 64L << 20, true);
            keel.createTarget(IQN + "-ro", "conformance-ro", true, "\"anyInitiator\": true");
            Path readOnly = dir.resolve("read-only.out");
            IscsiNode.run(readOnly, 300, List.of("iscsi-test-cu", "-d", "-S", "-V", "-t", "ALL.ReadOnly",
                    keel.url(IQN + "-ro", 0, null, null)));
            Files.copy(readOnly, KEPT.resolve("read-only.out"), StandardCopyOption.REPLACE_EXISTING);
            IscsiNode.Run readOnlyListed = IscsiNode.run(dir.resolve("read-only.txt"), 60, List.of("python3",
                    ISCSI_DIR.resolve("cunit_results.py").toString(), "--tests", "--reasons", readOnly.toString()));
            assertThat(readOnlyListed.output()).as("ReadOnly on a read-only LUN").contains("ReadOnlySBC PASSED");
        }
    }

    /**
     * Runs the whole suite against a new thin LUN reporting {@code physicalBlockBytes}, keeps its
     * output and verdict as {@code iscsi-test-cu-GEOMETRY.out} and {@code verdict-GEOMETRY.txt},
     * and returns the LUN's URL.
     */
    private String wholeSuitePasses(final IscsiNode keel, final String geometry, final int physicalBlockBytes)
            throws Exception {
        String volume = "conformance-" + geometry;
        String iqn = IQN + "-" + geometry;
        keel.createVolume(volume, LUN_BYTES, true, physicalBlockBytes);
        keel.createTarget(iqn, volume, "\"anyInitiator\": true");
        Path output = dir.resolve("iscsi-test-cu-" + geometry + ".out");
        String lun = keel.url(iqn, 0, null, null);
        IscsiNode.Run suite = IscsiNode.run(output, 1500, List.of("iscsi-test-cu", "-d", "-S", "-V", "-t", "ALL",
                lun));
        Path verdict = dir.resolve("verdict-" + geometry + ".txt");
        IscsiNode.Run judged = IscsiNode.run(verdict, 60, List.of("python3",
                ISCSI_DIR.resolve("cunit_results.py").toString(),
                "--expected", ISCSI_DIR.resolve("keel-expected.txt").toString(),
                "--expected", ISCSI_DIR.resolve("keel-expected-" + geometry + ".txt").toString(),
                "--list", ISCSI_DIR.resolve("fixtures/test-list-1.19.txt").toString(),
                "--lun-blocks", Long.toString(LUN_BYTES / 512),
                "--min-passed", "200", output.toString()));
        Files.copy(output, KEPT.resolve(output.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(verdict, KEPT.resolve(verdict.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        assertThat(judged.exit()).as("%s LUN: iscsi-test-cu exited %d; verdict (output kept in %s):%n%s", geometry,
                suite.exit(), KEPT.toAbsolutePath(), judged.output()).isZero();
        return lun;
    }
}
