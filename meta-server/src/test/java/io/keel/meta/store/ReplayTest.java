package io.keel.meta.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.meta.command.CommandCodec;
import io.keel.meta.command.CreatePool;
import io.keel.meta.command.CreateSnapshot;
import io.keel.meta.command.CreateTarget;
import io.keel.meta.command.CreateVolume;
import io.keel.meta.command.DeletePool;
import io.keel.meta.command.DeleteSnapshot;
import io.keel.meta.command.DeleteTarget;
import io.keel.meta.command.DeleteVolume;
import io.keel.meta.command.ExtentPlacement;
import io.keel.meta.command.MetaCommand;
import io.keel.meta.command.RegisterDisk;
import io.keel.meta.command.RegisterNode;
import io.keel.meta.command.RemoveDisk;
import io.keel.meta.command.ReplaceExtentReplicas;
import io.keel.meta.command.ResizeVolume;
import io.keel.meta.command.SetNodeState;
import io.keel.meta.command.SetScsiReservations;
import io.keel.meta.command.SetVolumeQos;
import io.keel.meta.command.SetVolumeServingNode;
import io.keel.meta.command.UpdateNodeLabels;
import io.keel.meta.command.UpdatePool;
import io.keel.meta.model.DiskRole;
import io.keel.meta.model.Extent;
import io.keel.meta.model.FailureDomain;
import io.keel.meta.model.Lun;
import io.keel.meta.model.NodeLabels;
import io.keel.meta.model.NodeRole;
import io.keel.meta.model.NodeState;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.QosLimits;
import io.keel.meta.model.Volume;
import io.keel.meta.placement.Placement;
import io.keel.meta.placement.PlacementException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random sequences of valid and invalid commands, applied in random batches to a fresh store and,
 * from a snapshot taken midway, to a restored one: both must end byte-for-byte identical.
 */
