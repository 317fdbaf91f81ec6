package io.keel.access.iscsi.session;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The part of the heap the portal lets its sessions' commands fill with data read from the medium,
 * shared out equally between the logged-in normal sessions: each session's {@link ReadAllowance}
 * is this node-wide capacity divided by their number, at most {@link #MOST_PER_SESSION}. A share,
 * not one pool that every session waits on: sessions never wait for each other's reads, so an
 * initiator that takes its Data-In slowly delays only itself, while many sessions together stay
 * near the capacity. (A session holding nothing may still run one command larger than its share,
 * so that no transfer length is refused by waiting forever.)
 */
public final class ReadShare {

    /** What one session may hold however few sessions there are: two reads of the largest transfer (32 MiB). */
    public static final long MOST_PER_SESSION = 64L << 20;

    private final long capacity;
    private final IntSupplier sessions;
    private final AtomicLong held = new AtomicLong();

    /**
     * A share of {@code capacity} bytes between the number of sessions {@code sessions} counts
     * when asked.
     */
    public ReadShare(final long capacity, final IntSupplier sessions) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.capacity = capacity;
        this.sessions = sessions;
    }

    /** A quarter of the heap (as much as the write budget): the rest is for everything else the node does. */
    public static ReadShare ofHeap(final IntSupplier sessions) {
        return new ReadShare(Runtime.getRuntime().maxMemory() / 4, sessions);
    }

    /** What each session may hold now. */
    public long perSession() {
        return Math.min(MOST_PER_SESSION, capacity / Math.max(1, sessions.getAsInt()));
    }

    /** What all sessions hold now (a gauge). */
    public long held() {
        return held.get();
    }

    void add(final long bytes) {
        held.addAndGet(bytes);
    }
}
