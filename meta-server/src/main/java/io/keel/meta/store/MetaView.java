package io.keel.meta.store;

import org.iq80.leveldb.ReadOptions;
import org.iq80.leveldb.Snapshot;

/**
 * A consistent read-only view of the metadata at one applied index (a LevelDB snapshot): never
 * shows half of an apply. Close it promptly (it keeps a snapshot restore or close waiting); it
 * may be closed from any thread.
 */
public final class MetaView extends StateReader implements AutoCloseable {

    private final Snapshot snapshot;
    private final Gate gate;
    private boolean closed;

    MetaView(final org.iq80.leveldb.DB db, final Snapshot snapshot, final Gate gate) {
        super(new LevelKv(db, new ReadOptions().snapshot(snapshot)));
        this.snapshot = snapshot;
        this.gate = gate;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            snapshot.close();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("releasing a LevelDB snapshot", e);
        } finally {
            gate.leave();
        }
    }
}
