package io.keel.access.iscsi;

import com.codahale.metrics.MetricRegistry;
import io.keel.runtime.time.SystemClock;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Fixtures: a directory of test targets and a portal on 127.0.0.1 with an ephemeral port. */
final class TestTargets implements TargetDirectory {

    static final String OPEN = "iqn.2026-01.io.keel:open";
    static final String CHAP = "iqn.2026-01.io.keel:chap";
    static final String MUTUAL = "iqn.2026-01.io.keel:mutual";
    static final String ACL = "iqn.2026-01.io.keel:acl";

    final MemoryScsiTarget open = new MemoryScsiTarget(64 * 1024);
    final MemoryScsiTarget chap = new MemoryScsiTarget(2048);
    final MemoryScsiTarget mutual = new MemoryScsiTarget(2048);
    final MemoryScsiTarget acl = new MemoryScsiTarget(2048);
    /** Replaced by tests that change the directory (targets deleted, ACLs changed). */
    volatile List<TargetEntry> entries = List.of(
            new TargetEntry(ACL, null, List.of("iqn.2026-01.io.keel:allowed"), null, acl),
            new TargetEntry(CHAP, "chap disk", List.of(),
                    new ChapSecrets("user", "secretsecret12".getBytes(), null, null), chap),
            new TargetEntry(MUTUAL, null, List.of(),
                    new ChapSecrets("user", "secretsecret12".getBytes(), "target", "tsecretsecret34".getBytes()),
                    mutual),
            new TargetEntry(OPEN, "open disk", List.of(), null, open));

    @Override
    public List<TargetEntry> targets() {
        return entries;
    }

    /** What discovery sessions must log in with (null: nothing). */
    volatile ChapSecrets discoveryChap;

    @Override
    public ChapSecrets discoveryChap() {
        return discoveryChap;
    }

    /** When set, {@link #find} throws it, as a directory whose metadata cannot be read does. */
    volatile RuntimeException findFailure;

    @Override
    public Optional<TargetEntry> find(final String iqn) {
        RuntimeException failure = findFailure;
        if (failure != null) {
            throw failure;
        }
        return entries.stream().filter(e -> e.iqn().equals(iqn)).findFirst();
    }

    /** Adds {@code more} to the targets served. */
    void add(final TargetEntry... more) {
        entries = Stream.concat(entries.stream(), Arrays.stream(more)).toList();
    }

    static PortalConfig config() {
        return PortalConfig.defaults().withListenAddresses(List.of(new InetSocketAddress("127.0.0.1", 0)))
                .withTimers(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(5));
    }

    IscsiPortal start(final PortalConfig config, final MetricRegistry metrics) {
        return IscsiPortal.start(config, this, metrics, SystemClock.INSTANCE);
    }
}
