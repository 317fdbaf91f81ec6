package io.keel.meta.store;

import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.MetaJson;
import io.keel.meta.model.ChapCredentials;
import io.keel.meta.model.Disk;
import io.keel.meta.model.DiskRole;
import io.keel.meta.model.Extent;
import io.keel.meta.model.IscsiTarget;
import io.keel.meta.model.Node;
import io.keel.meta.model.Pool;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.Snapshot;
import io.keel.meta.model.Volume;
import io.keel.meta.secret.AdminCredential;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** {@link MetaReader} over any {@link Kv}: the same code answers views and the applier's checks. */
class StateReader implements MetaReader {

    final Kv kv;

    StateReader(final Kv kv) {
        this.kv = kv;
    }

    <T> Optional<T> value(final byte[] key, final Class<T> type) {
        final byte[] v = kv.get(key);
        return v == null ? Optional.empty() : Optional.of(MetaJson.fromBytes(v, type));
    }

    <T> List<T> values(final byte[] prefix, final Class<T> type) {
        final List<T> out = new ArrayList<>();
        kv.scan(prefix, (k, v) -> out.add(MetaJson.fromBytes(v, type)));
        return out;
    }

    /** The suffixes of the index keys under {@code prefix}, resolved through {@code lookup}. */
    <T> List<T> indexed(final byte[] prefix, final Function<String, Optional<T>> lookup) {
        final List<String> ids = new ArrayList<>();
        kv.scan(prefix, (k, v) -> ids.add(Keys.suffix(k, prefix)));
        return ids.stream().map(lookup).flatMap(Optional::stream).toList();
    }

    long counter(final byte[] key) {
        final byte[] v = kv.get(key);
        return v == null ? 0 : Keys.u64(v);
    }

    @Override
    public long appliedIndex() {
        return counter(Keys.APPLIED);
    }

    @Override
    public Optional<Node> node(final String id) {
        return value(Keys.node(id), Node.class);
    }

    @Override
    public Optional<Node> nodeByName(final String name) {
        final byte[] id = kv.get(Keys.nodeName(name));
        return id == null ? Optional.empty() : node(Keys.utf8(id));
    }

    @Override
    public List<Node> nodes() {
        return values(Keys.NODES, Node.class);
    }

    @Override
    public Optional<Disk> disk(final String id) {
        return value(Keys.disk(id), Disk.class);
    }

    @Override
    public List<Disk> disks() {
        return values(Keys.DISKS, Disk.class);
    }

    @Override
    public List<Disk> disksOf(final String nodeId) {
        return indexed(Keys.nodeDisks(nodeId), this::disk);
    }

    @Override
    public long placedBytes(final String nodeId) {
        return counter(Keys.nodePlaced(nodeId));
    }

    @Override
    public Optional<Pool> pool(final String name) {
        return value(Keys.pool(name), Pool.class);
    }

    @Override
    public List<Pool> pools() {
        return values(Keys.POOLS, Pool.class);
    }

    @Override
    public Optional<Volume> volume(final String id) {
        return value(Keys.volume(id), Volume.class);
    }

    @Override
    public Optional<Volume> volumeByName(final String name) {
        final byte[] id = kv.get(Keys.volumeName(name));
        return id == null ? Optional.empty() : volume(Keys.utf8(id));
    }

    @Override
    public List<Volume> volumes() {
        return values(Keys.VOLUMES, Volume.class);
    }

    @Override
    public List<Volume> volumesOf(final String pool) {
        return indexed(Keys.poolVolumes(pool), this::volume);
    }

    @Override
    public Optional<Extent> extent(final long id) {
        return value(Keys.extent(id), Extent.class);
    }

    @Override
    public List<Extent> extentsOf(final String volumeId) {
        final List<Long> ids = new ArrayList<>();
        kv.scan(Keys.volumeExtents(volumeId), (k, v) -> ids.add(Keys.u64(v)));
        return ids.stream().map(this::extent).flatMap(Optional::stream).toList();
    }

