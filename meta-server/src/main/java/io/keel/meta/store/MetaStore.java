package io.keel.meta.store;

import static org.fusesource.leveldbjni.JniDBFactory.factory;

import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.CommandCodec;
import io.keel.meta.command.EntryFormatException;
import io.keel.meta.command.ErrorCode;
import io.keel.meta.command.MetaCommand;
import io.keel.meta.command.MetaJson;
import io.keel.meta.log.LogStateMachine;
import io.keel.meta.model.Names;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.stream.Stream;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBException;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.ReadOptions;
import org.iq80.leveldb.WriteBatch;
import org.iq80.leveldb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata state machine of a meta server, on LevelDB: applies log entries (each call to
 * {@link #apply} is one synced WriteBatch together with the applied index), answers reads through
 * consistent {@link MetaView}s, and writes and restores snapshots.
 *
 * <p>On disk: {@code dir/CURRENT} names the active LevelDB directory ({@code dir/state-N}); a
 * restore builds {@code state-N+1}, verifies it, then switches {@code CURRENT} atomically.
 *
 * <p>Threads: {@code apply} and {@code restoreSnapshot} from one thread (the log's); views, reads
 * and {@code writeSnapshot} from any thread, concurrently with apply.
 */
public final class MetaStore implements LogStateMachine, AutoCloseable {

    /** The LevelDB layout version this build writes and the newest it opens. */
    public static final int FORMAT_VERSION = 1;
    /**
     * How many recent change results are kept (and so how long a retried changeId is recognised).
     * Part of the replicated state's definition: every replica must use the same value.
     */
    public static final int RESULT_RETENTION = 100_000;

    private static final Logger LOG = LoggerFactory.getLogger(MetaStore.class);
    private static final String CURRENT = "CURRENT";
    private static final String STATE_PREFIX = "state-";
    private static final byte[] RESULT_OLDEST = "m/result-oldest".getBytes(StandardCharsets.US_ASCII);

    private final Path dir;
    private final int retention;
    private final Gate gate = new Gate();
    private final ReentrantLock writer = new ReentrantLock();
    private volatile DB db;
    private volatile int generation;
    private volatile long applied;
    private volatile boolean closed;

    private MetaStore(final Path dir, final int retention, final int generation, final DB db) {
        this.dir = dir;
        this.retention = retention;
        this.generation = generation;
        this.db = db;
        this.applied = new StateReader(new LevelKv(db, new ReadOptions())).appliedIndex();
    }

    /** Opens (creating if needed) the store in {@code dir}; refuses a store of a newer format. */
    public static MetaStore open(final Path dir) throws IOException {
        return open(dir, RESULT_RETENTION);
    }

    static MetaStore open(final Path dir, final int retention) throws IOException {
        Files.createDirectories(dir);
        final Path current = dir.resolve(CURRENT);
        int generation = 1;
        if (Files.exists(current)) {
            final String name = Files.readString(current, StandardCharsets.US_ASCII).strip();
            if (!name.startsWith(STATE_PREFIX)) {
                throw new IOException("metadata store " + dir + ": CURRENT names '" + name + "'");
            }
            generation = Integer.parseInt(name.substring(STATE_PREFIX.length()));
        }
        removeStaleStates(dir, generation);
        final DB db = openDb(dir.resolve(STATE_PREFIX + generation));
        try {
            checkFormat(dir, db);
            if (!Files.exists(current)) {
                writeCurrent(dir, generation);
            }
        } catch (IOException | RuntimeException e) {
            db.close();
            throw e;
        }
        return new MetaStore(dir, retention, generation, db);
    }

    private static DB openDb(final Path path) throws IOException {
        final Options options = new Options().createIfMissing(true);
        return factory.open(path.toFile(), options);
    }

    private static void checkFormat(final Path dir, final DB db) throws IOException {
        final byte[] format = db.get(Keys.FORMAT);
        if (format == null) {
            try (var it = db.iterator()) {
                it.seekToFirst();
                if (it.hasNext()) {
                    throw new IOException("metadata store " + dir + " has data but no format version: "
                            + "not a Keel metadata store");
                }
            }
            db.put(Keys.FORMAT, Keys.u32(FORMAT_VERSION), new WriteOptions().sync(true));
            return;
        }
        final int version = Keys.u32(format);
        if (version > FORMAT_VERSION) {
            throw new IOException("metadata store " + dir + " has format version " + version
                    + " but this build of Keel reads up to version " + FORMAT_VERSION
                    + "; it was written by a newer Keel: upgrade this node");
        }
        if (version < 1) {
            throw new IOException("metadata store " + dir + " has invalid format version " + version);
        }
    }

    /** Removes state directories CURRENT does not name: an interrupted restore, or the one a restore replaced. */
    private static void removeStaleStates(final Path dir, final int generation) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                final String name = p.getFileName().toString();
                if (name.startsWith(STATE_PREFIX) && !name.equals(STATE_PREFIX + generation)) {
                    deleteTree(p);
                }
            }
        }
    }

    private static void writeCurrent(final Path dir, final int generation) throws IOException {
        final Path tmp = dir.resolve(CURRENT + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap((STATE_PREFIX + generation + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(CURRENT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private static void deleteTree(final Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.delete(p);
                } catch (NoSuchFileException e) {
                    // already gone
                }
            }
        }
    }

    @Override
    public long appliedIndex() {
        return applied;
    }

    @Override
    public void apply(final long firstIndex, final List<byte[]> entries) {
        writer.lock();
        try {
            gate.enter();
            try {
                ensureOpen();
                if (firstIndex != applied + 1) {
                    throw new IllegalArgumentException("apply from index " + firstIndex + " but the applied index is "
                            + applied + "; entries must follow it without a gap");
                }
                if (entries.isEmpty()) {
                    return;
                }
                final OverlayKv batch = new OverlayKv(new LevelKv(db, new ReadOptions()));
                long index = firstIndex;
                for (byte[] entry : entries) {
                    applyOne(batch, index++, entry);
                }
                final long last = index - 1;
                batch.put(Keys.APPLIED, Keys.u64(last));
                try (WriteBatch wb = db.createWriteBatch()) {
                    batch.writeTo(wb);
                    db.write(wb, new WriteOptions().sync(true));
                } catch (IOException e) {
                    throw new UncheckedIOException("closing a LevelDB write batch", e);
                }
                applied = last;
            } finally {
                gate.leave();
            }
        } finally {
            writer.unlock();
        }
    }

    private void applyOne(final OverlayKv batch, final long index, final byte[] entry) {
        final StateReader state = new StateReader(batch);
        final MetaCommand command;
        try {
            command = CommandCodec.decode(entry);
        } catch (EntryFormatException e) {
            if (e.newerVersion()) {
                // Skipping would let this replica diverge from upgraded ones: stop until upgraded.
                throw new IllegalStateException("log entry " + index + ": " + e.getMessage(), e);
            }
            final String changeId = CommandCodec.changeIdOf(entry);
            LOG.warn("log entry {} skipped: {}", index, e.getMessage());
            if (validChangeId(changeId) && state.result(changeId).isEmpty()) {
                record(batch, state, new ChangeResult(changeId, index, ErrorCode.INTERNAL,
                        "log entry " + index + " could not be decoded: " + e.getMessage(), null));
            }
            return;
        }
        final String changeId = command.changeId();
        if (!validChangeId(changeId)) {
            LOG.warn("log entry {} ({}) skipped: change id missing or malformed", index,
                    CommandCodec.typeName(command.getClass()));
            return;
        }
        if (state.result(changeId).isPresent()) {
            return;
        }
        final OverlayKv tx = new OverlayKv(batch);
        ChangeResult result;
        try {
            result = Applier.apply(tx, index, command);
            tx.commitTo(batch);
        } catch (Rejection r) {
            result = new ChangeResult(changeId, index, r.code(), r.getMessage(), null);
        } catch (DBException | UncheckedIOException e) {
            // The local store failed: not a property of the entry, so nothing may be recorded.
            throw e;
        } catch (RuntimeException e) {
            // A bug hit by this entry hits every replica alike; record it rather than stall the log.
            LOG.error("log entry {} ({}) failed to apply; recorded as INTERNAL", index,
                    CommandCodec.typeName(command.getClass()), e);
            result = new ChangeResult(changeId, index, ErrorCode.INTERNAL,
                    "applying " + CommandCodec.typeName(command.getClass()) + " failed: " + e.getClass().getName(),
                    null);
        }
        record(batch, state, result);
    }

    private static boolean validChangeId(final String id) {
        return Names.isText(id, 128);
    }

    /** Stores a result and evicts the oldest beyond the retention, by index order. */
    private void record(final OverlayKv batch, final StateReader state, final ChangeResult r) {
        batch.put(Keys.result(r.changeId()), MetaJson.toBytes(r));
        batch.put(Keys.resultIndex(r.index()), r.changeId().getBytes(StandardCharsets.UTF_8));
        long count = state.counter(Keys.RESULT_COUNT) + 1;
        long oldest = Math.max(1, state.counter(RESULT_OLDEST));
        // Indexes without a result (duplicates, skipped entries) are stepped over; oldest only grows.
        while (count > retention) {
            final byte[] id = batch.get(Keys.resultIndex(oldest));
            if (id != null) {
                batch.delete(Keys.resultIndex(oldest));
                batch.delete(Keys.result(Keys.utf8(id)));
                count--;
            }
            oldest++;
        }
        batch.put(Keys.RESULT_COUNT, Keys.u64(count));
        batch.put(RESULT_OLDEST, Keys.u64(oldest));
    }

    /** A consistent view of the current state; close it. */
    public MetaView view() {
        gate.enter();
        try {
            ensureOpen();
            final DB d = db;
            return new MetaView(d, d.getSnapshot(), gate);
        } catch (RuntimeException e) {
            gate.leave();
            throw e;
        }
    }

    /** Runs {@code query} on a view that is closed afterwards. */
    public <T> T read(final Function<MetaReader, T> query) {
        try (MetaView v = view()) {
            return query.apply(v);
        }
    }

    /** The result of a change (see {@link MetaReader#result}). */
    public Optional<ChangeResult> result(final String changeId) {
        return read(v -> v.result(changeId));
    }

    @Override
    public long writeSnapshot(final OutputStream out) throws IOException {
        try (MetaView v = view()) {
            final long index = v.appliedIndex();
            SnapshotCodec.write(out, index, v.kv);
            return index;
        }
    }

    /**
     * Replaces the state with a snapshot. The stream is loaded into a new LevelDB directory and its
     * CRC, index and format are checked before anything is replaced, so a bad stream leaves the
     * current state as it was; then {@code CURRENT} is switched atomically and the old directory
     * removed. This costs a second copy on disk while it runs, but needs no memory for the state
     * and no window in which a crash leaves half of each.
     */
    @Override
    public void restoreSnapshot(final long index, final InputStream in) throws IOException {
        writer.lock();
        try {
            ensureOpen();
            final int next = generation + 1;
            final Path path = dir.resolve(STATE_PREFIX + next);
            deleteTree(path);
            load(path, index, in);
            gate.exclusive(() -> {
                final DB old = db;
                final int oldGeneration = generation;
                writeCurrent(dir, next);
                old.close();
                db = openDb(path);
                generation = next;
                applied = index;
                deleteTree(dir.resolve(STATE_PREFIX + oldGeneration));
            });
        } finally {
            writer.unlock();
        }
    }

    private static void load(final Path path, final long index, final InputStream in) throws IOException {
        final DB fresh = factory.open(path.toFile(), new Options().createIfMissing(true).errorIfExists(true));
        boolean ok = false;
        try {
            final WriteBatch[] batch = {fresh.createWriteBatch()};
            final long[] pending = {0};
            SnapshotCodec.read(in, index, (k, v) -> {
                batch[0].put(k, v);
                pending[0] += k.length + v.length;
                if (pending[0] > (4 << 20)) {
                    fresh.write(batch[0]);
                    batch[0].close();
                    batch[0] = fresh.createWriteBatch();
                    pending[0] = 0;
                }
            });
            fresh.write(batch[0], new WriteOptions().sync(true));
            batch[0].close();
            final byte[] format = fresh.get(Keys.FORMAT);
            if (format == null || Keys.u32(format) < 1 || Keys.u32(format) > FORMAT_VERSION) {
                throw new SnapshotFormatException("metadata snapshot has format version "
                        + (format == null ? "none" : Keys.u32(format)) + ", this build reads up to " + FORMAT_VERSION);
            }
            final byte[] appliedKey = fresh.get(Keys.APPLIED);
            final long stateIndex = appliedKey == null ? 0 : Keys.u64(appliedKey);
            if (stateIndex != index) {
                throw new SnapshotFormatException("metadata snapshot's state is at index " + stateIndex
                        + ", its header says " + index);
            }
            ok = true;
        } finally {
            fresh.close();
            if (!ok) {
                deleteTree(path);
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("metadata store " + dir + " is closed");
        }
    }

    /** Waits for open views to close, then closes LevelDB. */
    @Override
    public void close() throws IOException {
        writer.lock();
        try {
            if (closed) {
                return;
            }
            gate.exclusive(() -> {
                closed = true;
                db.close();
            });
        } finally {
            writer.unlock();
        }
    }

    /** For tests: writes a raw key, bypassing the log (e.g. to fake a newer format). */
    void rawPut(final byte[] key, final byte[] value) {
        db.put(key, value, new WriteOptions().sync(true));
    }
}