class ReplayTest {

    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42})
    void freshAndRestoredStoresAgree(final long seed) throws IOException {
        final Random random = new Random(seed);
        final List<byte[]> log = new ArrayList<>();
        try (MetaStore a = MetaStore.open(dir.resolve("a")); MetaStore b = MetaStore.open(dir.resolve("b"))) {
            final Generator gen = new Generator(random, a);
            final int total = 400;
            final int split = 150 + random.nextInt(100);
            byte[] snapshot = null;
            long snapshotIndex = 0;
            while (log.size() < total) {
                // The generator plans from a's state, like a leader, so a applies entry by entry.
                final byte[] entry = CommandCodec.encode(gen.next());
                log.add(entry);
                a.apply(log.size(), List.of(entry));
                if (log.size() == split) {
                    final ByteArrayOutputStream out = new ByteArrayOutputStream();
                    snapshotIndex = a.writeSnapshot(out);
                    snapshot = out.toByteArray();
                }
            }
            b.restoreSnapshot(snapshotIndex, new ByteArrayInputStream(snapshot));
            // b applies the rest in random batch sizes.
            int next = (int) snapshotIndex;
            while (next < log.size()) {
                final int n = Math.min(1 + random.nextInt(20), log.size() - next);
                b.apply(next + 1, log.subList(next, next + n));
                next += n;
            }
            assertThat(b.read(StateDump::withIndex)).as("seed " + seed).isEqualTo(a.read(StateDump::withIndex));
            assertThat(snapshotOf(b)).as("seed " + seed).isEqualTo(snapshotOf(a));
            // A third store replaying the whole log in one batch agrees as well.
            try (MetaStore c = MetaStore.open(dir.resolve("c"))) {
                c.apply(1, log);
                assertThat(snapshotOf(c)).as("seed " + seed).isEqualTo(snapshotOf(a));
            }
            // The mix is meaningful: plenty of both outcomes.
            final long ok = gen.issued.stream().filter(c -> a.result(c.changeId()).orElseThrow().ok()).count();
            assertThat(ok).as("seed " + seed + " applied").isGreaterThan(60);
            assertThat(gen.issued.size() - ok).as("seed " + seed + " refused").isGreaterThan(60);
            assertThat(a.read((MetaReader v) -> v.volumes())).as("seed " + seed + " made some volumes").isNotEmpty();
        }
    }

    private static byte[] snapshotOf(final MetaStore s) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.writeSnapshot(out);
        return out.toByteArray();
    }

    /** Commands over small name spaces, so collisions and missing references are common. */
    private static final class Generator {
        private final Random r;
        private final MetaStore leader;
        final List<MetaCommand> issued = new ArrayList<>();
        private int changes;

        Generator(final Random r, final MetaStore leader) {
            this.r = r;
            this.leader = leader;
        }

        private String pick(final String prefix, final int n) {
            return prefix + r.nextInt(n);
        }

        MetaCommand next() {
            if (!issued.isEmpty() && r.nextInt(20) == 0) {
                return issued.get(r.nextInt(issued.size())); // a retry
            }
            final MetaCommand c = fresh("c" + changes++);
            issued.add(c);
            return c;
        }

        private MetaCommand fresh(final String id) {
            final int at = changes * 10;
            return switch (r.nextInt(18)) {
                case 0 -> new RegisterNode(id, pick("node-", 6), pick("n", 7), "10.0.0.1:7000", "10.0.0.1:8080",
                        new NodeLabels(r.nextBoolean() ? pick("r", 3) : null, null),
                        r.nextInt(4) == 0 ? List.of(NodeRole.META) : List.of(NodeRole.CHUNK, NodeRole.ACCESS), at);
                case 1 -> new RegisterDisk(id, pick("disk-", 12), pick("node-", 6), "/dev/x", DiskRole.DATA,
                        (1 + r.nextInt(64)) * 1024 * MIB);
                case 2 -> new RemoveDisk(id, pick("disk-", 12));
                case 3 -> new SetNodeState(id, pick("node-", 6), r.nextInt(4) == 0 ? NodeState.DOWN : NodeState.UP,
                        "test", at);
                case 4 -> new UpdateNodeLabels(id, pick("node-", 6), new NodeLabels(pick("r", 3), null));
                case 5 -> new CreatePool(id, pick("p", 3), 1 + r.nextInt(3),
                        r.nextBoolean() ? Provisioning.THIN : Provisioning.THICK,
                        r.nextBoolean() ? FailureDomain.NODE : FailureDomain.RACK, QosLimits.UNLIMITED, at);
                case 6 -> new UpdatePool(id, pick("p", 3), new QosLimits(r.nextInt(1000), 0));
                case 7 -> new DeletePool(id, pick("p", 3));
                case 8, 9 -> createVolume(id, at);
                case 10 -> resize(id);
                case 11 -> new DeleteVolume(id, pick("vol-", 8));
                case 12 -> r.nextBoolean() ? new CreateSnapshot(id, pick("snap-", 6), pick("vol-", 8), pick("s", 3), at)
                        : new DeleteSnapshot(id, pick("snap-", 6));
                case 13 -> r.nextBoolean()
                        ? new CreateTarget(id, "iqn.2025-01.io.keel:" + pick("t", 3), null,
                                List.of(new Lun(r.nextInt(3), pick("vol-", 8))), List.of(), null, at)
                        : new DeleteTarget(id, "iqn.2025-01.io.keel:" + pick("t", 3));
                case 14 -> new SetVolumeServingNode(id, pick("vol-", 8), r.nextBoolean() ? pick("node-", 6) : null);
                case 15 -> new SetVolumeQos(id, pick("vol-", 8),
                        r.nextBoolean() ? new QosLimits(r.nextInt(500), 0) : null);
                case 16 -> {
                    final byte[] state = new byte[r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(64)];
                    r.nextBytes(state);
                    yield new SetScsiReservations(id, pick("vol-", 8), state);
                }
                default -> replace(id);
            };
        }

        private MetaCommand createVolume(final String id, final long at) {
            final String pool = pick("p", 3);
            final long size = (1 + r.nextInt(16)) * 64 * MIB;
            ExtentPlacement placement;
            try (MetaView v = leader.view()) {
                placement = Placement.forNewVolume(v, pool, size, 64 * MIB, null,
                        r.nextBoolean() ? pick("node-", 6) : null);
            } catch (PlacementException e) {
                placement = ExtentPlacement.of(List.of(List.of(pick("node-", 6))));
            }
            return new CreateVolume(id, pick("vol-", 8), pick("v", 10), pool, size, null, 64 * MIB, null, placement,
                    at, null);
        }

        private MetaCommand resize(final String id) {
            final String volumeId = pick("vol-", 8);
            try (MetaView v = leader.view()) {
                final Volume vol = v.volume(volumeId).orElse(null);
                if (vol == null) {
                    return new ResizeVolume(id, volumeId, 128 * MIB, ExtentPlacement.NONE);
                }
                final long size = vol.sizeBytes() + (r.nextInt(5) - 1) * 64 * MIB;
                try {
                    return new ResizeVolume(id, volumeId, size, Placement.forResize(v, vol, Math.max(size,
                            vol.sizeBytes())));
                } catch (PlacementException e) {
                    return new ResizeVolume(id, volumeId, size, ExtentPlacement.NONE);
                }
            }
        }

        private MetaCommand replace(final String id) {
            try (MetaView v = leader.view()) {
                final List<Volume> vols = v.volumes();
                if (vols.isEmpty()) {
                    return new ReplaceExtentReplicas(id, 1, 1, List.of("node-0"));
                }
                final List<Extent> extents = v.extentsOf(vols.get(r.nextInt(vols.size())).id());
                final Extent e = extents.get(r.nextInt(extents.size()));
                final List<String> replicas = new ArrayList<>(e.replicas());
                replicas.set(r.nextInt(replicas.size()), pick("node-", 6));
                return new ReplaceExtentReplicas(id, e.id(), r.nextInt(4) == 0 ? e.epoch() + 1 : e.epoch(), replicas);
            }
        }
    }
}
