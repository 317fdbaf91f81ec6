package io.keel.meta.log;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * A test state machine: entries are UTF-8 strings whose id is the text before the first '|';
 * the state is the set of distinct ids (so a retried change applies once) and a digest chained
 * over every applied (index, entry). It refuses an entry at or below its applied index, or a gap,
 * which is exactly what the log promises never to hand it.
 */
final class MemoryStateMachine implements LogStateMachine {

    private long applied;
    private long digest;
    private final LinkedHashSet<String> ids = new LinkedHashSet<>();
    /** Entries applied since the last restore, by index. */
    private final TreeMap<Long, String> entries = new TreeMap<>();
    private final List<Long> applyFirsts = new ArrayList<>();
    private int restores;
    private String violation;

    static byte[] entry(final String id, final String payload) {
        return (id + "|" + payload).getBytes(StandardCharsets.UTF_8);
    }

    static String idOf(final String entry) {
        int bar = entry.indexOf('|');
        return bar < 0 ? entry : entry.substring(0, bar);
    }

    @Override
    public synchronized long appliedIndex() {
        return applied;
    }

    @Override
    public synchronized void apply(final long firstIndex, final List<byte[]> batch) {
        if (firstIndex != applied + 1 || batch.isEmpty()) {
            violation = "apply(" + firstIndex + ", " + batch.size() + " entries) at applied index " + applied;
            throw new IllegalStateException(violation);
        }
        applyFirsts.add(firstIndex);
        long index = firstIndex;
        for (byte[] e : batch) {
            String s = new String(e, StandardCharsets.UTF_8);
            entries.put(index, s);
            ids.add(idOf(s));
            digest = Long.rotateLeft(digest, 7) ^ (index * 0x9E3779B97F4A7C15L) ^ s.hashCode();
            index++;
        }
        applied = index - 1;
    }

    @Override
    public synchronized long writeSnapshot(final OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeLong(applied);
        data.writeLong(digest);
        data.writeInt(ids.size());
        for (String id : ids) {
            data.writeUTF(id);
        }
        // padding so that snapshots span several chunks in tests
        data.writeInt(4096);
        data.write(new byte[4096]);
        data.flush();
        return applied;
    }

    @Override
    public synchronized void restoreSnapshot(final long index, final InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        long at = data.readLong();
        if (at != index) {
            throw new IOException("snapshot says index " + at + ", restore asked for " + index);
        }
        long d = data.readLong();
        int n = data.readInt();
        Set<String> restored = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            restored.add(data.readUTF());
        }
        data.readFully(new byte[data.readInt()]);
        applied = at;
        digest = d;
        ids.clear();
        ids.addAll(restored);
        entries.clear();
        restores++;
    }

    synchronized long digest() {
        return digest;
    }

    synchronized Set<String> ids() {
        return new LinkedHashSet<>(ids);
    }

    synchronized TreeMap<Long, String> entries() {
        return new TreeMap<>(entries);
    }

    synchronized List<Long> applyFirsts() {
        return new ArrayList<>(applyFirsts);
    }

    synchronized int restores() {
        return restores;
    }

    synchronized String violation() {
        return violation;
    }
}
