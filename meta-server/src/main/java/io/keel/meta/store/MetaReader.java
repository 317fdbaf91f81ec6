package io.keel.meta.store;

import io.keel.meta.command.ChangeResult;
import io.keel.meta.model.ChapCredentials;
import io.keel.meta.model.Disk;
import io.keel.meta.model.Extent;
import io.keel.meta.model.IscsiTarget;
import io.keel.meta.model.Node;
import io.keel.meta.model.Pool;
import io.keel.meta.model.Snapshot;
import io.keel.meta.model.Volume;
import io.keel.meta.secret.AdminCredential;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Read queries over one consistent state of the metadata (a {@link MetaView}, or a transaction
 * inside the store). Lists are ordered by the key noted on each method.
 */
public interface MetaReader {

    /** The log index this state reflects. */
    long appliedIndex();

    /** A node by id. */
    Optional<Node> node(String id);

    /** A node by name. */
    Optional<Node> nodeByName(String name);

    /** Every node, by id. */
    List<Node> nodes();

    /** A disk by device UUID. */
    Optional<Disk> disk(String id);

    /** Every disk, by id. */
    List<Disk> disks();

    /** The disks of a node, by id. */
    List<Disk> disksOf(String nodeId);

    /** Raw bytes of live extents placed on a node (extent size per replica). */
    long placedBytes(String nodeId);

    /** A pool by name. */
    Optional<Pool> pool(String name);

    /** Every pool, by name. */
    List<Pool> pools();

    /** A volume by id. */
    Optional<Volume> volume(String id);

    /** A volume by name (names are unique in the cluster). */
    Optional<Volume> volumeByName(String name);

    /** Every volume, by id. */
    List<Volume> volumes();

    /** The volumes of a pool, by id. */
    List<Volume> volumesOf(String pool);

    /** An extent (live or frozen) by id. */
    Optional<Extent> extent(long id);

    /** The live extents of a volume, by index. */
    List<Extent> extentsOf(String volumeId);

    /** The live extent of a volume at {@code index}. */
    Optional<Extent> extentAt(String volumeId, long index);

    /** A snapshot by id. */
    Optional<Snapshot> snapshot(String id);

    /** The snapshots of a volume, by name. */
    List<Snapshot> snapshotsOf(String volumeId);

    /** The frozen extents of a snapshot, by index. */
    List<Extent> snapshotExtents(String snapshotId);

    /** A target by IQN. */
    Optional<IscsiTarget> target(String iqn);

    /** Every target, by IQN. */
    List<IscsiTarget> targets();

    /** The targets with a LUN on the volume, by IQN. */
    List<IscsiTarget> targetsExporting(String volumeId);

    /** The volume's SCSI persistent reservation state, or an empty array when it has none. */
    byte[] scsiReservations(String volumeId);

    /** The admin account, if one was set. */
    Optional<AdminCredential> adminCredential();

    /** The CHAP credentials iSCSI discovery sessions must log in with, if set. */
    Optional<ChapCredentials> discoveryChap();

    /** The result of a change, while it is among the most recent {@link MetaStore#RESULT_RETENTION}. */
    Optional<ChangeResult> result(String changeId);

    /** What a pool's volumes use; empty if there is no such pool. */
    Optional<PoolUsage> poolUsage(String pool);

    /** The cluster's capacity for thick reservations. */
    ClusterCapacity capacity();

    /** Every extent, live and frozen, with a replica on one of {@code downNodeIds}, by extent id. */
    List<Extent> underReplicatedExtents(Set<String> downNodeIds);

    /** {@link #underReplicatedExtents(Set)} for the nodes this state marks DOWN. */
    List<Extent> underReplicatedExtents();

    /**
     * Of the extents {@code nodeId} reports holding, those the metadata does not place on it (the
     * extent is gone, or its replica moved elsewhere): copies nobody reads, to be reclaimed once
     * re-replication exists. The reverse, an extent placed on the node but not reported, is
     * normal under thin provisioning (a chunk store holds an extent from its first write on).
     */
    default List<Long> strayExtents(final String nodeId, final Collection<Long> reportedExtentIds) {
        return reportedExtentIds.stream()
                .filter(id -> extent(id).map(e -> !e.replicas().contains(nodeId)).orElse(true))
                .sorted().distinct().toList();
    }
}
