package io.keel.runtime.context;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Groups of requests one thread handles in a row (a device's completion thread running the
 * callbacks of the reads one wait returned, a connection's reader going through the PDUs one
 * socket read brought) and what their handlers defer to the group's end: the system call each
 * request would make on its own (a socket write per response, an {@code io_submit} per read)
 * is made once for the group. The thread that owns the group opens it ({@link #open}, or
 * {@link #run}); code inside calls {@link #deferOnce} and acts at once itself when that returns
 * false. A thread that must never block (a device's completion thread, which would stall every
 * request of the device behind one slow peer) opens its groups with {@link #openNonBlocking}, and
 * code that would block there asks {@link #mayBlock} and hands that part to another thread.
 */
public final class Batching {

    private static final ThreadLocal<Group> CURRENT = new ThreadLocal<>();
    /** What {@link #open} returns inside a group that is open already: the outer one flushes. */
    private static final Group NESTED = new Group(null, true, null);

    private Batching() {
    }

    /** Runs {@code group} as one group (see {@link #open}): what it deferred runs before this returns. */
    public static void run(final Runnable group) {
        try (Group open = open(true)) {
            group.run();
        }
    }

    /**
     * As {@link #open}, on a thread that must not block: {@link #mayBlock} is false until it closes.
     * Inside a group of this thread that may block, it is a group of its own all the same (what it
     * deferred runs when it closes, not when the outer one does), and the outer one may block again
     * once it closed.
     */
    public static Group openNonBlocking() {
        return open(false);
    }

    /**
     * Opens a group on this thread, until {@link Group#close}. Inside another group of this
     * thread, the new one is part of it: its flush and close do nothing.
     */
    public static Group open() {
        return open(true);
    }

    private static Group open(final boolean mayBlock) {
        Group current = CURRENT.get();
        if (current != null && (mayBlock || !current.mayBlock)) {
            return NESTED;
        }
        Group group = new Group(new LinkedHashMap<>(), mayBlock, current);
        CURRENT.set(group);
        return group;
    }

    /** False inside a group of {@link #openNonBlocking}: nothing may block this thread (hand it on). */
    public static boolean mayBlock() {
        Group group = CURRENT.get();
        return group == null || group.mayBlock;
    }

    /**
     * Flushes this thread's open group, if it has one: for a thread about to wait (a reader about
     * to block on its socket), so that nothing it deferred waits with it.
     */
    public static void flushCurrent() {
        Group group = CURRENT.get();
        if (group != null) {
            group.flush();
        }
    }

    /**
     * Inside a group: keeps {@code action} to run when the group flushes, unless an action is
     * already kept for an equal {@code key}, and returns true. Elsewhere false: the caller acts now.
     */
    public static boolean deferOnce(final Object key, final Runnable action) {
        Group group = CURRENT.get();
        if (group == null) {
            return false;
        }
        group.deferred.putIfAbsent(key, action);
        return true;
    }

    /** One open group of a thread and the actions deferred to its end. */
    public static final class Group implements AutoCloseable {
        private final Map<Object, Runnable> deferred;
        private final boolean mayBlock;
        /** The group that may block this non-blocking one opened inside, current again once this closes. */
        private final Group outer;

        private Group(final Map<Object, Runnable> deferred, final boolean mayBlock, final Group outer) {
            this.deferred = deferred;
            this.mayBlock = mayBlock;
            this.outer = outer;
        }

        /**
         * Runs every action deferred so far, each once and in the order first deferred, including
         * actions those defer; the group stays open. All run even when one throws; the first
         * failure is thrown afterwards.
         */
        @SuppressWarnings("checkstyle:IllegalCatch") // every deferred action runs, whatever an earlier one threw
        public void flush() {
            if (deferred == null) {
                return;
            }
            RuntimeException failure = null;
            while (!deferred.isEmpty()) {
                Object key = deferred.keySet().iterator().next();
                try {
                    deferred.remove(key).run();
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }

        /** Flushes and ends the group. */
        @Override
        public void close() {
            if (deferred == null) {
                return;
            }
            try {
                flush();
            } finally {
                if (outer == null) {
                    CURRENT.remove();
                } else {
                    CURRENT.set(outer);
                }
            }
        }
    }
}
