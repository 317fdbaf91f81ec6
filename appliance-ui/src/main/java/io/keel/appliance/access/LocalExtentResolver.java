package io.keel.appliance.access;

import io.keel.access.volume.ExtentResolver;
import io.keel.access.volume.ResolvedExtent;
import io.keel.access.volume.VolumeLayout;
import io.keel.appliance.chunk.ChunkRole;
import io.keel.appliance.chunk.ChunkRole.OpenStore;
import io.keel.chunk.store.ExtentNotFoundException;
import io.keel.meta.model.Extent;
import io.keel.meta.server.MetaService;
import java.io.IOException;
import java.util.Comparator;

/**
 * Resolves a volume's extents to this node's chunk stores from the meta server's placement: the
 * store that already holds the extent, else (first write) the store with the most free blocks.
 * An extent whose replicas are all on other nodes cannot be served yet: the chunk stores are not
 * reachable over the node RPC until replication arrives, so that is reported as an I/O error that
 * names where the replicas are.
 */
public final class LocalExtentResolver implements ExtentResolver {

    private final MetaService meta;
    private final String nodeId;
    private final ChunkRole chunks;

    /** A resolver for node {@code nodeId}; {@code chunks} is null when the node has no chunk role. */
    public LocalExtentResolver(final MetaService meta, final String nodeId, final ChunkRole chunks) {
        this.meta = meta;
        this.nodeId = nodeId;
        this.chunks = chunks;
    }

    @Override
    public ResolvedExtent resolve(final VolumeLayout volume, final long index, final ResolvedExtent stale)
            throws IOException {
        Extent extent = meta.read(view -> view.extentAt(volume.volumeId(), index)).orElseThrow(() ->
                new IOException("volume " + volume.volumeId() + " has no extent " + index + " in the metadata"));
        if (chunks == null || !extent.replicas().contains(nodeId)) {
            throw new IOException("volume " + volume.volumeId() + " extent " + index + " (id " + extent.id()
                    + ") has its replicas on nodes " + extent.replicas() + ", not on this node " + nodeId
                    + "; reaching chunk stores on other nodes is not built yet");
        }
        OpenStore holder = null;
        for (OpenStore open : chunks.stores()) {
            if (holds(open, extent.id())) {
                holder = open;
                break;
            }
        }
        if (holder == null) {
            holder = chunks.stores().stream().max(Comparator.comparingLong(open -> open.store().stats().freeBlocks()))
                    .orElseThrow(() -> new IOException("node " + nodeId + " has no data devices"));
        }
        if (holder.store().extentSize() != volume.extentSize()) {
            throw new IOException("volume " + volume.volumeId() + " has " + volume.extentSize()
                    + "-byte extents but data device " + holder.path() + " was formatted for "
                    + holder.store().extentSize() + "-byte extents");
        }
        return new ResolvedExtent(extent.id(), extent.epoch(), holder.store(), "node " + nodeId + " device "
                + holder.path());
    }

    private static boolean holds(final OpenStore open, final long extentId) throws IOException {
        try {
            open.store().info(extentId);
            return true;
        } catch (ExtentNotFoundException e) {
            return false;
        }
    }
}
