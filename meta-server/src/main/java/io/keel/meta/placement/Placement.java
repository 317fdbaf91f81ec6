package io.keel.meta.placement;

import io.keel.meta.command.ExtentPlacement;
import io.keel.meta.model.Disk;
import io.keel.meta.model.DiskRole;
import io.keel.meta.model.Node;
import io.keel.meta.model.NodeRole;
import io.keel.meta.model.Pool;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.Volume;
import io.keel.meta.store.MetaReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Chooses replica nodes for new extents; the leader runs it before appending CreateVolume or
 * ResizeVolume. Rules: the replicas of an extent are on distinct failure domains (a node lacking
 * the pool's rack/site label is its own domain) and on UP nodes; the preferred (serving) node
 * comes first when it is UP and has room, for local reads; every other replica goes to the domain
 * with the most free bytes left after what this request already placed, and within it to the node
 * with the most; ties go to the smaller domain key, then node id. Same inputs, same answer.
 */
public final class Placement {

    private Placement() {
    }

    /** One replica list per extent, leader (first replica) first. */
    public static List<List<String>> place(final PlacementRequest r) throws PlacementException {
        if (r.replicationFactor() < 1 || r.extentCount() < 0 || r.extentSize() <= 0) {
            throw new PlacementException(PlacementException.Reason.INVALID_REQUEST, "replication factor "
                    + r.replicationFactor() + ", " + r.extentCount() + " extents of " + r.extentSize() + " bytes");
        }
        final TreeMap<String, Candidate> up = new TreeMap<>();
        final Map<String, String> domainOf = new HashMap<>();
        for (Candidate c : r.candidates()) {
            if (c.up()) {
                up.put(c.nodeId(), c);
                domainOf.put(c.nodeId(), r.failureDomain().keyOf(c.nodeId(), c.labels()));
            }
        }
        final int domains = new HashSet<>(domainOf.values()).size();
        if (domains < r.replicationFactor()) {
            throw new PlacementException(PlacementException.Reason.TOO_FEW_DOMAINS, "replication factor "
                    + r.replicationFactor() + " needs " + r.replicationFactor() + " distinct "
                    + r.failureDomain().name().toLowerCase(java.util.Locale.ROOT) + " failure domains of UP nodes; "
                    + "there are " + domains);
        }
        final Map<String, Long> remaining = new HashMap<>();
        up.values().forEach(c -> remaining.put(c.nodeId(), c.freeBytes()));
        final List<List<String>> out = new ArrayList<>(r.extentCount());
        for (int i = 0; i < r.extentCount(); i++) {
            final List<String> replicas = placeOne(r, up, domainOf, remaining, i);
            replicas.forEach(n -> remaining.merge(n, -r.extentSize(), Long::sum));
            out.add(List.copyOf(replicas));
        }
        return out;
    }

    private static List<String> placeOne(final PlacementRequest r, final TreeMap<String, Candidate> up,
            final Map<String, String> domainOf, final Map<String, Long> remaining, final int extent)
            throws PlacementException {
        final List<String> chosen = new ArrayList<>(r.replicationFactor());
        final Set<String> usedDomains = new HashSet<>();
        final String preferred = r.preferredNode();
        if (preferred != null && up.containsKey(preferred) && fits(r, remaining.get(preferred))) {
            chosen.add(preferred);
            usedDomains.add(domainOf.get(preferred));
        }
        while (chosen.size() < r.replicationFactor()) {
            // Domain totals over nodes that can still take this extent, in key order for ties.
            final TreeMap<String, Long> domainFree = new TreeMap<>();
            final Map<String, String> bestNode = new HashMap<>();
            for (String node : up.keySet()) {
                final String d = domainOf.get(node);
                final long free = remaining.get(node);
                if (usedDomains.contains(d) || !fits(r, free)) {
                    continue;
                }
                domainFree.merge(d, free, Long::sum);
                final String best = bestNode.get(d);
                if (best == null || remaining.get(best) < free) {
                    bestNode.put(d, node);
                }
            }
            String pick = null;
            long pickFree = Long.MIN_VALUE;
            for (Map.Entry<String, Long> e : domainFree.entrySet()) {
                if (pick == null || e.getValue() > pickFree) {
                    pick = e.getKey();
                    pickFree = e.getValue();
                }
            }
            if (pick == null) {
                throw new PlacementException(PlacementException.Reason.INSUFFICIENT_CAPACITY, "extent " + extent
                        + " of " + r.extentCount() + ": only " + chosen.size() + " of " + r.replicationFactor()
                        + " replicas fit; no other failure domain has a node with " + r.extentSize()
                        + " free bytes");
            }
            chosen.add(bestNode.get(pick));
            usedDomains.add(pick);
        }
        return chosen;
    }

    private static boolean fits(final PlacementRequest r, final long free) {
        return !r.requireRoom() || free >= r.extentSize();
    }

    /** The candidates in a metadata state: every chunk node, its DATA capacity minus its placed bytes. */
    public static List<Candidate> candidates(final MetaReader state) {
        final Map<String, Long> capacity = new HashMap<>();
        for (Disk d : state.disks()) {
            if (d.role() == DiskRole.DATA) {
                capacity.merge(d.nodeId(), d.capacityBytes(), Long::sum);
            }
        }
        final List<Candidate> out = new ArrayList<>();
        for (Node n : state.nodes()) {
            if (!n.roles().contains(NodeRole.CHUNK)) {
                continue; // holds no extents
            }
            out.add(new Candidate(n.id(), n.labels(), n.up(),
                    capacity.getOrDefault(n.id(), 0L) - state.placedBytes(n.id())));
        }
        return out;
    }

    /**
     * The placement a CreateVolume needs, from the state the leader is about to append on.
     * {@code provisioning} {@code null} means the pool's; thick volumes require room.
     */
    public static ExtentPlacement forNewVolume(final MetaReader state, final String poolName, final long sizeBytes,
            final long extentSize, final Provisioning provisioning, final String preferredNode)
            throws PlacementException {
        final Pool pool = state.pool(poolName).orElseThrow(() -> new PlacementException(
                PlacementException.Reason.INVALID_REQUEST, "pool '" + poolName + "' does not exist"));
        final Provisioning p = provisioning == null ? pool.provisioning() : provisioning;
        return plan(state, pool, Volume.extentCount(sizeBytes, extentSize), extentSize, p, preferredNode);
    }

    /** The placement a ResizeVolume to {@code newSizeBytes} needs (empty if no extent is added). */
    public static ExtentPlacement forResize(final MetaReader state, final Volume volume, final long newSizeBytes)
            throws PlacementException {
        final Pool pool = state.pool(volume.pool()).orElseThrow(() -> new PlacementException(
                PlacementException.Reason.INVALID_REQUEST, "pool '" + volume.pool() + "' does not exist"));
        final long added = Volume.extentCount(newSizeBytes, volume.extentSize()) - volume.extentCount();
        return plan(state, pool, Math.max(0, added), volume.extentSize(), volume.provisioning(),
                volume.servingNode());
    }

    private static ExtentPlacement plan(final MetaReader state, final Pool pool, final long count,
            final long extentSize, final Provisioning p, final String preferred) throws PlacementException {
        if (count > Integer.MAX_VALUE || extentSize <= 0) {
            throw new PlacementException(PlacementException.Reason.INVALID_REQUEST, count + " extents of "
                    + extentSize + " bytes");
        }
        return ExtentPlacement.of(place(new PlacementRequest(pool.replicationFactor(), pool.failureDomain(),
                candidates(state), (int) count, extentSize, preferred, p == Provisioning.THICK)));
    }
}
