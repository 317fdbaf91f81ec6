package io.keel.appliance.api;

import io.keel.access.scsi.UnitIdentifier;
import io.keel.meta.model.ChapCredentials;
import io.keel.meta.model.Disk;
import io.keel.meta.model.Extent;
import io.keel.meta.model.IscsiTarget;
import io.keel.meta.model.Lun;
import io.keel.meta.model.Node;
import io.keel.meta.model.Pool;
import io.keel.meta.model.QosLimits;
import io.keel.meta.model.Snapshot;
import io.keel.meta.model.Volume;
import io.keel.meta.server.HeartbeatReport;
import io.keel.meta.server.NodeLiveness;
import io.keel.meta.store.MetaReader;
import io.keel.meta.store.PoolUsage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON shapes the REST API answers with (docs/rest-api.md): the model as an admin sees it,
 * with node names instead of ids and never a secret.
 */
public final class Views {

    private Views() {
    }

    /** QoS limits; 0 means unlimited. */
    public record QosView(long iopsLimit, long bandwidthLimitBytes) {
    }

    /** A pool. */
    public record PoolView(String name, int replicationFactor, String provisioning, String failureDomain,
            QosView qos, long volumes, long allocatedBytes, long createdAt) {
        static PoolView of(final Pool pool, final PoolUsage usage) {
            return new PoolView(pool.name(), pool.replicationFactor(), pool.provisioning().name(),
                    pool.failureDomain().name(), new QosView(pool.qos().iops(), pool.qos().bandwidthBytesPerSecond()),
                    usage == null ? 0 : usage.volumeCount(), usage == null ? 0 : usage.provisionedBytes(),
                    pool.createdAt());
        }
    }

    /**
     * A volume, with the QoS limits that hold for it and whether they are its own or its pool's, the
     * NAA name hypervisors show for it as a LUN and the physical block size its LUNs report.
     */
    public record VolumeView(String id, String name, String pool, long sizeBytes, String provisioning, String state,
            String servingNode, long createdAt, long extentSize, long extents, QosView qos, String qosSource,
            String naa, int physicalBlockBytes) {
        static VolumeView of(final Volume volume, final MetaReader view) {
            Map<String, String> nodeNames = MetaGateway.nodeNames(view);
            QosLimits qos = volume.effectiveQos(view.pool(volume.pool()).map(Pool::qos).orElse(null));
            return new VolumeView(volume.id(), volume.name(), volume.pool(), volume.sizeBytes(),
                    volume.provisioning().name(), volume.state().name(),
                    volume.servingNode() == null ? null : nodeNames.getOrDefault(volume.servingNode(),
                            volume.servingNode()),
                    volume.createdAt(), volume.extentSize(), volume.extentCount(),
                    new QosView(qos.iops(), qos.bandwidthBytesPerSecond()), volume.qos() == null ? "POOL" : "VOLUME",
                    UnitIdentifier.name(volume.id()), volume.effectivePhysicalBlockBytes());
        }
    }

    /** An extent and where its replicas are. */
    public record ExtentView(String volume, long id, long index, List<String> replicas, String leader, long epoch,
            boolean underReplicated) {
        static ExtentView of(final Extent extent, final String volumeName, final Map<String, String> nodeNames,
                final Set<String> downNodes) {
            return new ExtentView(volumeName, extent.id(), extent.index(),
                    extent.replicas().stream().map(id -> nodeNames.getOrDefault(id, id)).toList(),
                    nodeNames.getOrDefault(extent.leader(), extent.leader()), extent.epoch(),
                    extent.replicas().stream().anyMatch(downNodes::contains));
        }
    }

