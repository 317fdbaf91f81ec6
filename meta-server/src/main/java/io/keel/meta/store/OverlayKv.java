package io.keel.meta.store;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.iq80.leveldb.WriteBatch;

/**
 * Pending writes over a parent {@link Kv}: reads see the writes, nothing reaches the parent until
 * {@link #commitTo} or {@link #writeTo}. The applier gives every entry its own overlay over the
 * batch's, so a refused command leaves no trace, and the batch's overlay becomes one WriteBatch.
 */
final class OverlayKv implements Kv {

    // Identity marks a deletion; LevelDB's default comparator is unsigned bytewise, as is this map's.
    private static final byte[] DELETED = new byte[0];

    private final Kv parent;
    private final TreeMap<byte[], byte[]> writes = new TreeMap<>(Arrays::compareUnsigned);

    OverlayKv(final Kv parent) {
        this.parent = parent;
    }

    void put(final byte[] key, final byte[] value) {
        writes.put(key, value);
    }

    void delete(final byte[] key) {
        writes.put(key, DELETED);
    }

    @Override
    public byte[] get(final byte[] key) {
        final byte[] v = writes.get(key);
        if (v == null) {
            return parent.get(key);
        }
        return v == DELETED ? null : v;
    }

    @Override
    public void scan(final byte[] prefix, final Visitor visitor) {
        final TreeMap<byte[], byte[]> merged = new TreeMap<>(Arrays::compareUnsigned);
        parent.scan(prefix, (k, v) -> {
            merged.put(k, v);
            return true;
        });
        for (Map.Entry<byte[], byte[]> e : writes.tailMap(prefix, true).entrySet()) {
            if (!Keys.startsWith(e.getKey(), prefix)) {
                break;
            }
            if (e.getValue() == DELETED) {
                merged.remove(e.getKey());
            } else {
                merged.put(e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<byte[], byte[]> e : merged.entrySet()) {
            if (!visitor.visit(e.getKey(), e.getValue())) {
                return;
            }
        }
    }

    /** Moves these writes into {@code target}, an overlay over the same parent chain. */
    void commitTo(final OverlayKv target) {
        target.writes.putAll(writes);
        writes.clear();
    }

    /** Adds these writes to a LevelDB batch. */
    void writeTo(final WriteBatch batch) {
        for (Map.Entry<byte[], byte[]> e : writes.entrySet()) {
            if (e.getValue() == DELETED) {
                batch.delete(e.getKey());
            } else {
                batch.put(e.getKey(), e.getValue());
            }
        }
    }

    boolean isEmpty() {
        return writes.isEmpty();
    }
}
