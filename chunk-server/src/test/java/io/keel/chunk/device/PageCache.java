package io.keel.chunk.device;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Test helper: asks util-linux fincore how many bytes of a file or block device sit in the page cache. */
final class PageCache {

    private PageCache() {
    }

    static void assumeFincore() {
        boolean found = List.of("/usr/bin/fincore", "/bin/fincore", "/usr/sbin/fincore").stream()
                .anyMatch(p -> Files.isExecutable(Path.of(p)));
        assumeTrue(found, "util-linux fincore is not installed, so page-cache residency cannot be checked");
    }

    static long residentBytes(Path path) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("fincore", "--bytes", "--noheadings", "--output", "RES",
                path.toString()).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        int rc = process.waitFor();
        if (rc != 0) {
            throw new IOException("fincore " + path + " failed (" + rc + "): " + out);
        }
        return Long.parseLong(out);
    }
}
