package io.keel.appliance.access;

import com.codahale.metrics.MetricRegistry;
import io.keel.access.iscsi.ChapSecrets;
import io.keel.access.iscsi.TargetDirectory;
import io.keel.access.iscsi.TargetEntry;
import io.keel.access.scsi.BlockTarget;
import io.keel.access.scsi.ItNexus;
import io.keel.access.scsi.LogicalUnit;
import io.keel.access.scsi.LunSpec;
import io.keel.access.scsi.ModePages;
import io.keel.access.scsi.ReservationStore;
import io.keel.access.scsi.TargetOptions;
import io.keel.access.scsi.reservation.PersistentReservations;
import io.keel.access.scsi.reservation.SharedReservations;
import io.keel.access.volume.ExtentResolver;
import io.keel.access.volume.VolumeClient;
import io.keel.access.volume.VolumeIoMetrics;
import io.keel.access.volume.VolumeLayout;
import io.keel.access.volume.VolumeThrottle;
import io.keel.meta.model.ChapCredentials;
import io.keel.meta.model.IscsiTarget;
import io.keel.meta.model.Lun;
import io.keel.meta.model.Pool;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.QosLimits;
import io.keel.meta.model.Volume;
import io.keel.meta.secret.SecretBox;
import io.keel.meta.secret.Secret;
import io.keel.meta.server.MetaService;
import io.keel.runtime.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The targets of the meta server as the iSCSI portal serves them. A target's SCSI side (its
 * logical units with their unit attentions) is built once; a change of its LUN map is applied to
 * it in place, so sessions logged in see it too ({@link BlockTarget#update}). Each exported volume
 * has one client, one set of reservations and one set of mode pages on the node, shared by every
 * target and LUN that exports it: the client follows the volume's size, holds its I/O to its pool's QoS limits
 * ({@link VolumeThrottle}) and publishes its I/O metrics ({@link VolumeIoMetrics}) until the volume
 * is deleted.
 */
public final class MetaTargetDirectory implements TargetDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(MetaTargetDirectory.class);

    private final MetaService meta;
    private final SecretBox secrets;
    private final ExtentResolver resolver;
    private final int allocationUnit;
    private final ReservationStore reservations;
    private final TargetOptions options;
    private final MetricRegistry metrics;
    private final Clock clock;
    private final Map<String, Built> built = new ConcurrentHashMap<>();
    private volatile Function<ItNexus, TargetEntry> loginEntries = nexus -> null;
    private final Map<String, Exported> volumes = new ConcurrentHashMap<>();

    /** A target's SCSI side and the LUN mapping it serves now. */
    private record Built(List<Lun> luns, BlockTarget scsi) {
    }

    /** What every logical unit exporting one volume shares: its client, its reservations and its mode pages. */
    private record Exported(VolumeClient client, SharedReservations reservations, ModePages modes) {
    }

    /**
     * A directory over {@code meta}'s targets; {@code allocationUnit} is the chunk stores' block
     * size; each exported volume's I/O metrics go to {@code metrics}, timed with {@code clock}.
     */
    public MetaTargetDirectory(final MetaService meta, final SecretBox secrets, final ExtentResolver resolver,
            final int allocationUnit, final ReservationStore reservations, final TargetOptions options,
            final MetricRegistry metrics, final Clock clock) {
        this.meta = meta;
        this.secrets = secrets;
        this.resolver = resolver;
        this.allocationUnit = allocationUnit;
        this.reservations = reservations;
        this.options = options;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Every target as the meta server defines it now (each one read and applied as {@link #find} does). */
    @Override
    public List<TargetEntry> targets() {
        List<TargetEntry> entries = new ArrayList<>();
        for (IscsiTarget target : meta.read(view -> view.targets())) {
            try {
                scsi(target.iqn()).ifPresent(scsi -> entries.add(entry(target, scsi)));
            } catch (RuntimeException e) {
                LOG.warn("target {} cannot be served: {}", target.iqn(), e.getMessage(), e);
            }
        }
        return entries;
    }

    /**
     * Target {@code iqn} as the meta server defines it now: its LUN map and its volumes' sizes and
     * QoS limits are brought up to date first, so a login sees the latest change. Other targets are
     * left to {@link #refresh}, so a login costs reads of its own target only.
     */
    @Override
    public Optional<TargetEntry> find(final String iqn) {
        Optional<IscsiTarget> target = meta.read(view -> view.target(iqn));
        return target.flatMap(t -> scsi(iqn).map(scsi -> entry(t, scsi)));
    }

    @Override
    public boolean admits(final String iqn, final String initiatorName) {
        return meta.read(view -> view.target(iqn))
                .map(target -> TargetEntry.admits(target.allowedInitiators(), initiatorName)).orElse(false);
    }

    private TargetEntry entry(final IscsiTarget target, final BlockTarget scsi) {
        return new TargetEntry(target.iqn(), target.alias(), target.allowedInitiators(), chap(target), scsi);
    }

    /**
     * Target {@code iqn}'s SCSI side as the meta server defines it now, read and applied under the
     * target's entry in {@link #built} so that concurrent refreshes apply changes in order; empty
     * when the target was deleted, whose units are then retired (its sessions are the portal's to end).
     */
    private Optional<BlockTarget> scsi(final String iqn) {
        Built current = built.compute(iqn, (key, previous) -> {
            IscsiTarget target = meta.read(view -> view.target(key)).orElse(null);
            if (target == null) {
                if (previous != null) {
                    previous.scsi().retire();
                    LOG.info("target {} was deleted: its LUNs are unmapped and its sessions will be ended", key);
                }
                return null;
            }
            if (previous != null && previous.luns().equals(target.luns())) {
                refreshSizes(target.luns());
                return previous;
            }
            List<LunSpec> specs = new ArrayList<>();
            for (Lun lun : target.luns()) {
                Exported volume = volume(lun.volumeId());
                specs.add(new LunSpec(lun.number(), volume.client(), volume.reservations()::attach, lun.readOnly(),
                        volume.modes()));
            }
            if (previous == null) {
                LOG.info("target {}: serving LUNs {}", key, target.luns());
                return new Built(target.luns(), new BlockTarget(specs, options, clock, this::unitAnywhere));
            }
            if (previous.scsi().update(specs)) {
                LOG.info("target {}: LUNs now {} (were {}); logged-in sessions find REPORTED LUNS DATA HAS CHANGED",
                        key, target.luns(), previous.luns());
            }
            return new Built(target.luns(), previous.scsi());
        });
        return Optional.ofNullable(current).map(Built::scsi);
    }

    private void refreshSizes(final List<Lun> luns) {
        for (Lun lun : luns) {
            volume(lun.volumeId());
        }
    }

    /** The volume's client (its size brought up to date: a grown volume shows at the next lookup) and reservations. */
    private Exported volume(final String volumeId) {
        Volume volume = meta.read(view -> view.volume(volumeId)).orElseThrow(() ->
                new IllegalStateException("volume " + volumeId + " of a target does not exist"));
        VolumeLayout layout = new VolumeLayout(volume.id(), volume.sizeBytes(), volume.extentSize(),
                volume.provisioning() == Provisioning.THIN, volume.effectivePhysicalBlockBytes());
        Exported exported = volumes.computeIfAbsent(volumeId, id -> new Exported(
                new VolumeClient(layout, resolver, allocationUnit, new VolumeIoMetrics(id, clock).register(metrics),
                        new VolumeThrottle(clock)),
                new SharedReservations(attentions -> new PersistentReservations(id, reservations, attentions)),
                new ModePages()));
        VolumeClient client = exported.client();
        if (client.sizeBytes() != layout.sizeBytes()) {
            client.updateLayout(layout);
        }
        applyLimits(client, volume);
        return exported;
    }

    /**
     * Brings what the node serves up to date with the meta server: targets first (a changed LUN map
     * is applied to the target's sessions; a deleted target's LUNs are unmapped, its sessions are the
     * portal's to end), then volumes (a deleted volume's client and metrics are dropped, every other
     * client takes its QoS limits in force). Runs every few seconds from the access role, so that
     * changes hold without a new login.
     */
    public void refresh() {
        for (String iqn : List.copyOf(built.keySet())) {
            try {
                scsi(iqn);
            } catch (RuntimeException e) {
                LOG.warn("target {} could not be brought up to date; trying again later", iqn, e);
            }
        }
        refreshVolumes();
    }

    /**
     * Only deleted volumes are dropped: a volume that is still there keeps its one client (whose
     * range locks make partial-sector writes and COMPARE AND WRITE atomic across sessions) and its
     * reservations even while no target exports it.
     */
    private void refreshVolumes() {
        volumes.entrySet().removeIf(entry -> {
            Optional<Volume> volume = meta.read(view -> view.volume(entry.getKey()));
            if (volume.isEmpty()) {
                entry.getValue().client().io().unregister();
                LOG.info("volume {} was deleted: its client and I/O metrics are gone from this node", entry.getKey());
                return true;
            }
            applyLimits(entry.getValue().client(), volume.get());
            return false;
        });
    }

    /** A volume's own QoS limits hold when it has them, else its pool's (each volume gets them for itself). */
    private void applyLimits(final VolumeClient client, final Volume volume) {
        QosLimits qos = volume.effectiveQos(meta.read(view -> view.pool(volume.pool())).map(Pool::qos).orElse(null));
        if (client.throttle().limit(qos.iops(), qos.bandwidthBytesPerSecond())) {
            LOG.info("volume {} ({}): QoS now {} IOPS and {} bytes/s (0: unlimited), from its {}", volume.name(),
                    volume.id(), qos.iops(), qos.bandwidthBytesPerSecond(),
                    volume.qos() == null ? "pool " + volume.pool() : "own limits");
        }
    }

    private ChapSecrets chap(final IscsiTarget target) {
        return open(target.chap(), target.iqn());
    }

    /**
     * Lets EXTENDED COPY reach units of other targets: {@code loginEntries} gives the target entry a
     * nexus's live session logged in with (what its initiator proved then), or null. Until this is
     * called no copy crosses targets.
     */
    public void copiesBetweenTargets(final Function<ItNexus, TargetEntry> loginEntries) {
        this.loginEntries = loginEntries;
    }

    /**
     * A unit of another target of this node whose NAA identifier is {@code naa} and that target
     * {@code nexus}'s initiator could log in to with what it proved at its own login
     * ({@link TargetEntry#reachableFrom}), or null: an EXTENDED COPY must not reach a volume its
     * initiator could not read or write itself. A target whose entry cannot be read is skipped.
     */
    private LogicalUnit unitAnywhere(final ItNexus nexus, final byte[] naa) {
        TargetEntry from = loginEntries.apply(nexus);
        if (from == null) {
            return null;
        }
        for (Map.Entry<String, Built> target : built.entrySet()) {
            LogicalUnit unit = target.getValue().scsi().unitWithIdentifier(naa);
            if (unit == null) {
                continue;
            }
            try {
                IscsiTarget defined = meta.read(view -> view.target(target.getKey())).orElse(null);
                // The ACL first: secrets are opened only for a target that admits the initiator at all. The
                // volume must still be one of the target's (its units follow the meta server only at refresh).
                if (defined != null && TargetEntry.admits(defined.allowedInitiators(), nexus.initiatorName())
                        && defined.luns().stream().anyMatch(lun -> lun.volumeId().equals(unit.volumeId()))
                        && entry(defined, target.getValue().scsi()).reachableFrom(from, nexus.initiatorName())) {
                    return unit;
                }
            } catch (RuntimeException e) {
                LOG.warn("EXTENDED COPY from {}: target {} cannot be checked, so it is not reached", nexus,
                        target.getKey(), e);
            }
        }
        return null;
    }

    /** Read at every discovery login, from this node's meta member (a change holds for the next login). */
    @Override
    public ChapSecrets discoveryChap() {
        return open(meta.read(view -> view.discoveryChap()).orElse(null), ChapCredentials.DISCOVERY);
    }

    /** {@code chap}'s secrets in plaintext, sealed for {@code name} (a target's IQN, or discovery's); null for none. */
    private ChapSecrets open(final ChapCredentials chap, final String name) {
        if (chap == null) {
            return null;
        }
        try (Secret secret = chap.openSecret(secrets, name); Secret mutual = chap.openMutualSecret(secrets, name)) {
            return new ChapSecrets(chap.username(), secret.bytes().clone(), chap.mutualUsername(),
                    mutual == null ? null : mutual.bytes().clone());
        }
    }
}
