package io.keel.chunk.device;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Test helper: how many bytes of a file or block device sit in the page cache, asked of the kernel
 * with mincore(2) through a read-only mapping ({@link MemorySegment#isLoaded()} on each page).
 * util-linux fincore would do for files, but it sizes its mapping with fstat, which says 0 for a
 * block device, so it reports nothing for /dev/loopN whatever is cached.
 */
final class PageCache {

    private static final int PAGE = 4096;

    private PageCache() {
    }

    /** Resident bytes of {@code [offset, offset + length)} of {@code path}. */
    static long residentBytes(Path path, long offset, long length) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
                Arena arena = Arena.ofConfined()) {
            // Mapping reads nothing: pages are faulted in only when touched, and isLoaded does not touch them.
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, offset, length, arena);
            long resident = 0;
            for (long page = 0; page < length; page += PAGE) {
                if (mapped.asSlice(page, Math.min(PAGE, length - page)).isLoaded()) {
                    resident += PAGE;
                }
            }
            return resident;
        }
    }
}
