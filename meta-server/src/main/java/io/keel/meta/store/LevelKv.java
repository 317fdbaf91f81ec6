package io.keel.meta.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.ReadOptions;

/** Reads a LevelDB, at a snapshot when the read options carry one. */
final class LevelKv implements Kv {

    private final DB db;
    private final ReadOptions options;

    LevelKv(final DB db, final ReadOptions options) {
        this.db = db;
        this.options = options;
    }

    @Override
    public byte[] get(final byte[] key) {
        return db.get(key, options);
    }

    @Override
    public void scan(final byte[] prefix, final Visitor visitor) {
        try (DBIterator it = db.iterator(options)) {
            it.seek(prefix);
            while (it.hasNext()) {
                final Map.Entry<byte[], byte[]> e = it.next();
                if (!Keys.startsWith(e.getKey(), prefix) || !visitor.visit(e.getKey(), e.getValue())) {
                    return;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("closing a LevelDB iterator", e);
        }
    }
}
