package io.keel.meta.store;

import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.CommandCodec;
import io.keel.meta.command.CreatePool;
import io.keel.meta.command.CreateVolume;
import io.keel.meta.command.ExtentPlacement;
import io.keel.meta.command.MetaCommand;
import io.keel.meta.command.RegisterDisk;
import io.keel.meta.command.RegisterNode;
import io.keel.meta.model.DiskRole;
import io.keel.meta.model.FailureDomain;
import io.keel.meta.model.NodeLabels;
import io.keel.meta.model.NodeRole;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.QosLimits;
import io.keel.meta.placement.Placement;
import io.keel.meta.placement.PlacementException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** A store in a temporary directory plus helpers that append one command at a time. */
final class Fixture implements AutoCloseable {

    static final long GIB = 1L << 30;
    static final long MIB = 1L << 20;
    static final long EXTENT = 256 * MIB;

    final Path dir;
    MetaStore store;
    private final AtomicLong changes = new AtomicLong();

    Fixture(final Path dir) throws IOException {
        this.dir = dir;
        this.store = MetaStore.open(dir);
    }

    String nextChangeId() {
        return "c-" + changes.incrementAndGet();
    }

    /** Appends one entry at the next index and returns its stored result. */
    ChangeResult submit(final MetaCommand c) {
        store.apply(store.appliedIndex() + 1, List.of(CommandCodec.encode(c)));
        return store.result(c.changeId()).orElseThrow();
    }

    ChangeResult ok(final MetaCommand c) {
        final ChangeResult r = submit(c);
        if (!r.ok()) {
            throw new AssertionError("expected OK for " + c + ": " + r);
        }
        return r;
    }

    /** Registers node {@code n<i>} (id {@code node-<i>}) with one DATA disk of {@code capacity}. */
    void node(final int i, final String rack, final long capacity) {
        ok(new RegisterNode(nextChangeId(), "node-" + i, "n" + i, "10.0.0." + i + ":7000", "10.0.0." + i + ":8080",
                new NodeLabels(rack, null), List.of(NodeRole.META, NodeRole.CHUNK, NodeRole.ACCESS), 1000));
        ok(new RegisterDisk(nextChangeId(), "disk-" + i, "node-" + i, "/dev/sd" + (char) ('a' + i), DiskRole.DATA,
                capacity));
    }

    void nodes(final int count, final long capacity) {
        for (int i = 1; i <= count; i++) {
            node(i, null, capacity);
        }
    }

    void pool(final String name, final int rf, final Provisioning p) {
        ok(new CreatePool(nextChangeId(), name, rf, p, FailureDomain.NODE, QosLimits.UNLIMITED, 2000));
    }

    <T> T read(final java.util.function.Function<MetaView, T> query) {
        try (MetaView v = store.view()) {
            return query.apply(v);
        }
    }

    ExtentPlacement plan(final String pool, final long size, final String preferred) {
        try (MetaView v = store.view()) {
            return Placement.forNewVolume(v, pool, size, EXTENT, null, preferred);
        } catch (PlacementException e) {
            throw new AssertionError(e);
        }
    }

    CreateVolume volume(final String id, final String name, final String pool, final long size) {
        return new CreateVolume(nextChangeId(), id, name, pool, size, null, EXTENT, null, plan(pool, size, null),
                3000, null);
    }

    void reopen() throws IOException {
        store.close();
        store = MetaStore.open(dir);
    }

    @Override
    public void close() throws IOException {
        store.close();
    }
}
