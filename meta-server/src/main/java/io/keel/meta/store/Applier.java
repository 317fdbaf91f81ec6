package io.keel.meta.store;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.CreatePool;
import io.keel.meta.command.CreateSnapshot;
import io.keel.meta.command.CreateTarget;
import io.keel.meta.command.CreateVolume;
import io.keel.meta.command.DeletePool;
import io.keel.meta.command.DeleteSnapshot;
import io.keel.meta.command.DeleteTarget;
import io.keel.meta.command.DeleteVolume;
import io.keel.meta.command.ErrorCode;
import io.keel.meta.command.ExtentPlacement;
import io.keel.meta.command.MetaCommand;
import io.keel.meta.command.MetaJson;
import io.keel.meta.command.RegisterDisk;
import io.keel.meta.command.RegisterNode;
import io.keel.meta.command.RemoveDisk;
import io.keel.meta.command.ReplaceExtentReplicas;
import io.keel.meta.command.ResizeVolume;
import io.keel.meta.command.SetAdminCredential;
import io.keel.meta.command.SetDiscoveryChap;
import io.keel.meta.command.SetNodeState;
import io.keel.meta.command.SetScsiReservations;
import io.keel.meta.command.SetVolumeQos;
import io.keel.meta.command.SetVolumeServingNode;
import io.keel.meta.command.UpdateNodeLabels;
import io.keel.meta.command.UpdatePool;
import io.keel.meta.command.UpdateTarget;
import io.keel.meta.model.Disk;
import io.keel.meta.model.DiskRole;
import io.keel.meta.model.Extent;
import io.keel.meta.model.IscsiTarget;
import io.keel.meta.model.Names;
import io.keel.meta.model.Node;
import io.keel.meta.model.NodeState;
import io.keel.meta.model.Pool;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.Snapshot;
import io.keel.meta.model.Volume;
import io.keel.meta.model.VolumeState;
import io.keel.meta.secret.AdminCredential;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies one command to a transaction: validate everything first, then write. A pure function of
 * (state, command, index): it reads nothing but the transaction, so every replica computes the
 * same writes and the same result. Validation failures throw {@link Rejection}.
 */
final class Applier {

    /** The most extents one volume may have: keeps a CreateVolume entry well under 1 MB. */
    static final long MAX_EXTENTS_PER_VOLUME = 65_536;
    /** Smallest and largest extent sizes (powers of two). */
    static final long MIN_EXTENT_SIZE = 1L << 20;
    static final long MAX_EXTENT_SIZE = 4L << 30;
    static final long SECTOR = 4096;

    private final OverlayKv tx;
    private final StateReader state;
    private final Validation check;

    private Applier(final OverlayKv tx) {
        this.tx = tx;
        this.state = new StateReader(tx);
        this.check = new Validation(state);
    }

    /** Applies {@code command} at {@code index} into {@code tx}; throws {@link Rejection} if refused. */
    static ChangeResult apply(final OverlayKv tx, final long index, final MetaCommand command) {
        final Applier a = new Applier(tx);
        final String created = switch (command) {
            case RegisterNode c -> a.registerNode(c);
            case SetNodeState c -> a.setNodeState(c);
            case UpdateNodeLabels c -> a.updateNodeLabels(c);
            case RegisterDisk c -> a.registerDisk(c);
            case RemoveDisk c -> a.removeDisk(c);
            case CreatePool c -> a.createPool(c);
            case UpdatePool c -> a.updatePool(c);
            case DeletePool c -> a.deletePool(c);
            case CreateVolume c -> a.createVolume(c);
            case ResizeVolume c -> a.resizeVolume(c);
            case DeleteVolume c -> a.deleteVolume(c);
            case SetVolumeServingNode c -> a.setServingNode(c);
            case SetVolumeQos c -> a.setVolumeQos(c);
            case CreateSnapshot c -> a.createSnapshot(c);
            case DeleteSnapshot c -> a.deleteSnapshot(c);
            case CreateTarget c -> a.createTarget(c);
            case UpdateTarget c -> a.updateTarget(c);
            case DeleteTarget c -> a.deleteTarget(c);
            case SetAdminCredential c -> a.setAdmin(c);
            case ReplaceExtentReplicas c -> a.replaceReplicas(c);
            case SetScsiReservations c -> a.setScsiReservations(c);
            case SetDiscoveryChap c -> a.setDiscoveryChap(c);
        };
        return new ChangeResult(command.changeId(), index, ErrorCode.OK, "", created);
    }

