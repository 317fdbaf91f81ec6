package io.keel.access.volume;

import io.keel.chunk.store.ExtentStore;

/**
 * Where one extent of a volume lives for this client: its id and epoch from the meta server and
 * the store to send its I/O to.
 *
 * @param extentId the extent's id (the same on every replica)
 * @param epoch the epoch writes carry
 * @param store the chunk store holding (or about to hold) the extent
 * @param where the node and device, for error messages and logs
 */
public record ResolvedExtent(long extentId, long epoch, ExtentStore store, String where) {
}