    /** A node, with what its last heartbeat to this leader said. */
    public record NodeView(String id, String name, String rpcAddress, String restAddress, Map<String, String> labels,
            List<String> roles, String state, String stateReason, long capacityBytes, long freeBytes,
            Long lastHeartbeatMillisAgo, Integer reportedExtents, List<Long> strayExtents) {
        static NodeView of(final Node node, final MetaReader view, final NodeLiveness liveness) {
            Map<String, String> labels = new LinkedHashMap<>();
            if (node.labels() != null && node.labels().rack() != null) {
                labels.put("rack", node.labels().rack());
            }
            if (node.labels() != null && node.labels().site() != null) {
                labels.put("site", node.labels().site());
            }
            long capacity = view.disksOf(node.id()).stream().mapToLong(Disk::capacityBytes).sum();
            var report = liveness.report(node.id());
            long free = report.map(HeartbeatReport::freeBytes).orElse(0L);
            var since = liveness.nanosSinceHeartbeat(node.id());
            return new NodeView(node.id(), node.name(), node.rpcAddress(), node.restAddress(), labels,
                    node.roles().stream().map(Enum::name).toList(), node.state().name(), node.stateReason(), capacity,
                    free, since.isPresent() ? since.getAsLong() / 1_000_000 : null,
                    report.map(r -> r.extentIds().size()).orElse(null),
                    report.map(r -> view.strayExtents(node.id(), r.extentIds())).orElse(null));
        }
    }

    /** A data device. */
    public record DiskView(String id, String node, String path, String role, long capacityBytes, Long freeBytes) {
        static DiskView of(final Disk disk, final Map<String, String> nodeNames, final NodeLiveness liveness) {
            Long free = liveness.report(disk.nodeId()).flatMap(report -> report.disks().stream()
                    .filter(d -> d.diskId().equals(disk.id())).findFirst())
                    .map(HeartbeatReport.DiskReport::freeBytes).orElse(null);
            return new DiskView(disk.id(), nodeNames.getOrDefault(disk.nodeId(), disk.nodeId()), disk.path(),
                    disk.role().name(), disk.capacityBytes(), free);
        }
    }

    /** A snapshot. */
    public record SnapshotView(String id, String name, String volume, long sizeBytes, long createdAt) {
        static SnapshotView of(final Snapshot snapshot, final String volumeName) {
            return new SnapshotView(snapshot.id(), snapshot.name(), volumeName, snapshot.sizeBytes(),
                    snapshot.createdAt());
        }
    }

    /** A LUN: its number, the volume it shows, and whether initiators may only read it (false when left out). */
    public record LunView(int lun, String volume, boolean readOnly) {
    }

    /** The CHAP user names of a target or of discovery; the secrets are never shown. */
    public record ChapView(String username, String mutualUsername) {
        static ChapView of(final ChapCredentials chap) {
            return chap == null ? null : new ChapView(chap.username(), chap.mutualUsername());
        }
    }

    /** Whether discovery sessions must log in with CHAP ({@code chap} null: they need no authentication). */
    public record DiscoveryAuthView(boolean required, ChapView chap) {
        static DiscoveryAuthView of(final ChapCredentials chap) {
            return new DiscoveryAuthView(chap != null, ChapView.of(chap));
        }
    }

    /** An iSCSI target. */
    public record TargetView(String iqn, String alias, List<LunView> luns, List<String> allowedInitiators,
            boolean anyInitiator, ChapView chap, long createdAt) {
        static TargetView of(final IscsiTarget target, final MetaReader view) {
            List<LunView> luns = target.luns().stream().map((Lun lun) -> new LunView(lun.number(),
                    view.volume(lun.volumeId()).map(Volume::name).orElse(lun.volumeId()), lun.readOnly())).toList();
            return new TargetView(target.iqn(), target.alias(), luns, target.allowedInitiators(),
                    target.allowedInitiators().isEmpty(), ChapView.of(target.chap()), target.createdAt());
        }
    }

    /** An iSCSI session logged in to a target, as the node it is on said in its last heartbeat. */
    public record SessionView(String node, String initiator, String isid, int tsih, String initiatorAddress) {
        static SessionView of(final String node, final HeartbeatReport.IscsiSession session) {
            return new SessionView(node, session.initiator(), session.isid(), session.tsih(),
                    session.initiatorAddress());
        }
    }
}