    static Rejection reject(final ErrorCode code, final String message) {
        return new Rejection(code, message);
    }

    private void put(final byte[] key, final Object value) {
        tx.put(key, MetaJson.toBytes(value));
    }

    // ---- nodes and disks

    private String registerNode(final RegisterNode c) {
        check.id("node id", c.nodeId());
        check.name("node name", c.name());
        check.address("node '" + c.name() + "' RPC address", c.rpcAddress());
        check.address("node '" + c.name() + "' REST address", c.restAddress());
        check.labels("node '" + c.name() + "'", c.labels());
        check.notNullElements("node '" + c.name() + "' roles", c.roles());
        final List<io.keel.meta.model.NodeRole> roles = c.roles() == null ? List.of()
                : c.roles().stream().distinct().sorted().toList();
        final Node existing = state.node(c.nodeId()).orElse(null);
        state.nodeByName(c.name()).filter(n -> !n.id().equals(c.nodeId())).ifPresent(n -> {
            throw reject(ErrorCode.ALREADY_EXISTS, "node name '" + c.name() + "' is taken by node " + n.id());
        });
        final Node node;
        if (existing == null) {
            node = new Node(c.nodeId(), c.name(), c.rpcAddress(), c.restAddress(), c.labels(),
                    roles, NodeState.UP, "registered", c.at(), c.at());
        } else {
            tx.delete(Keys.nodeName(existing.name()));
            node = new Node(c.nodeId(), c.name(), c.rpcAddress(), c.restAddress(), c.labels(),
                    roles, existing.state(), existing.stateReason(),
                    existing.registeredAt(), existing.stateChangedAt());
        }
        put(Keys.node(node.id()), node);
        tx.put(Keys.nodeName(node.name()), node.id().getBytes(UTF_8));
        return node.id();
    }

