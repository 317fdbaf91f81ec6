package io.keel.meta.store;

import io.keel.meta.model.Node;
import io.keel.meta.model.Pool;
import io.keel.meta.model.Snapshot;
import io.keel.meta.model.Volume;
import java.util.ArrayList;
import java.util.List;

/** Every listing of a state, as comparable values: equal dumps mean equal visible state. */
final class StateDump {

    private StateDump() {
    }

    /** The listings, without the applied index or change results. */
    static List<Object> of(final MetaReader r) {
        final List<Object> out = new ArrayList<>();
        out.add(r.nodes());
        out.add(r.disks());
        for (Node n : r.nodes()) {
            out.add(r.disksOf(n.id()));
            out.add(n.id() + " placed " + r.placedBytes(n.id()));
        }
        out.add(r.pools());
        for (Pool p : r.pools()) {
            out.add(r.volumesOf(p.name()));
            out.add(r.poolUsage(p.name()));
        }
        out.add(r.volumes());
        for (Volume v : r.volumes()) {
            out.add(r.extentsOf(v.id()));
            out.add(r.snapshotsOf(v.id()));
            out.add(r.targetsExporting(v.id()));
            for (Snapshot s : r.snapshotsOf(v.id())) {
                out.add(r.snapshotExtents(s.id()));
            }
        }
        out.add(r.targets());
        out.add(r.adminCredential());
        out.add(r.capacity());
        out.add(r.underReplicatedExtents());
        return out;
    }

    /** With the applied index. */
    static List<Object> withIndex(final MetaReader r) {
        final List<Object> out = new ArrayList<>(of(r));
        out.add("applied " + r.appliedIndex());
        return out;
    }
}
