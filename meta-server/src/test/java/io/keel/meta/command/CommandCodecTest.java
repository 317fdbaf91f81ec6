package io.keel.meta.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.meta.model.DiskRole;
import io.keel.meta.model.FailureDomain;
import io.keel.meta.model.Lun;
import io.keel.meta.model.NodeLabels;
import io.keel.meta.model.NodeRole;
import io.keel.meta.model.NodeState;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.QosLimits;
import io.keel.meta.model.Volume;
import io.keel.meta.secret.AdminCredential;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandCodecTest {

    @Test
    void everyCommandRoundTrips() {
        final List<MetaCommand> all = List.of(
                new RegisterNode("c", "node-1", "n1", "h:1", "h:2", new NodeLabels("r1", null),
                        List.of(NodeRole.META), 1),
                new SetNodeState("c", "node-1", NodeState.DOWN, "why", 2),
                new UpdateNodeLabels("c", "node-1", NodeLabels.NONE),
                new RegisterDisk("c", "d", "node-1", "/dev/a", DiskRole.JOURNAL_CACHE, 4096),
                new RemoveDisk("c", "d"),
                new CreatePool("c", "p", 2, Provisioning.THICK, FailureDomain.SITE, new QosLimits(1, 2), 3),
                new UpdatePool("c", "p", QosLimits.UNLIMITED),
                new DeletePool("c", "p"),
                new CreateVolume("c", "v", "v", "p", 4096, null, 1 << 20, "node-1",
                        ExtentPlacement.of(List.of(List.of("a", "b"), List.of("b", "a"))), 4, 512),
                new ResizeVolume("c", "v", 8192, ExtentPlacement.NONE),
                new DeleteVolume("c", "v"),
                new SetVolumeServingNode("c", "v", null),
                new SetVolumeQos("c", "v", new QosLimits(100, 1 << 20)),
                new CreateSnapshot("c", "s", "v", "s", 5),
                new DeleteSnapshot("c", "s"),
                new CreateTarget("c", "iqn.2025-01.a", "x", List.of(new Lun(0, "v"), new Lun(1, "w", true)),
                        List.of("iqn.2025-01.b"), null, 6),
                new UpdateTarget("c", "iqn.2025-01.a", null, List.of(), List.of(), null),
                new DeleteTarget("c", "iqn.2025-01.a"),
                new SetAdminCredential("c", AdminCredential.create("admin", "pw".toCharArray(), 1000, 7)),
                new ReplaceExtentReplicas("c", 9, 1, List.of("a")),
                new SetScsiReservations("c", "v", new byte[] {1, 2, 3}),
                new SetDiscoveryChap("c", null));
        assertThat(all.stream().map(MetaCommand::getClass).distinct()).hasSize(
                MetaCommand.class.getPermittedSubclasses().length);
        for (MetaCommand c : all) {
            final byte[] entry = CommandCodec.encode(c);
            assertThat(new String(entry, StandardCharsets.UTF_8)).startsWith("{\"v\":1,\"type\":\""
                    + c.getClass().getSimpleName() + "\"");
            assertThat(CommandCodec.decode(entry)).isEqualTo(c);
        }
    }

    @Test
    void aLunIsWrittenWithReadOnlyOnlyWhenItIsReadOnly() {
        assertThat(new String(MetaJson.toBytes(new Lun(0, "v")), StandardCharsets.UTF_8))
                .isEqualTo("{\"number\":0,\"volumeId\":\"v\"}");
        assertThat(new String(MetaJson.toBytes(new Lun(2, "v", true)), StandardCharsets.UTF_8))
                .isEqualTo("{\"number\":2,\"volumeId\":\"v\",\"readOnly\":true}");
        assertThat(MetaJson.fromBytes("{\"number\":0,\"volumeId\":\"v\"}".getBytes(StandardCharsets.UTF_8),
                Lun.class)).isEqualTo(new Lun(0, "v", false));
    }

    @Test
    void aVolumeOrCreateVolumeStoredBeforeThePhysicalBlockSizeReadsWithTheDefault() {
        final Volume old = MetaJson.fromBytes(("{\"id\":\"v\",\"name\":\"v\",\"pool\":\"p\",\"sizeBytes\":4096,"
                + "\"provisioning\":\"THIN\",\"servingNode\":null,\"state\":\"ACTIVE\",\"createdAt\":1,"
                + "\"extentSize\":1048576,\"qos\":null}").getBytes(StandardCharsets.UTF_8), Volume.class);
        assertThat(old.effectivePhysicalBlockBytes()).isEqualTo(4096);
        assertThat(new String(MetaJson.toBytes(old), StandardCharsets.UTF_8)).as("stored as before the field existed")
                .doesNotContain("physicalBlockBytes");
        final Volume native512 = new Volume("v", "v", "p", 4096, Provisioning.THIN, null, null, 1, 1 << 20, null, 512);
        assertThat(new String(MetaJson.toBytes(native512), StandardCharsets.UTF_8))
                .contains("\"physicalBlockBytes\":512");
        assertThat(new Volume("v", "v", "p", 4096, Provisioning.THIN, null, null, 1, 1 << 20, null, 4096)
                .physicalBlockBytes()).as("4096 given is the default, kept as null").isNull();
        final String entry = new String(CommandCodec.encode(new CreateVolume("c", "v", "v", "p", 4096, null, 1 << 20,
                null, ExtentPlacement.NONE, 4, null)), StandardCharsets.UTF_8);
        assertThat(entry).as("what older builds wrote").doesNotContain("physicalBlockBytes");
        assertThat(((CreateVolume) CommandCodec.decode(entry.getBytes(StandardCharsets.UTF_8))).physicalBlockBytes())
                .isNull();
    }

    @Test
    void placementIsCompact() {
        final ExtentPlacement p = ExtentPlacement.of(List.of(List.of("a", "b"), List.of("b", "c")));
        assertThat(p.nodes()).containsExactly("a", "b", "c");
        assertThat(p.replicas()).containsExactly(List.of(0, 1), List.of(1, 2));
        assertThat(p.replicasOf(1)).containsExactly("b", "c");
    }

    @Test
    void refusesWhatItCannotRead() {
        assertThatThrownBy(() -> CommandCodec.decode("{\"v\":2,\"type\":\"X\"}".getBytes()))
                .isInstanceOf(EntryFormatException.class).hasMessageContaining("upgrade")
                .satisfies(e -> assertThat(((EntryFormatException) e).newerVersion()).isTrue());
        // Types and fields are only ever added: one this build does not know means a newer writer.
        assertThatThrownBy(() -> CommandCodec.decode("{\"v\":1,\"type\":\"Nope\",\"command\":{}}".getBytes()))
                .isInstanceOf(EntryFormatException.class).hasMessageContaining("type 'Nope'", "upgrade")
                .satisfies(e -> assertThat(((EntryFormatException) e).newerVersion()).isTrue());
        assertThatThrownBy(() -> CommandCodec.decode(
                "{\"v\":1,\"type\":\"DeletePool\",\"command\":{\"changeId\":\"c\",\"name\":\"p\",\"extra\":1}}"
                        .getBytes())).isInstanceOf(EntryFormatException.class)
                .hasMessageContaining("'extra'", "upgrade")
                .satisfies(e -> assertThat(((EntryFormatException) e).newerVersion()).isTrue());
        assertThatThrownBy(() -> CommandCodec.decode(("{\"v\":1,\"type\":\"CreateTarget\",\"command\":{\"changeId\":"
                + "\"c\",\"iqn\":\"iqn.2025-01.a\",\"luns\":[{\"number\":0,\"volumeId\":\"v\",\"lunFlag\":1}]}}")
                .getBytes())).isInstanceOf(EntryFormatException.class).hasMessageContaining("upgrade")
                .satisfies(e -> assertThat(((EntryFormatException) e).newerVersion()).isTrue());
        assertThatThrownBy(() -> CommandCodec.decode(("{\"v\":1,\"type\":\"SetNodeState\",\"command\":{\"changeId\":"
                + "\"c\",\"nodeId\":\"n\",\"state\":\"HIBERNATING\",\"reason\":\"r\",\"at\":1}}").getBytes()))
                .isInstanceOf(EntryFormatException.class).hasMessageContaining("HIBERNATING", "upgrade")
                .satisfies(e -> assertThat(((EntryFormatException) e).newerVersion()).isTrue());
        for (String noType : List.of("{\"v\":1,\"command\":{}}", "{\"v\":1,\"type\":\"\",\"command\":{}}",
                "{\"v\":1,\"type\":7,\"command\":{}}")) {
            assertThatThrownBy(() -> CommandCodec.decode(noType.getBytes())).isInstanceOf(EntryFormatException.class)
                    .hasMessageContaining("no type")
                    .satisfies(e -> assertThat(((EntryFormatException) e).newerVersion()).isFalse());
        }
        assertThatThrownBy(() -> CommandCodec.decode(
                "{\"v\":1,\"type\":\"DeletePool\",\"command\":{\"changeId\":\"c\",\"name\":{\"a\":1}}}".getBytes()))
                .isInstanceOf(EntryFormatException.class).hasMessageContaining("does not parse")
                .satisfies(e -> assertThat(((EntryFormatException) e).newerVersion()).isFalse());
    }
}
