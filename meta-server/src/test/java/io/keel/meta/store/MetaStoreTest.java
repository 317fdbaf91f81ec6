package io.keel.meta.store;

import static io.keel.meta.store.Fixture.GIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.CommandCodec;
import io.keel.meta.command.CreateSnapshot;
import io.keel.meta.command.CreateVolume;
import io.keel.meta.command.DeletePool;
import io.keel.meta.command.ErrorCode;
import io.keel.meta.command.SetNodeState;
import io.keel.meta.model.Extent;
import io.keel.meta.model.NodeState;
import io.keel.meta.model.Provisioning;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetaStoreTest {

    @TempDir
    Path dir;

    private static Fixture populated(final Path dir) throws IOException {
        final Fixture f = new Fixture(dir);
        f.nodes(3, 100 * GIB);
        f.pool("p1", 3, Provisioning.THIN);
        f.pool("p2", 2, Provisioning.THICK);
        f.ok(f.volume("vol-1", "v1", "p1", 4 * GIB));
        f.ok(f.volume("vol-2", "v2", "p2", GIB));
        f.ok(new CreateSnapshot(f.nextChangeId(), "snap-1", "vol-1", "s1", 4000));
        return f;
    }

    private static byte[] snapshot(final MetaStore store) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.writeSnapshot(out);
        return out.toByteArray();
    }

    @Test
    void sameChangeIdAppliesOnceAndKeepsItsResult() throws IOException {
        try (Fixture f = populated(dir.resolve("a"))) {
            final CreateVolume create = f.volume("vol-3", "v3", "p1", GIB);
            final ChangeResult first = f.ok(create);
            final List<Object> state = f.store.read(StateDump::of);
            // A retry of the same change, and an unrelated change reusing its id: both are no-ops.
            f.store.apply(f.store.appliedIndex() + 1, List.of(CommandCodec.encode(create),
                    CommandCodec.encode(new DeletePool(create.changeId(), "p1"))));
            assertThat(f.store.result(create.changeId())).contains(first);
            assertThat(f.store.read(StateDump::of)).isEqualTo(state);
            // A retry of a refused change stays refused with its first message even if it would now pass.
            final ChangeResult refused = f.submit(new SetNodeState("retry-me", "node-9", NodeState.DOWN, "", 0));
            assertThat(refused.outcome()).isEqualTo(ErrorCode.NOT_FOUND);
            f.node(9, null, GIB);
            assertThat(f.submit(new SetNodeState("retry-me", "node-9", NodeState.DOWN, "", 0))).isEqualTo(refused);
        }
    }

    @Test
    void reopenKeepsStateAndAppliedIndex() throws IOException {
        try (Fixture f = populated(dir)) {
            final List<Object> before = f.store.read(StateDump::withIndex);
            final long applied = f.store.appliedIndex();
            f.reopen();
            assertThat(f.store.appliedIndex()).isEqualTo(applied);
            assertThat(f.store.read(StateDump::withIndex)).isEqualTo(before);
            // Extent ids continue from the counter, not from 1.
            final long maxId = f.store.read((MetaReader v) -> v.extentsOf("vol-1")).stream().mapToLong(Extent::id)
                    .max().orElseThrow();
            f.ok(f.volume("vol-3", "v3", "p1", GIB));
            assertThat(f.store.read((MetaReader v) -> v.extentsOf("vol-3")).getFirst().id()).isGreaterThan(maxId + 4);
        }
    }

    @Test
    void applyRefusesGapsAndReplays() throws IOException {
        try (Fixture f = populated(dir)) {
            final long applied = f.store.appliedIndex();
            final byte[] e = CommandCodec.encode(new DeletePool("x", "nope"));
            assertThatThrownBy(() -> f.store.apply(applied, List.of(e))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("applied index is " + applied);
            assertThatThrownBy(() -> f.store.apply(applied + 2, List.of(e))).isInstanceOf(
                    IllegalArgumentException.class);
            assertThat(f.store.appliedIndex()).isEqualTo(applied);
        }
    }

    @Test
    void snapshotRestoresIntoAFreshStore() throws IOException {
        try (Fixture f = populated(dir.resolve("a")); MetaStore fresh = MetaStore.open(dir.resolve("b"))) {
            final byte[] snap = snapshot(f.store);
            fresh.restoreSnapshot(f.store.appliedIndex(), new ByteArrayInputStream(snap));
            assertThat(fresh.appliedIndex()).isEqualTo(f.store.appliedIndex());
            assertThat(fresh.read(StateDump::withIndex)).isEqualTo(f.store.read(StateDump::withIndex));
            assertThat(fresh.result("c-1")).isEqualTo(f.store.result("c-1"));
            // Byte-identical state gives a byte-identical snapshot.
            assertThat(snapshot(fresh)).isEqualTo(snap);
            // And it survives a reopen (CURRENT now names the restored directory).
            fresh.close();
            try (MetaStore again = MetaStore.open(dir.resolve("b"))) {
                assertThat(again.read(StateDump::withIndex)).isEqualTo(f.store.read(StateDump::withIndex));
                assertThat(Files.readString(dir.resolve("b").resolve("CURRENT")).strip()).isEqualTo("state-2");
                try (var entries = Files.list(dir.resolve("b"))) {
                    assertThat(entries.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("CURRENT",
                            "state-2");
                }
            }
        }
    }

    @Test
    void corruptSnapshotIsRefusedAndStateStays() throws IOException {
        try (Fixture source = populated(dir.resolve("a")); Fixture target = new Fixture(dir.resolve("b"))) {
            target.nodes(1, GIB);
            final List<Object> before = target.store.read(StateDump::withIndex);
            final byte[] snap = snapshot(source.store);
            final long index = source.store.appliedIndex();
            for (int at : new int[] {30, snap.length / 2, snap.length - 1}) {
                final byte[] bad = snap.clone();
                bad[at] ^= 0x01;
                assertThatThrownBy(() -> target.store.restoreSnapshot(index, new ByteArrayInputStream(bad)))
                        .isInstanceOf(SnapshotFormatException.class).hasMessageContaining("corrupt");
            }
            final byte[] truncated = java.util.Arrays.copyOf(snap, snap.length - 10);
            assertThatThrownBy(() -> target.store.restoreSnapshot(index, new ByteArrayInputStream(truncated)))
                    .isInstanceOf(SnapshotFormatException.class).hasMessageContaining("truncated");
            assertThatThrownBy(() -> target.store.restoreSnapshot(index + 1, new ByteArrayInputStream(snap)))
                    .isInstanceOf(SnapshotFormatException.class).hasMessageContaining("expected " + (index + 1));
            assertThat(target.store.read(StateDump::withIndex)).isEqualTo(before);
            target.reopen();
            assertThat(target.store.read(StateDump::withIndex)).isEqualTo(before);
        }
    }

    @Test
    void newerFormatIsRefusedWithAClearMessage() throws IOException {
        try (MetaStore s = MetaStore.open(dir)) {
            s.rawPut(Keys.FORMAT, Keys.u32(MetaStore.FORMAT_VERSION + 1));
        }
        assertThatThrownBy(() -> MetaStore.open(dir)).isInstanceOf(IOException.class).hasMessageContaining(
                "has format version 2 but this build of Keel reads up to version 1", "upgrade this node");
    }

    @Test
    void newerEntriesStopApplyAndMalformedEntriesAreSkipped() throws IOException {
        try (Fixture f = populated(dir)) {
            final long applied = f.store.appliedIndex();
            final byte[] newer = "{\"v\":2,\"type\":\"Future\",\"command\":{\"changeId\":\"z\"}}"
                    .getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> f.store.apply(applied + 1, List.of(CommandCodec.encode(
                    new DeletePool("a", "p9")), newer))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("format version 2", "upgrade this node");
            assertThat(f.store.appliedIndex()).isEqualTo(applied);
            assertThat(f.store.result("a")).isEmpty();
            final byte[] unknownField = ("{\"v\":1,\"type\":\"DeletePool\","
                    + "\"command\":{\"changeId\":\"u\",\"name\":\"p9\",\"x\":1}}").getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> f.store.apply(applied + 1, List.of(unknownField)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("'x'", "upgrade this node");
            assertThat(f.store.appliedIndex()).isEqualTo(applied);
            final byte[] garbled = ("{\"v\":1,\"type\":\"CreatePool\","
                    + "\"command\":{\"changeId\":\"g\",\"name\":{\"a\":1}}}").getBytes(StandardCharsets.UTF_8);
            f.store.apply(applied + 1, List.of("not json".getBytes(StandardCharsets.UTF_8), garbled));
            assertThat(f.store.appliedIndex()).isEqualTo(applied + 2);
            assertThat(f.store.result("g").orElseThrow().outcome()).isEqualTo(ErrorCode.INTERNAL);
        }
    }

    @Test
    void resultsAreKeptForABoundedNumberOfChanges() throws IOException {
        try (MetaStore s = MetaStore.open(dir, 3)) {
            for (int i = 1; i <= 5; i++) {
                s.apply(i, List.of(CommandCodec.encode(new DeletePool("c" + i, "p"))));
            }
            // A duplicate (no new result) in between must not disturb the accounting.
            s.apply(6, List.of(CommandCodec.encode(new DeletePool("c5", "p"))));
            s.apply(7, List.of(CommandCodec.encode(new DeletePool("c7", "p"))));
            assertThat(List.of("c1", "c2", "c3", "c4", "c5", "c7").stream().map(id -> s.result(id).isPresent()))
                    .containsExactly(false, false, false, true, true, true);
            // An evicted change id is no longer recognised: a very late retry applies again (documented).
            s.apply(8, List.of(CommandCodec.encode(new DeletePool("c1", "p"))));
            assertThat(s.result("c1").orElseThrow().index()).isEqualTo(8);
        }
    }

    @Test
    void underReplicatedExtentsAndUsage() throws IOException {
        try (Fixture f = populated(dir)) {
            assertThat(f.store.read((MetaReader v) -> v.underReplicatedExtents())).isEmpty();
            final List<Extent> onNode2 = f.store.read((MetaReader v) -> v.underReplicatedExtents(Set.of("node-2")));
            // vol-1: 16 extents x RF3 + 16 frozen copies, all on node-2; vol-2: RF2 over 3 nodes, some on node-2.
            assertThat(onNode2).allMatch(e -> e.replicas().contains("node-2"));
            assertThat(onNode2.stream().filter(e -> e.volumeId().equals("vol-1"))).hasSize(32);
            f.ok(new SetNodeState(f.nextChangeId(), "node-2", NodeState.DOWN, "heartbeat lost", 9000));
            assertThat(f.store.read((MetaReader v) -> v.underReplicatedExtents())).isEqualTo(onNode2);
            assertThat(f.store.read((MetaReader v) -> v.poolUsage("p1")).orElseThrow())
                    .isEqualTo(new PoolUsage("p1", 1, 4 * GIB, 0));
            assertThat(f.store.read((MetaReader v) -> v.snapshotExtents("snap-1"))).hasSize(16)
                    .allMatch(e -> "snap-1".equals(e.snapshotId()));
        }
    }

    @Test
    void strayExtentsAreReportedCopiesTheMetadataDoesNotPlaceThere() throws IOException {
        try (Fixture f = populated(dir)) {
            final List<Extent> all = f.store.read((MetaReader v) -> v.underReplicatedExtents(
                    Set.of("node-1", "node-2", "node-3")));
            final long onNode2 = all.stream().filter(e -> e.replicas().contains("node-2")).findFirst()
                    .orElseThrow().id();
            final long notOnNode2 = all.stream().filter(e -> !e.replicas().contains("node-2")).findFirst()
                    .orElseThrow().id();
            final long unknown = all.stream().mapToLong(Extent::id).max().orElseThrow() + 1000;
            assertThat(f.store.read((MetaReader v) -> v.strayExtents("node-2",
                    List.of(unknown, onNode2, notOnNode2, onNode2)))).containsExactly(notOnNode2, unknown);
            assertThat(f.store.read((MetaReader v) -> v.strayExtents("node-2", List.of(onNode2)))).isEmpty();
        }
    }

    @Test
    void readersNeverSeeHalfAnApply() throws Exception {
        try (Fixture f = populated(dir)) {
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicReference<String> problem = new AtomicReference<>();
            final Thread reader = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    try (MetaView v = f.store.view()) {
                        // Each volume and its extents are created in one apply: never one without the other.
                        for (var vol : v.volumes()) {
                            if (v.extentsOf(vol.id()).size() != vol.extentCount()) {
                                problem.set("volume " + vol.name() + " without all its extents");
                            }
                        }
                    }
                }
            });
            for (int i = 0; i < 40; i++) {
                f.ok(f.volume("vol-x" + i, "x" + i, "p1", 2 * GIB));
            }
            stop.set(true);
            reader.join();
            assertThat(problem.get()).isNull();
        }
    }
}