    private String setNodeState(final SetNodeState c) {
        final Node n = check.existingNode(c.nodeId());
        if (c.state() == null) {
            throw reject(ErrorCode.INVALID_ARGUMENT, "node '" + n.name() + "': state is missing");
        }
        final String reason = c.reason() == null ? "" : c.reason();
        if (!reason.isEmpty() && !Names.isText(reason, 256)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, "node '" + n.name()
                    + "': reason must be up to 256 characters without control characters");
        }
        put(Keys.node(n.id()), new Node(n.id(), n.name(), n.rpcAddress(), n.restAddress(), n.labels(), n.roles(),
                c.state(), reason, n.registeredAt(), c.at()));
        return n.id();
    }

    private String updateNodeLabels(final UpdateNodeLabels c) {
        final Node n = check.existingNode(c.nodeId());
        check.labels("node '" + n.name() + "'", c.labels());
        put(Keys.node(n.id()), new Node(n.id(), n.name(), n.rpcAddress(), n.restAddress(), c.labels(), n.roles(),
                n.state(), n.stateReason(), n.registeredAt(), n.stateChangedAt()));
        return n.id();
    }

    private String registerDisk(final RegisterDisk c) {
        check.id("disk id", c.diskId());
        if (state.disk(c.diskId()).isPresent()) {
            throw reject(ErrorCode.ALREADY_EXISTS, "disk " + c.diskId() + " is already registered");
        }
        final Node n = check.existingNode(c.nodeId());
        if (c.path() == null || !c.path().startsWith("/") || !Names.isText(c.path(), 4096)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, "disk " + c.diskId() + ": path must be absolute");
        }
        if (c.role() == null) {
            throw reject(ErrorCode.INVALID_ARGUMENT, "disk " + c.diskId() + ": role is missing");
        }
        check.size("disk " + c.diskId() + " capacity", c.capacityBytes());
        put(Keys.disk(c.diskId()), new Disk(c.diskId(), n.id(), c.path(), c.role(), c.capacityBytes()));
        tx.put(Keys.nodeDisk(n.id(), c.diskId()), Keys.EMPTY);
        return c.diskId();
    }

    private String removeDisk(final RemoveDisk c) {
        final Disk d = state.disk(c.diskId()).orElseThrow(() ->
                reject(ErrorCode.NOT_FOUND, "disk " + c.diskId() + " is not registered"));
        if (d.role() == DiskRole.DATA) {
            final ClusterCapacity cap = state.capacity();
            final long left = cap.dataCapacityBytes() - d.capacityBytes();
            if (left < cap.thickReservedBytes()) {
                throw reject(ErrorCode.FAILED_PRECONDITION, "removing disk " + d.id() + " would leave " + left
                        + " bytes of DATA capacity for " + cap.thickReservedBytes() + " bytes of thick reservations");
            }
        }
        tx.delete(Keys.disk(d.id()));
        tx.delete(Keys.nodeDisk(d.nodeId(), d.id()));
        return null;
    }

    // ---- pools

    private String createPool(final CreatePool c) {
        check.name("pool name", c.name());
        if (state.pool(c.name()).isPresent()) {
            throw reject(ErrorCode.ALREADY_EXISTS, "pool '" + c.name() + "' already exists");
        }
        if (c.replicationFactor() < 1 || c.replicationFactor() > 3) {
            throw reject(ErrorCode.INVALID_ARGUMENT, "pool '" + c.name() + "': replication factor must be 1 to 3, got "
                    + c.replicationFactor());
        }
        if (c.provisioning() == null || c.failureDomain() == null) {
            throw reject(ErrorCode.INVALID_ARGUMENT, "pool '" + c.name()
                    + "': provisioning and failure domain are required");
        }
        check.qos("pool '" + c.name() + "'", c.qos());
        final Pool pool = new Pool(c.name(), c.replicationFactor(), c.provisioning(), c.failureDomain(), c.qos(),
                c.at());
        check.enoughDomains(pool, "pool '" + c.name() + "'");
        put(Keys.pool(c.name()), pool);
        return c.name();
    }

    private String updatePool(final UpdatePool c) {
        final Pool p = check.existingPool(c.name());
        check.qos("pool '" + c.name() + "'", c.qos());
        put(Keys.pool(p.name()), new Pool(p.name(), p.replicationFactor(), p.provisioning(), p.failureDomain(),
                c.qos(), p.createdAt()));
        return p.name();
    }

    private String deletePool(final DeletePool c) {
        final Pool p = check.existingPool(c.name());
        final List<Volume> volumes = state.volumesOf(p.name());
        if (!volumes.isEmpty()) {
            throw reject(ErrorCode.FAILED_PRECONDITION, "pool '" + p.name() + "' still has " + volumes.size()
                    + " volume(s), e.g. '" + volumes.getFirst().name() + "'");
        }
        tx.delete(Keys.pool(p.name()));
        return null;
    }

    // ---- volumes

    private String createVolume(final CreateVolume c) {
        check.id("volume id", c.volumeId());
        check.name("volume name", c.name());
        final String what = "volume '" + c.name() + "'";
        if (state.volume(c.volumeId()).isPresent()) {
            throw reject(ErrorCode.ALREADY_EXISTS, "volume id " + c.volumeId() + " already exists");
        }
        if (state.volumeByName(c.name()).isPresent()) {
            throw reject(ErrorCode.ALREADY_EXISTS, what + " already exists");
        }
        final Pool pool = check.existingPool(c.pool());
        check.size(what + " size", c.sizeBytes());
        check.extentSize(what, c.extentSize());
        final long count = Volume.extentCount(c.sizeBytes(), c.extentSize());
        if (count > MAX_EXTENTS_PER_VOLUME) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " would have " + count + " extents; at most "
                    + MAX_EXTENTS_PER_VOLUME + " are allowed (use a larger extent size)");
        }
        if (c.servingNode() != null) {
            check.servingNode(c.servingNode(), what + " serving node");
        }
        check.enoughDomains(pool, what + " in pool '" + pool.name() + "'");
        check.placement(what, pool, c.placement(), count);
        check.physicalBlockBytes(what, c.physicalBlockBytes());
        final Provisioning prov = c.provisioning() == null ? pool.provisioning() : c.provisioning();
        final Volume v = new Volume(c.volumeId(), c.name(), pool.name(), c.sizeBytes(), prov, c.servingNode(),
                VolumeState.ACTIVE, c.at(), c.extentSize(), null, c.physicalBlockBytes());
        check.thickRoom(what, StateReader.reservation(v, pool));
        put(Keys.volume(v.id()), v);
        tx.put(Keys.volumeName(v.name()), v.id().getBytes(UTF_8));
        tx.put(Keys.poolVolume(pool.name(), v.id()), Keys.EMPTY);
        addExtents(v, 0, c.placement());
        return v.id();
    }

    private void addExtents(final Volume v, final long firstIndex, final ExtentPlacement placement) {
        for (int i = 0; i < placement.extentCount(); i++) {
            final List<String> replicas = placement.replicasOf(i);
            final Extent e = new Extent(nextExtentId(), v.id(), firstIndex + i, replicas, replicas.getFirst(), 1,
                    null);
            put(Keys.extent(e.id()), e);
            tx.put(Keys.volumeExtent(v.id(), e.index()), Keys.u64(e.id()));
            addPlaced(replicas, v.extentSize());
        }
    }

    private long nextExtentId() {
        final long id = Math.max(1, state.counter(Keys.NEXT_EXTENT));
        tx.put(Keys.NEXT_EXTENT, Keys.u64(id + 1));
        return id;
    }

    private void addPlaced(final List<String> nodes, final long bytes) {
        for (String n : nodes) {
            final long v = state.placedBytes(n) + bytes;
            if (v == 0) {
                tx.delete(Keys.nodePlaced(n));
            } else {
                tx.put(Keys.nodePlaced(n), Keys.u64(v));
            }
        }
    }

    private String resizeVolume(final ResizeVolume c) {
        final Volume v = check.existingVolume(c.volumeId());
        final String what = "volume '" + v.name() + "'";
        check.size(what + " new size", c.newSizeBytes());
        if (c.newSizeBytes() < v.sizeBytes()) {
            throw reject(ErrorCode.FAILED_PRECONDITION, what + " is " + v.sizeBytes()
                    + " bytes; resize only grows, and " + c.newSizeBytes() + " is smaller");
        }
        final Pool pool = check.existingPool(v.pool());
        final long oldCount = v.extentCount();
        final long newCount = Volume.extentCount(c.newSizeBytes(), v.extentSize());
        if (newCount > MAX_EXTENTS_PER_VOLUME) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " would have " + newCount + " extents; at most "
                    + MAX_EXTENTS_PER_VOLUME + " are allowed");
        }
        final ExtentPlacement placement = c.placement() == null ? ExtentPlacement.NONE : c.placement();
        check.placement(what, pool, placement, newCount - oldCount);
        final Volume grown = v.withSize(c.newSizeBytes());
        check.thickRoom(what, StateReader.reservation(grown, pool) - StateReader.reservation(v, pool));
        put(Keys.volume(v.id()), grown);
        addExtents(grown, oldCount, placement);
        return v.id();
    }

    private String deleteVolume(final DeleteVolume c) {
        final Volume v = check.existingVolume(c.volumeId());
        final List<IscsiTarget> targets = state.targetsExporting(v.id());
        if (!targets.isEmpty()) {
            throw reject(ErrorCode.FAILED_PRECONDITION, "volume '" + v.name() + "' is exported by target "
                    + targets.getFirst().iqn());
        }
        final List<Snapshot> snaps = state.snapshotsOf(v.id());
        if (!snaps.isEmpty()) {
            throw reject(ErrorCode.FAILED_PRECONDITION, "volume '" + v.name() + "' has " + snaps.size()
                    + " snapshot(s), e.g. '" + snaps.getFirst().name() + "'");
        }
        for (Extent e : state.extentsOf(v.id())) {
            tx.delete(Keys.extent(e.id()));
            tx.delete(Keys.volumeExtent(v.id(), e.index()));
            addPlaced(e.replicas(), -v.extentSize());
        }
        tx.delete(Keys.volume(v.id()));
        tx.delete(Keys.scsiReservations(v.id()));
        tx.delete(Keys.volumeName(v.name()));
        tx.delete(Keys.poolVolume(v.pool(), v.id()));
        return null;
    }

    private String setServingNode(final SetVolumeServingNode c) {
        final Volume v = check.existingVolume(c.volumeId());
        if (c.nodeId() != null) {
            check.servingNode(c.nodeId(), "volume '" + v.name() + "' serving node");
        }
        put(Keys.volume(v.id()), v.withServingNode(c.nodeId()));
        return v.id();
    }

    private String setVolumeQos(final SetVolumeQos c) {
        final Volume v = check.existingVolume(c.volumeId());
        check.qos("volume '" + v.name() + "'", c.qos());
        put(Keys.volume(v.id()), v.withQos(c.qos()));
        return v.id();
    }

    private String setScsiReservations(final SetScsiReservations c) {
        final Volume v = check.existingVolume(c.volumeId());
        final byte[] state = c.state() == null ? Keys.EMPTY : c.state();
        if (state.length > SetScsiReservations.MAX_STATE_BYTES) {
            throw reject(ErrorCode.INVALID_ARGUMENT, "volume '" + v.name() + "': SCSI reservation state of "
                    + state.length + " bytes is over the limit of " + SetScsiReservations.MAX_STATE_BYTES);
        }
        if (state.length == 0) {
            tx.delete(Keys.scsiReservations(v.id()));
        } else {
            tx.put(Keys.scsiReservations(v.id()), state);
        }
        return v.id();
    }

    private String setDiscoveryChap(final SetDiscoveryChap c) {
        if (c.chap() == null) {
            tx.delete(Keys.DISCOVERY_CHAP);
        } else {
            check.chap("discovery sessions", c.chap());
            put(Keys.DISCOVERY_CHAP, c.chap());
        }
        return "";
    }

    private String replaceReplicas(final ReplaceExtentReplicas c) {
        final Extent e = state.extent(c.extentId()).orElseThrow(() ->
                reject(ErrorCode.NOT_FOUND, "extent " + c.extentId() + " does not exist"));
        final String what = "extent " + e.id();
        if (e.epoch() != c.expectedEpoch()) {
            throw reject(ErrorCode.FAILED_PRECONDITION, what + " is at epoch " + e.epoch() + ", not "
                    + c.expectedEpoch());
        }
        final Volume v = check.existingVolume(e.volumeId());
        final Pool pool = check.existingPool(v.pool());
        check.replicas(what, pool, c.replicas());
        final Extent next = new Extent(e.id(), e.volumeId(), e.index(), c.replicas(), c.replicas().getFirst(),
                e.epoch() + 1, e.snapshotId());
        put(Keys.extent(e.id()), next);
        if (e.snapshotId() == null) {
            addPlaced(e.replicas(), -v.extentSize());
            addPlaced(next.replicas(), v.extentSize());
        }
        return Long.toString(e.id());
    }

    // ---- snapshots

    private String createSnapshot(final CreateSnapshot c) {
        check.id("snapshot id", c.snapshotId());
        if (state.snapshot(c.snapshotId()).isPresent()) {
            throw reject(ErrorCode.ALREADY_EXISTS, "snapshot id " + c.snapshotId() + " already exists");
        }
        final Volume v = check.existingVolume(c.volumeId());
        check.name("snapshot name", c.name());
        if (tx.get(Keys.volumeSnapshot(v.id(), c.name())) != null) {
            throw reject(ErrorCode.ALREADY_EXISTS, "volume '" + v.name() + "' already has a snapshot '" + c.name()
                    + "'");
        }
        final List<Long> frozen = new ArrayList<>();
        for (Extent live : state.extentsOf(v.id())) {
            final Extent copy = new Extent(nextExtentId(), v.id(), live.index(), live.replicas(), live.leader(),
                    live.epoch(), c.snapshotId());
            put(Keys.extent(copy.id()), copy);
            frozen.add(copy.id());
        }
        put(Keys.snapshot(c.snapshotId()), new Snapshot(c.snapshotId(), c.name(), v.id(), c.at(), v.sizeBytes(),
                frozen));
        tx.put(Keys.volumeSnapshot(v.id(), c.name()), c.snapshotId().getBytes(UTF_8));
        return c.snapshotId();
    }

    private String deleteSnapshot(final DeleteSnapshot c) {
        final Snapshot s = state.snapshot(c.snapshotId()).orElseThrow(() ->
                reject(ErrorCode.NOT_FOUND, "snapshot " + c.snapshotId() + " does not exist"));
        for (long id : s.extentIds()) {
            tx.delete(Keys.extent(id));
        }
        tx.delete(Keys.snapshot(s.id()));
        tx.delete(Keys.volumeSnapshot(s.volumeId(), s.name()));
        return null;
    }

    // ---- targets

    private String createTarget(final CreateTarget c) {
        check.iscsiName("target IQN", c.iqn());
        if (state.target(c.iqn()).isPresent()) {
            throw reject(ErrorCode.ALREADY_EXISTS, "target " + c.iqn() + " already exists");
        }
        check.notNullElements("target " + c.iqn() + " LUNs", c.luns());
        check.notNullElements("target " + c.iqn() + " allowed initiators", c.allowedInitiators());
        final IscsiTarget t = new IscsiTarget(c.iqn(), c.alias(), c.luns(), c.allowedInitiators(), c.chap(), c.at());
        check.target(t);
        writeTarget(null, t);
        return t.iqn();
    }

    private String updateTarget(final UpdateTarget c) {
        final IscsiTarget old = state.target(c.iqn()).orElseThrow(() ->
                reject(ErrorCode.NOT_FOUND, "target " + c.iqn() + " does not exist"));
        check.notNullElements("target " + c.iqn() + " LUNs", c.luns());
        check.notNullElements("target " + c.iqn() + " allowed initiators", c.allowedInitiators());
        final IscsiTarget t = new IscsiTarget(c.iqn(), c.alias(), c.luns(), c.allowedInitiators(), c.chap(),
                old.createdAt());
        check.target(t);
        writeTarget(old, t);
        return t.iqn();
    }

    private String deleteTarget(final DeleteTarget c) {
        final IscsiTarget old = state.target(c.iqn()).orElseThrow(() ->
                reject(ErrorCode.NOT_FOUND, "target " + c.iqn() + " does not exist"));
        writeTarget(old, null);
        return null;
    }

    private void writeTarget(final IscsiTarget old, final IscsiTarget next) {
        if (old != null) {
            old.luns().forEach(l -> tx.delete(Keys.volumeTarget(l.volumeId(), old.iqn())));
            tx.delete(Keys.target(old.iqn()));
        }
        if (next != null) {
            next.luns().forEach(l -> tx.put(Keys.volumeTarget(l.volumeId(), next.iqn()), Keys.EMPTY));
            put(Keys.target(next.iqn()), next);
        }
    }

    // ---- admin

    private String setAdmin(final SetAdminCredential c) {
        final AdminCredential a = c.credential();
        if (a == null) {
            throw reject(ErrorCode.INVALID_ARGUMENT, "admin credential is missing");
        }
        check.name("admin username", a.username());
        if (!AdminCredential.ALGORITHM.equals(a.algorithm())) {
            throw reject(ErrorCode.INVALID_ARGUMENT, "admin credential algorithm must be " + AdminCredential.ALGORITHM);
        }
        if (a.iterations() < AdminCredential.MIN_ITERATIONS || a.iterations() > AdminCredential.MAX_ITERATIONS) {
            throw reject(ErrorCode.INVALID_ARGUMENT, "admin credential iterations must be "
                    + AdminCredential.MIN_ITERATIONS + " to " + AdminCredential.MAX_ITERATIONS);
        }
        final byte[] salt = a.salt();
        final byte[] hash = a.hash();
        if (salt == null || salt.length < 16 || salt.length > 64 || hash == null
                || hash.length != AdminCredential.HASH_BYTES) {
            throw reject(ErrorCode.INVALID_ARGUMENT, "admin credential needs a 16–64 byte salt and a "
                    + AdminCredential.HASH_BYTES + " byte hash");
        }
        put(Keys.ADMIN, a);
        return a.username();
    }
}
