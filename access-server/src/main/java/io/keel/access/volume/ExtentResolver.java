package io.keel.access.volume;

import java.io.IOException;

/**
 * Finds the store for an extent of a volume, from the meta server's placement. The client asks
 * again (with {@code stale} set to what it had) when a store answers that the epoch moved on or
 * the extent is not where it was.
 */
public interface ExtentResolver {

    /**
     * The extent with {@code index} of {@code volume}; {@code stale} is the resolution that just
     * failed, or {@code null}.
     */
    ResolvedExtent resolve(VolumeLayout volume, long index, ResolvedExtent stale) throws IOException;
}
