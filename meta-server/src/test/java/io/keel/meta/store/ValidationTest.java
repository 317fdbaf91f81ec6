package io.keel.meta.store;

import static io.keel.meta.store.Fixture.EXTENT;
import static io.keel.meta.store.Fixture.GIB;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.CreatePool;
import io.keel.meta.command.CreateSnapshot;
import io.keel.meta.command.CreateTarget;
import io.keel.meta.command.CreateVolume;
import io.keel.meta.command.DeletePool;
import io.keel.meta.command.DeleteVolume;
import io.keel.meta.command.SetScsiReservations;
import io.keel.meta.command.ErrorCode;
import io.keel.meta.command.ExtentPlacement;
import io.keel.meta.command.RegisterDisk;
import io.keel.meta.command.RegisterNode;
import io.keel.meta.command.RemoveDisk;
import io.keel.meta.command.ReplaceExtentReplicas;
import io.keel.meta.command.ResizeVolume;
import io.keel.meta.command.SetAdminCredential;
import io.keel.meta.command.SetDiscoveryChap;
import io.keel.meta.command.SetNodeState;
import io.keel.meta.command.UpdateTarget;
import io.keel.meta.model.ChapCredentials;
import io.keel.meta.model.DiskRole;
import io.keel.meta.model.Extent;
import io.keel.meta.model.FailureDomain;
import io.keel.meta.model.Lun;
import io.keel.meta.model.NodeLabels;
import io.keel.meta.model.NodeRole;
import io.keel.meta.model.NodeState;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.QosLimits;
import io.keel.meta.secret.AdminCredential;
import io.keel.meta.secret.SealedSecret;
import io.keel.meta.secret.SecretBox;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidationTest {

    private static final String IQN = "iqn.2025-01.io.keel:target1";
    private static final SecretBox BOX = new SecretBox(new byte[32]);

    @TempDir
    Path dir;
    Fixture f;

    @BeforeEach
    void setUp() throws IOException {
        f = new Fixture(dir);
        f.nodes(3, 100 * GIB);
        f.pool("p1", 3, Provisioning.THIN);
    }

    @AfterEach
    void tearDown() throws IOException {
        f.close();
    }

    private void assertRefused(final ChangeResult r, final ErrorCode code, final String... fragments) {
        assertThat(r.outcome()).as(r.toString()).isEqualTo(code);
        assertThat(r.message()).contains(fragments);
        assertThat(r.createdId()).isNull();
    }

    private String id() {
        return f.nextChangeId();
    }

    @Test
    void duplicatePoolName() {
        assertRefused(f.submit(new CreatePool(id(), "p1", 1, Provisioning.THIN, FailureDomain.NODE, null, 0)),
                ErrorCode.ALREADY_EXISTS, "pool 'p1' already exists");
    }

    @Test
    void malformedNames() {
        assertRefused(f.submit(new CreatePool(id(), "Bad Name", 1, Provisioning.THIN, FailureDomain.NODE, null, 0)),
                ErrorCode.INVALID_ARGUMENT, "pool name 'Bad Name' is malformed");
        assertRefused(f.submit(new CreatePool(id(), "-x", 1, Provisioning.THIN, FailureDomain.NODE, null, 0)),
                ErrorCode.INVALID_ARGUMENT, "'-x'");
        assertRefused(f.submit(new CreatePool(id(), "a".repeat(64), 1, Provisioning.THIN, FailureDomain.NODE, null,
                0)), ErrorCode.INVALID_ARGUMENT, "malformed");
        assertRefused(f.submit(f.volume("vol-1", "UPPER", "p1", GIB)), ErrorCode.INVALID_ARGUMENT,
                "volume name 'UPPER' is malformed");
        assertRefused(f.submit(new RegisterNode(id(), "node-9", "n9", "no-port", "h:1", null, List.of(), 0)),
                ErrorCode.INVALID_ARGUMENT, "RPC address 'no-port' is not host:port");
    }

    @Test
    void duplicateVolumeNameAndId() {
        f.ok(f.volume("vol-1", "v1", "p1", GIB));
        assertRefused(f.submit(f.volume("vol-2", "v1", "p1", GIB)), ErrorCode.ALREADY_EXISTS,
                "volume 'v1' already exists");
        assertRefused(f.submit(f.volume("vol-1", "v2", "p1", GIB)), ErrorCode.ALREADY_EXISTS,
                "volume id vol-1 already exists");
    }

    @Test
    void duplicateNodeNameAndDisk() {
        assertRefused(f.submit(new RegisterNode(id(), "node-9", "n1", "h:1", "h:2", null, List.of(), 0)),
                ErrorCode.ALREADY_EXISTS, "node name 'n1' is taken by node node-1");
        assertRefused(f.submit(new RegisterDisk(id(), "disk-1", "node-1", "/dev/x", DiskRole.DATA, GIB)),
                ErrorCode.ALREADY_EXISTS, "disk disk-1 is already registered");
        assertRefused(f.submit(new RegisterDisk(id(), "disk-9", "node-9", "/dev/x", DiskRole.DATA, GIB)),
                ErrorCode.NOT_FOUND, "node node-9 is not registered");
        assertRefused(f.submit(new RegisterDisk(id(), "disk-9", "node-1", "/dev/x", DiskRole.DATA, 4095)),
                ErrorCode.INVALID_ARGUMENT, "disk disk-9 capacity must be a positive multiple of 4096");
    }

    @Test
    void reRegisteringANodeUpdatesItAndKeepsItsState() {
        f.ok(new SetNodeState(id(), "node-1", NodeState.DOWN, "heartbeat lost", 5000));
        f.ok(new RegisterNode(id(), "node-1", "n1-renamed", "10.0.0.9:7000", "10.0.0.9:8080", null, List.of(), 6000));
        final var n = f.store.read((MetaReader v) -> v.node("node-1")).orElseThrow();
        assertThat(n.name()).isEqualTo("n1-renamed");
        assertThat(n.state()).isEqualTo(NodeState.DOWN);
        assertThat(n.registeredAt()).isEqualTo(1000);
        assertThat(f.store.read((MetaReader v) -> v.nodeByName("n1"))).isEmpty();
        assertThat(f.store.read((MetaReader v) -> v.nodeByName("n1-renamed"))).isPresent();
    }

    @Test
    void volumeSizes() {
        assertRefused(f.submit(volume("vol-1", "v1", 0)), ErrorCode.INVALID_ARGUMENT,
                "volume 'v1' size must be a positive multiple of 4096 bytes, got 0");
        assertRefused(f.submit(volume("vol-1", "v1", GIB + 512)), ErrorCode.INVALID_ARGUMENT, "got " + (GIB + 512));
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, 3 * Fixture.MIB, null,
                f.plan("p1", GIB, null), 0, null)), ErrorCode.INVALID_ARGUMENT, "extent size must be a power of two");
    }

    @Test
    void aVolumeReportsA512Or4096BytePhysicalBlock() {
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, EXTENT, null,
                f.plan("p1", GIB, null), 0, 1024)), ErrorCode.INVALID_ARGUMENT,
                "volume 'v1': physical block size must be 512 or 4096 bytes, got 1024");
        f.ok(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, EXTENT, null, f.plan("p1", GIB, null), 0, 512));
        f.ok(f.volume("vol-2", "v2", "p1", GIB));
        assertThat(f.store.read((MetaReader v) -> v.volume("vol-1")).orElseThrow().effectivePhysicalBlockBytes())
                .isEqualTo(512);
        assertThat(f.store.read((MetaReader v) -> v.volume("vol-2")).orElseThrow().effectivePhysicalBlockBytes())
                .isEqualTo(4096);
        f.ok(new ResizeVolume(id(), "vol-1", 2 * GIB, f.plan("p1", GIB, null)));
        assertThat(f.store.read((MetaReader v) -> v.volume("vol-1")).orElseThrow().effectivePhysicalBlockBytes())
                .as("kept when the volume grows").isEqualTo(512);
    }

    private CreateVolume volume(final String volumeId, final String name, final long size) {
        return new CreateVolume(id(), volumeId, name, "p1", size, null, EXTENT, null, ExtentPlacement.NONE, 0, null);
    }

    @Test
    void replicationFactorRange() {
        assertRefused(f.submit(new CreatePool(id(), "p0", 0, Provisioning.THIN, FailureDomain.NODE, null, 0)),
                ErrorCode.INVALID_ARGUMENT, "pool 'p0': replication factor must be 1 to 3, got 0");
        assertRefused(f.submit(new CreatePool(id(), "p4", 4, Provisioning.THIN, FailureDomain.NODE, null, 0)),
                ErrorCode.INVALID_ARGUMENT, "got 4");
    }

    @Test
    void replicationFactorAboveFailureDomains() {
        // Three nodes, none with a rack label, two with the same one: two rack domains... unless unlabelled.
        f.ok(new io.keel.meta.command.UpdateNodeLabels(id(), "node-1", new NodeLabels("r1", null)));
        f.ok(new io.keel.meta.command.UpdateNodeLabels(id(), "node-2", new NodeLabels("r1", null)));
        assertRefused(f.submit(new CreatePool(id(), "racks", 3, Provisioning.THIN, FailureDomain.RACK, null, 0)),
                ErrorCode.FAILED_PRECONDITION, "pool 'racks' needs 3 distinct rack failure domains;",
                "the registered chunk nodes form 2");
        f.ok(new CreatePool(id(), "racks", 2, Provisioning.THIN, FailureDomain.RACK, null, 0));
    }

    @Test
    void replicationFactorAboveDomainsAtVolumeCreate() {
        // The pool was fine when created; then a node's label merged two domains.
        f.ok(new CreatePool(id(), "racks", 3, Provisioning.THIN, FailureDomain.RACK, null, 0));
        final ExtentPlacement p = placementOf(List.of("node-1", "node-2", "node-3"), 4);
        f.ok(new io.keel.meta.command.UpdateNodeLabels(id(), "node-1", new NodeLabels("r1", null)));
        f.ok(new io.keel.meta.command.UpdateNodeLabels(id(), "node-2", new NodeLabels("r1", null)));
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "racks", GIB, null, EXTENT, null, p, 0, null)),
                ErrorCode.FAILED_PRECONDITION, "volume 'v1' in pool 'racks' needs 3 distinct rack failure domains");
    }

    @Test
    void rolesDecideWhereReplicasAndServingNodesMayBe() {
        // node-9 runs only the meta role: it holds no replicas, serves no volume, and its rack
        // does not count as a failure domain.
        f.ok(new RegisterNode(id(), "node-9", "n9", "h:1", "h:2", new NodeLabels("r9", null),
                List.of(NodeRole.META), 0));
        f.ok(new io.keel.meta.command.UpdateNodeLabels(id(), "node-1", new NodeLabels("r1", null)));
        f.ok(new io.keel.meta.command.UpdateNodeLabels(id(), "node-2", new NodeLabels("r1", null)));
        assertRefused(f.submit(new CreatePool(id(), "racks", 3, Provisioning.THIN, FailureDomain.RACK, null, 0)),
                ErrorCode.FAILED_PRECONDITION, "the registered chunk nodes form 2");
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, EXTENT, null,
                placementOf(List.of("node-1", "node-2", "node-9"), 4), 0, null)), ErrorCode.FAILED_PRECONDITION,
                "replica node 'n9' does not run the chunk role");
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, EXTENT, "node-9",
                placementOf(List.of("node-1", "node-2", "node-3"), 4), 0, null)), ErrorCode.FAILED_PRECONDITION,
                "node 'n9' (node-9) does not run the access role");
        f.ok(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, EXTENT, "node-3",
                placementOf(List.of("node-1", "node-2", "node-3"), 4), 0, null));
        f.ok(f.volume("vol-2", "v2", "p1", 8 * GIB)); // planned by Placement
        assertThat(f.store.read((MetaReader v) -> v.extentsOf("vol-2"))).hasSize(32)
                .allSatisfy(e -> assertThat(e.replicas()).doesNotContain("node-9"));
    }

    private static ExtentPlacement placementOf(final List<String> replicas, final int extents) {
        return ExtentPlacement.of(java.util.Collections.nCopies(extents, replicas));
    }

    @Test
    void thickVolumeNeedsCapacity() {
        f.pool("thick", 3, Provisioning.THICK);
        // 300 GiB raw: a 100 GiB thick RF3 volume fits exactly, one more 4 KiB does not.
        f.ok(new CreateVolume(id(), "vol-1", "v1", "thick", 60 * GIB, null, EXTENT, null,
                f.plan("thick", 60 * GIB, null), 0, null));
        assertRefused(f.submit(new CreateVolume(id(), "vol-2", "v2", "thick", 41 * GIB, null, EXTENT, null,
                placementOf(List.of("node-1", "node-2", "node-3"), 164), 0, null)), ErrorCode.INSUFFICIENT_CAPACITY,
                "volume 'v2' needs " + 123 * GIB + " raw bytes of thick reservation but only " + 120 * GIB
                        + " of " + 300 * GIB + " DATA bytes are free");
        f.ok(new CreateVolume(id(), "vol-2", "v2", "thick", 40 * GIB, null, EXTENT, null,
                placementOf(List.of("node-1", "node-2", "node-3"), 160), 0, null));
        assertThat(f.store.read((MetaReader v) -> v.capacity()))
                .isEqualTo(new ClusterCapacity(300 * GIB, 300 * GIB, 0));
        assertThat(f.store.read((MetaReader v) -> v.poolUsage("thick")).orElseThrow())
                .isEqualTo(new PoolUsage("thick", 2, 100 * GIB, 300 * GIB));
        // A thick volume in a thin pool reserves too; thin volumes never do.
        f.ok(f.volume("vol-3", "v3", "p1", 500 * GIB));
        assertRefused(f.submit(new CreateVolume(id(), "vol-4", "v4", "p1", GIB, Provisioning.THICK, EXTENT, null,
                f.plan("p1", GIB, null), 0, null)), ErrorCode.INSUFFICIENT_CAPACITY, "volume 'v4'");
        // Growing a thick volume is checked as well, and removing capacity under reservations is refused.
        assertRefused(f.submit(new ResizeVolume(id(), "vol-2", 41 * GIB,
                placementOf(List.of("node-1", "node-2", "node-3"), 4))), ErrorCode.INSUFFICIENT_CAPACITY,
                "volume 'v2' needs " + 3 * GIB);
        assertRefused(f.submit(new RemoveDisk(id(), "disk-1")), ErrorCode.FAILED_PRECONDITION,
                "removing disk disk-1 would leave " + 200 * GIB + " bytes of DATA capacity for " + 300 * GIB);
    }

    @Test
    void placementMustBeValid() {
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, EXTENT, null,
                placementOf(List.of("node-1", "node-2", "node-3"), 3), 0, null)), ErrorCode.INVALID_ARGUMENT,
                "volume 'v1' needs a placement for 4 extents, got 3");
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, EXTENT, null,
                placementOf(List.of("node-1", "node-2"), 4), 0, null)), ErrorCode.INVALID_ARGUMENT,
                "volume 'v1' extent 0 needs 3 replicas, got 2");
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, EXTENT, null,
                placementOf(List.of("node-1", "node-2", "node-1"), 4), 0, null)), ErrorCode.FAILED_PRECONDITION,
                "volume 'v1' extent 0: replicas share failure domain node:node-1");
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, EXTENT, null,
                placementOf(List.of("node-1", "node-2", "node-7"), 4), 0, null)), ErrorCode.STALE_PLACEMENT,
                "node node-7 is not registered");
        f.ok(new SetNodeState(id(), "node-3", NodeState.DOWN, "", 0));
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, EXTENT, null,
                placementOf(List.of("node-1", "node-2", "node-3"), 4), 0, null)), ErrorCode.STALE_PLACEMENT,
                "node 'n3' (node-3) is DOWN");
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "p1", GIB, null, EXTENT, null,
                new ExtentPlacement(List.of("node-1"), List.of(List.of(0, 1, 2))), 0, null)),
                ErrorCode.INVALID_ARGUMENT,
                "needs a placement for 4 extents");
        assertRefused(f.submit(new CreateVolume(id(), "vol-1", "v1", "p1", EXTENT, null, EXTENT, null,
                new ExtentPlacement(List.of("node-1"), List.of(List.of(0, 1, 2))), 0, null)),
                ErrorCode.INVALID_ARGUMENT,
                "refers to node #1 outside its node table");
    }

    @Test
    void deleteVolumeInUse() {
        f.ok(f.volume("vol-1", "v1", "p1", GIB));
        f.ok(new CreateTarget(id(), IQN, null, List.of(new Lun(0, "vol-1")), List.of(), null, 0));
        assertRefused(f.submit(new DeleteVolume(id(), "vol-1")), ErrorCode.FAILED_PRECONDITION,
                "volume 'v1' is exported by target " + IQN);
        f.ok(new UpdateTarget(id(), IQN, null, List.of(), List.of(), null));
        f.ok(new CreateSnapshot(id(), "snap-1", "vol-1", "s1", 0));
        assertRefused(f.submit(new DeleteVolume(id(), "vol-1")), ErrorCode.FAILED_PRECONDITION,
                "volume 'v1' has 1 snapshot(s), e.g. 's1'");
        assertRefused(f.submit(new CreateSnapshot(id(), "snap-2", "vol-1", "s1", 0)), ErrorCode.ALREADY_EXISTS,
                "volume 'v1' already has a snapshot 's1'");
        assertRefused(f.submit(new DeleteVolume(id(), "vol-9")), ErrorCode.NOT_FOUND, "volume vol-9 does not exist");
    }

    @Test
    void scsiReservationsAreKeptPerVolumeUntilClearedOrTheVolumeIsDeleted() {
        f.ok(f.volume("vol-1", "v1", "p1", GIB));
        f.ok(new SetScsiReservations(id(), "vol-1", new byte[] {1, 2, 3}));
        assertThat(f.<byte[]>read(v -> v.scsiReservations("vol-1"))).containsExactly(1, 2, 3);
        assertThat(f.<byte[]>read(v -> v.scsiReservations("vol-2"))).isEmpty();
        f.ok(new SetScsiReservations(id(), "vol-1", new byte[0]));
        assertThat(f.<byte[]>read(v -> v.scsiReservations("vol-1"))).isEmpty();
        f.ok(new SetScsiReservations(id(), "vol-1", new byte[] {4}));
        assertRefused(f.submit(new SetScsiReservations(id(), "vol-1",
                new byte[SetScsiReservations.MAX_STATE_BYTES + 1])), ErrorCode.INVALID_ARGUMENT, "over the limit");
        assertRefused(f.submit(new SetScsiReservations(id(), "vol-9", new byte[] {1})), ErrorCode.NOT_FOUND,
                "volume vol-9 does not exist");
        assertThat(f.<Long>read(v -> v.extentAt("vol-1", 2).orElseThrow().index())).isEqualTo(2L);
        assertThat(f.<Boolean>read(v -> v.extentAt("vol-1", 99).isEmpty())).isTrue();
        f.ok(new DeleteVolume(id(), "vol-1"));
        assertThat(f.<byte[]>read(v -> v.scsiReservations("vol-1"))).isEmpty();
    }

    @Test
    void deletePoolWithVolumes() {
        f.ok(f.volume("vol-1", "v1", "p1", GIB));
        assertRefused(f.submit(new DeletePool(id(), "p1")), ErrorCode.FAILED_PRECONDITION,
                "pool 'p1' still has 1 volume(s), e.g. 'v1'");
        f.ok(new DeleteVolume(id(), "vol-1"));
        f.ok(new DeletePool(id(), "p1"));
        assertRefused(f.submit(new DeletePool(id(), "p1")), ErrorCode.NOT_FOUND, "pool 'p1' does not exist");
    }

    @Test
    void lunRules() {
        f.ok(f.volume("vol-1", "v1", "p1", GIB));
        f.ok(f.volume("vol-2", "v2", "p1", GIB));
        assertRefused(f.submit(new CreateTarget(id(), IQN, null, List.of(new Lun(0, "vol-1"), new Lun(0, "vol-2")),
                List.of(), null, 0)), ErrorCode.INVALID_ARGUMENT, "target " + IQN + ": LUN 0 is mapped twice");
        assertRefused(f.submit(new CreateTarget(id(), IQN, null, List.of(new Lun(256, "vol-1")), List.of(), null,
                0)), ErrorCode.INVALID_ARGUMENT, "LUN number 256 is not 0-255");
        assertRefused(f.submit(new CreateTarget(id(), IQN, null, List.of(new Lun(1, "vol-9")), List.of(), null,
                0)), ErrorCode.NOT_FOUND, "volume vol-9 does not exist");
        assertRefused(f.submit(new CreateTarget(id(), IQN, null, List.of(new Lun(0, "vol-1"), new Lun(1, "vol-1")),
                List.of(), null, 0)), ErrorCode.INVALID_ARGUMENT, "volume 'v1' is mapped to two LUNs");
        f.ok(new CreateTarget(id(), IQN, "alias", List.of(new Lun(0, "vol-1"), new Lun(255, "vol-2")), List.of(),
                null, 0));
        assertRefused(f.submit(new CreateTarget(id(), IQN, null, List.of(), List.of(), null, 0)),
                ErrorCode.ALREADY_EXISTS, "target " + IQN + " already exists");
    }

    @Test
    void iscsiNames() {
        for (String bad : List.of("iqn.2025-13.io.keel:x", "iqn.25-01.io.keel", "IQN.2025-01.io.keel",
                "iqn.2025-01.io.keel:has space", "eui.123", "naa.xyz0000000000000", "target1")) {
            assertRefused(f.submit(new CreateTarget(id(), bad, null, List.of(), List.of(), null, 0)),
                    ErrorCode.INVALID_ARGUMENT, "target IQN '" + bad + "' is not a lowercase iSCSI name");
        }
        for (String good : List.of("iqn.2025-01.io.keel", "iqn.1998-01.com.vmware:esx01-6b3c2d1f",
                "eui.02004567a425678d", "naa.52004567ba64678d", "naa.52004567ba64678d52004567ba64678d")) {
            f.ok(new CreateTarget(id(), good, null, List.of(), List.of(), null, 0));
        }
        assertRefused(f.submit(new CreateTarget(id(), IQN, null, List.of(), List.of("not-an-iqn"), null, 0)),
                ErrorCode.INVALID_ARGUMENT, "allowed initiator 'not-an-iqn'");
    }

    @Test
    void chapSecretLength() {
        final ChapCredentials good = ChapCredentials.seal(BOX, IQN, "user", "0123456789ab".getBytes(), null, null);
        f.ok(new CreateTarget(id(), IQN, null, List.of(), List.of(), good, 0));
        final SealedSecret tooShort = BOX.seal("01234567890".getBytes(), ChapCredentials.context(IQN, false));
        assertRefused(f.submit(new UpdateTarget(id(), IQN, null, List.of(), List.of(),
                new ChapCredentials("user", tooShort, null, null))), ErrorCode.INVALID_ARGUMENT,
                "CHAP secret must be 12 to 16 bytes", "got 11");
        final SealedSecret tooLong = BOX.seal("0123456789abcdefg".getBytes(), ChapCredentials.context(IQN, true));
        assertRefused(f.submit(new UpdateTarget(id(), IQN, null, List.of(), List.of(),
                new ChapCredentials("user", good.secret(), "target", tooLong))), ErrorCode.INVALID_ARGUMENT,
                "mutual CHAP secret must be 12 to 16 bytes", "got 17");
        assertRefused(f.submit(new UpdateTarget(id(), IQN, null, List.of(), List.of(),
                new ChapCredentials("user", good.secret(), "target", null))), ErrorCode.INVALID_ARGUMENT,
                "mutual CHAP needs both");
    }

    @Test
    void discoveryChapIsSetCheckedLikeATargetsAndCleared() {
        assertThat(f.store.read((MetaReader v) -> v.discoveryChap())).isEmpty();
        final ChapCredentials good = ChapCredentials.seal(BOX, ChapCredentials.DISCOVERY, "disco",
                "0123456789ab".getBytes(), null, null);
        f.ok(new SetDiscoveryChap(id(), good));
        assertThat(f.store.read((MetaReader v) -> v.discoveryChap())).get().extracting(ChapCredentials::username)
                .isEqualTo("disco");
        final SealedSecret tooShort = BOX.seal("01234567890".getBytes(),
                ChapCredentials.context(ChapCredentials.DISCOVERY, false));
        assertRefused(f.submit(new SetDiscoveryChap(id(), new ChapCredentials("disco", tooShort, null, null))),
                ErrorCode.INVALID_ARGUMENT, "discovery sessions: CHAP secret must be 12 to 16 bytes");
        assertThat(f.store.read((MetaReader v) -> v.discoveryChap())).get().isEqualTo(good);
        f.ok(new SetDiscoveryChap(id(), null));
        assertThat(f.store.read((MetaReader v) -> v.discoveryChap())).isEmpty();
    }

    @Test
    void resizeOnlyGrows() {
        f.ok(f.volume("vol-1", "v1", "p1", GIB));
        assertRefused(f.submit(new ResizeVolume(id(), "vol-1", GIB / 2, ExtentPlacement.NONE)),
                ErrorCode.FAILED_PRECONDITION, "volume 'v1' is " + GIB + " bytes; resize only grows");
        f.ok(new ResizeVolume(id(), "vol-1", GIB + 4096, placementOf(List.of("node-2", "node-1", "node-3"), 1)));
        assertThat(f.store.read((MetaReader v) -> v.extentsOf("vol-1"))).extracting(Extent::index)
                .containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(f.store.read((MetaReader v) -> v.extentsOf("vol-1")).get(4).leader()).isEqualTo("node-2");
    }

    @Test
    void replaceReplicasChecksEpoch() {
        f.ok(f.volume("vol-1", "v1", "p1", EXTENT));
        final Extent e = f.store.read((MetaReader v) -> v.extentsOf("vol-1")).getFirst();
        f.node(4, null, 100 * GIB);
        final List<String> moved = List.of("node-4", e.replicas().get(1), e.replicas().get(2));
        assertRefused(f.submit(new ReplaceExtentReplicas(id(), e.id(), 7, moved)), ErrorCode.FAILED_PRECONDITION,
                "extent " + e.id() + " is at epoch 1, not 7");
        f.ok(new ReplaceExtentReplicas(id(), e.id(), 1, moved));
        final Extent after = f.store.read((MetaReader v) -> v.extent(e.id())).orElseThrow();
        assertThat(after.epoch()).isEqualTo(2);
        assertThat(after.leader()).isEqualTo("node-4");
        assertThat(f.store.read((MetaReader v) -> v.placedBytes("node-4"))).isEqualTo(EXTENT);
        assertThat(f.store.read((MetaReader v) -> v.placedBytes(e.replicas().getFirst()))).isZero();
    }

    @Test
    void adminCredentialRules() {
        final AdminCredential weak = AdminCredential.create("admin", "pw".toCharArray(), 1000, 0);
        assertRefused(f.submit(new SetAdminCredential(id(), weak)), ErrorCode.INVALID_ARGUMENT,
                "iterations must be 100000 to");
        final AdminCredential good = AdminCredential.create("admin", "correct horse".toCharArray(),
                AdminCredential.MIN_ITERATIONS, 0);
        f.ok(new SetAdminCredential(id(), good));
        final AdminCredential stored = f.store.read((MetaReader v) -> v.adminCredential()).orElseThrow();
        assertThat(stored).isEqualTo(good);
        assertThat(stored.verify("correct horse".toCharArray())).isTrue();
        assertThat(stored.verify("wrong".toCharArray())).isFalse();
    }

    @Test
    void failedValidationChangesNothingElse() {
        f.ok(f.volume("vol-1", "v1", "p1", GIB));
        f.ok(new CreateTarget(id(), IQN, null, List.of(new Lun(0, "vol-1")), List.of(), null, 0));
        final List<Object> before = f.store.read(StateDump::of);
        // Fails late (after its placement and capacity checks): nothing of it may remain.
        assertThat(f.submit(new CreateTarget(id(), "iqn.2025-01.io.keel:t2", null,
                List.of(new Lun(0, "vol-1"), new Lun(0, "vol-1")), List.of(), null, 0)).outcome())
                .isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(f.submit(new DeleteVolume(id(), "vol-1")).outcome()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
        assertThat(f.store.read(StateDump::of)).isEqualTo(before);
    }

    @Test
    void createdIdsAndQos() {
        assertThat(f.ok(f.volume("vol-1", "v1", "p1", GIB)).createdId()).isEqualTo("vol-1");
        assertRefused(f.submit(new io.keel.meta.command.UpdatePool(id(), "p1", new QosLimits(-1, 0))),
                ErrorCode.INVALID_ARGUMENT, "pool 'p1': QoS limits must be 0 (unlimited) or positive");
        f.ok(new io.keel.meta.command.UpdatePool(id(), "p1", new QosLimits(5000, 100 << 20)));
        assertThat(f.store.read((MetaReader v) -> v.pool("p1")).orElseThrow().qos())
                .isEqualTo(new QosLimits(5000, 100 << 20));
    }

    @Test
    void aVolumesOwnQosHoldsUntilItReturnsToItsPools() {
        f.ok(f.volume("vol-1", "v1", "p1", GIB));
        f.ok(new io.keel.meta.command.UpdatePool(id(), "p1", new QosLimits(5000, 0)));
        assertThat(volume("vol-1").qos()).as("none of its own at first").isNull();
        assertThat(volume("vol-1").effectiveQos(new QosLimits(5000, 0))).isEqualTo(new QosLimits(5000, 0));

        assertRefused(f.submit(new io.keel.meta.command.SetVolumeQos(id(), "vol-1", new QosLimits(0, -1))),
                ErrorCode.INVALID_ARGUMENT, "volume 'v1': QoS limits must be 0 (unlimited) or positive");
        assertRefused(f.submit(new io.keel.meta.command.SetVolumeQos(id(), "vol-9", QosLimits.UNLIMITED)),
                ErrorCode.NOT_FOUND, "vol-9");
        f.ok(new io.keel.meta.command.SetVolumeQos(id(), "vol-1", new QosLimits(100, 1 << 20)));
        assertThat(volume("vol-1").effectiveQos(new QosLimits(5000, 0))).isEqualTo(new QosLimits(100, 1 << 20));
        f.ok(new io.keel.meta.command.SetVolumeServingNode(id(), "vol-1", null));
        assertThat(volume("vol-1").qos()).as("kept by other changes").isEqualTo(new QosLimits(100, 1 << 20));

        f.ok(new io.keel.meta.command.SetVolumeQos(id(), "vol-1", null));
        assertThat(volume("vol-1").qos()).isNull();
    }

    private io.keel.meta.model.Volume volume(final String id) {
        return f.store.read((MetaReader v) -> v.volume(id)).orElseThrow();
    }
}
