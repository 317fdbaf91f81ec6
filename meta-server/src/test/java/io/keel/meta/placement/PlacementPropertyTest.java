package io.keel.meta.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.meta.model.FailureDomain;
import io.keel.meta.model.NodeLabels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Seeded random clusters; a failing case names its seed and case number. */
class PlacementPropertyTest {

    private static final long SEED = Long.getLong("keel.test.seed", 20250101L);
    private static final long EXTENT = 256L << 20;
    private static final long TIB = 1L << 40;

    private record Case(PlacementRequest request, Map<String, Candidate> byId) {
    }

    private static Case randomCase(final Random r) {
        final int nodes = 1 + r.nextInt(8);
        final FailureDomain domain = FailureDomain.values()[r.nextInt(3)];
        final List<Candidate> candidates = new ArrayList<>();
        final Map<String, Candidate> byId = new HashMap<>();
        for (int i = 0; i < nodes; i++) {
            final NodeLabels labels = new NodeLabels(r.nextInt(3) == 0 ? null : "r" + r.nextInt(3),
                    r.nextInt(3) == 0 ? null : "s" + r.nextInt(2));
            final Candidate c = new Candidate("node-" + i, labels, r.nextInt(5) != 0, TIB);
            candidates.add(c);
            byId.put(c.nodeId(), c);
        }
        final String preferred = r.nextBoolean() ? "node-" + r.nextInt(nodes) : null;
        return new Case(new PlacementRequest(1 + r.nextInt(3), domain, candidates, r.nextInt(40), EXTENT, preferred,
                r.nextBoolean()), byId);
    }

    private static int upDomains(final PlacementRequest q) {
        final Set<String> d = new HashSet<>();
        q.candidates().stream().filter(Candidate::up).forEach(c -> d.add(q.failureDomain().keyOf(c.nodeId(),
                c.labels())));
        return d.size();
    }

    @Test
    void replicasAreOnDistinctDomainsOfUpNodesWithLocalityAndFailOnlyWhenDomainsAreTooFew() throws Exception {
        final Random r = new Random(SEED);
        for (int n = 0; n < 2000; n++) {
            final Case c = randomCase(r);
            final PlacementRequest q = c.request();
            final String label = "seed " + SEED + " case " + n + ": " + q;
            if (upDomains(q) < q.replicationFactor()) {
                assertThatThrownBy(() -> Placement.place(q)).as(label).isInstanceOf(PlacementException.class)
                        .satisfies(e -> assertThat(((PlacementException) e).reason())
                                .isEqualTo(PlacementException.Reason.TOO_FEW_DOMAINS));
                continue;
            }
            final List<List<String>> placed = Placement.place(q);
            assertThat(placed).as(label).hasSize(q.extentCount());
            final Candidate pref = q.preferredNode() == null ? null : c.byId().get(q.preferredNode());
            for (List<String> replicas : placed) {
                assertThat(replicas).as(label).hasSize(q.replicationFactor());
                final Set<String> domains = new HashSet<>();
                for (String id : replicas) {
                    final Candidate node = c.byId().get(id);
                    assertThat(node.up()).as(label + " DOWN node " + id).isTrue();
                    assertThat(domains.add(q.failureDomain().keyOf(id, node.labels()))).as(label).isTrue();
                }
                if (pref != null && pref.up()) {
                    assertThat(replicas.getFirst()).as(label + " locality").isEqualTo(pref.nodeId());
                }
            }
            // Deterministic.
            assertThat(Placement.place(q)).as(label).isEqualTo(placed);
        }
    }

    @Test
    void equalNodesStayWithinOneExtentOfEachOther() throws Exception {
        final Random r = new Random(SEED);
        for (int n = 0; n < 300; n++) {
            final int nodes = 3 + r.nextInt(10);
            final int rf = 1 + r.nextInt(3);
            final List<Candidate> candidates = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                candidates.add(new Candidate("node-" + i, NodeLabels.NONE, true, TIB));
            }
            final String preferred = r.nextBoolean() ? "node-" + r.nextInt(nodes) : null;
            final PlacementRequest q = new PlacementRequest(rf, FailureDomain.NODE, candidates, r.nextInt(200),
                    EXTENT, preferred, true);
            final Map<String, Long> bytes = new HashMap<>();
            candidates.forEach(c -> bytes.put(c.nodeId(), 0L));
            for (List<String> replicas : Placement.place(q)) {
                replicas.forEach(id -> bytes.merge(id, EXTENT, Long::sum));
            }
            // The preferred node takes every extent by design; the others stay balanced.
            if (preferred != null) {
                assertThat(bytes.remove(preferred)).isEqualTo(q.extentCount() * EXTENT);
            }
            final long max = bytes.values().stream().mapToLong(Long::longValue).max().orElse(0);
            final long min = bytes.values().stream().mapToLong(Long::longValue).min().orElse(0);
            assertThat(max - min).as("seed " + SEED + " case " + n + ": " + bytes).isLessThanOrEqualTo(EXTENT);
        }
    }

    @Test
    void unequalNodesFillTowardsEqualFreeSpace() throws Exception {
        final List<Candidate> candidates = List.of(new Candidate("a", null, true, 10 * EXTENT),
                new Candidate("b", null, true, 4 * EXTENT), new Candidate("c", null, true, 4 * EXTENT));
        final List<List<String>> placed = Placement.place(new PlacementRequest(1, FailureDomain.NODE, candidates, 8,
                EXTENT, null, true));
        // Six extents bring "a" level with the others at 4 free; the tie then goes to the smallest id.
        assertThat(placed.stream().map(List::getFirst)).containsExactly("a", "a", "a", "a", "a", "a", "a", "b");
    }

    @Test
    void capacityAndPreferenceRules() throws Exception {
        final List<Candidate> candidates = List.of(new Candidate("a", null, true, EXTENT),
                new Candidate("b", null, true, 10 * EXTENT), new Candidate("c", null, false, 10 * EXTENT));
        // Thick: "a" has room for one replica only, then placement runs out of domains with room.
        assertThatThrownBy(() -> Placement.place(new PlacementRequest(2, FailureDomain.NODE, candidates, 2, EXTENT,
                "a", true))).isInstanceOf(PlacementException.class)
                .hasMessageContaining("extent 1 of 2: only 1 of 2 replicas fit")
                .satisfies(e -> assertThat(((PlacementException) e).reason())
                        .isEqualTo(PlacementException.Reason.INSUFFICIENT_CAPACITY));
        // Thin: free space only steers; the preferred node stays first even when over-committed.
        assertThat(Placement.place(new PlacementRequest(2, FailureDomain.NODE, candidates, 3, EXTENT, "a", false)))
                .containsOnly(List.of("a", "b"));
        // A DOWN preferred node is skipped, not an error.
        assertThat(Placement.place(new PlacementRequest(1, FailureDomain.NODE, candidates, 1, EXTENT, "c", false)))
                .containsExactly(List.of("b"));
        assertThatThrownBy(() -> Placement.place(new PlacementRequest(3, FailureDomain.NODE, candidates, 1, EXTENT,
                null, false))).isInstanceOf(PlacementException.class)
                .hasMessageContaining("needs 3 distinct node failure domains of UP nodes; there are 2");
    }
}