    @Override
    public Optional<Extent> extentAt(final String volumeId, final long index) {
        final byte[] id = kv.get(Keys.volumeExtent(volumeId, index));
        return id == null ? Optional.empty() : extent(Keys.u64(id));
    }

    @Override
    public Optional<Snapshot> snapshot(final String id) {
        return value(Keys.snapshot(id), Snapshot.class);
    }

    @Override
    public List<Snapshot> snapshotsOf(final String volumeId) {
        final List<String> ids = new ArrayList<>();
        kv.scan(Keys.volumeSnapshots(volumeId), (k, v) -> ids.add(Keys.utf8(v)));
        return ids.stream().map(this::snapshot).flatMap(Optional::stream).toList();
    }

    @Override
    public List<Extent> snapshotExtents(final String snapshotId) {
        return snapshot(snapshotId).map(s -> s.extentIds().stream().map(this::extent).flatMap(Optional::stream)
                .toList()).orElse(List.of());
    }

    @Override
    public Optional<IscsiTarget> target(final String iqn) {
        return value(Keys.target(iqn), IscsiTarget.class);
    }

    @Override
    public List<IscsiTarget> targets() {
        return values(Keys.TARGETS, IscsiTarget.class);
    }

    @Override
    public List<IscsiTarget> targetsExporting(final String volumeId) {
        return indexed(Keys.volumeTargets(volumeId), this::target);
    }

    @Override
    public byte[] scsiReservations(final String volumeId) {
        final byte[] state = kv.get(Keys.scsiReservations(volumeId));
        return state == null ? Keys.EMPTY.clone() : state;
    }

    @Override
    public Optional<AdminCredential> adminCredential() {
        return value(Keys.ADMIN, AdminCredential.class);
    }

    @Override
    public Optional<ChapCredentials> discoveryChap() {
        return value(Keys.DISCOVERY_CHAP, ChapCredentials.class);
    }

    @Override
    public Optional<ChangeResult> result(final String changeId) {
        return value(Keys.result(changeId), ChangeResult.class);
    }

    @Override
    public Optional<PoolUsage> poolUsage(final String name) {
        return pool(name).map(p -> {
            long count = 0;
            long provisioned = 0;
            long reserved = 0;
            for (Volume v : volumesOf(name)) {
                count++;
                provisioned += v.sizeBytes();
                reserved += reservation(v, p);
            }
            return new PoolUsage(name, count, provisioned, reserved);
        });
    }

    @Override
    public ClusterCapacity capacity() {
        long data = 0;
        for (Disk d : disks()) {
            if (d.role() == DiskRole.DATA) {
                data += d.capacityBytes();
            }
        }
        final long reserved = thickReserved();
        return new ClusterCapacity(data, reserved, Math.max(0, data - reserved));
    }

    long thickReserved() {
        final Map<String, Pool> pools = new HashMap<>();
        long reserved = 0;
        for (Volume v : volumes()) {
            final Pool p = pools.computeIfAbsent(v.pool(), n -> pool(n).orElse(null));
            reserved += p == null ? 0 : reservation(v, p);
        }
        return reserved;
    }

    /** Raw bytes a volume reserves: size times replication factor if thick, else nothing. */
    static long reservation(final Volume v, final Pool p) {
        return v.provisioning() == Provisioning.THICK ? v.sizeBytes() * p.replicationFactor() : 0;
    }

    @Override
    public List<Extent> underReplicatedExtents(final Set<String> downNodeIds) {
        final List<Extent> out = new ArrayList<>();
        if (downNodeIds.isEmpty()) {
            return out;
        }
        kv.scan(Keys.EXTENTS, (k, v) -> {
            final Extent e = MetaJson.fromBytes(v, Extent.class);
            if (e.replicas().stream().anyMatch(downNodeIds::contains)) {
                out.add(e);
            }
            return true;
        });
        return out;
    }

    @Override
    public List<Extent> underReplicatedExtents() {
        return underReplicatedExtents(nodes().stream().filter(n -> !n.up()).map(Node::id)
                .collect(Collectors.toSet()));
    }
}
