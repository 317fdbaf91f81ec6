package io.keel.access.scsi;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The unit attention conditions one logical unit holds for each I_T nexus, and which nexuses it
 * has seen (a nexus's first command finds POWER ON, RESET, OR BUS DEVICE RESET OCCURRED).
 */
final class UnitAttentions implements UnitAttentionSink {

    /** More than this many distinct pending conditions for one nexus are dropped (oldest kept: they outrank). */
    private static final int MAX_PENDING = 16;

    private final ReentrantLock lock = new ReentrantLock();
    private final Set<ItNexus> seen = new HashSet<>();
    private final Map<ItNexus, ArrayDeque<Sense>> pending = new HashMap<>();

    /** Records that {@code nexus} sent a command; its first one queues the power-on condition ahead of all. */
    void noteNexus(final ItNexus nexus) {
        lock.lock();
        try {
            if (seen.add(nexus)) {
                pending.computeIfAbsent(nexus, n -> new ArrayDeque<>())
                        .addFirst(Sense.of(Sense.UNIT_ATTENTION, 0x29, 0x00));
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void raise(final ItNexus nexus, final Sense sense) {
        lock.lock();
        try {
            add(nexus, sense);
        } finally {
            lock.unlock();
        }
    }

    /** Raises {@code sense} for {@code nexus} only if it has used the unit. */
    @Override
    public void raiseIfKnown(final ItNexus nexus, final Sense sense) {
        lock.lock();
        try {
            if (seen.contains(nexus)) {
                add(nexus, sense);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The nexuses that have used the unit. */
    Set<ItNexus> seen() {
        lock.lock();
        try {
            return Set.copyOf(seen);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void raiseForInitiatorPort(final ItNexus nexus, final ItNexus except, final Sense sense) {
        lock.lock();
        try {
            for (ItNexus n : seen) {
                if (n.initiatorName().equals(nexus.initiatorName()) && n.isid().equalsIgnoreCase(nexus.isid())
                        && !n.equals(except)) {
                    add(n, sense);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void raiseForEveryNexus(final Sense sense) {
        raiseOthers(null, sense);
    }

    /** Raises {@code sense} for every nexus seen except {@code except} (which may be null). */
    void raiseOthers(final ItNexus except, final Sense sense) {
        lock.lock();
        try {
            for (ItNexus n : seen) {
                if (!n.equals(except)) {
                    add(n, sense);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void add(final ItNexus nexus, final Sense sense) {
        ArrayDeque<Sense> q = pending.computeIfAbsent(nexus, n -> new ArrayDeque<>());
        for (Sense s : q) {
            if (s.asc() == sense.asc() && s.ascq() == sense.ascq()) {
                return;
            }
        }
        if (q.size() < MAX_PENDING) {
            q.addLast(sense);
        }
    }

    /** Whether {@code nexus} sent a command before and no condition waits for it. */
    boolean quiet(final ItNexus nexus) {
        lock.lock();
        try {
            return seen.contains(nexus) && !pending.containsKey(nexus);
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns the oldest pending condition for {@code nexus}, or null. */
    Sense take(final ItNexus nexus) {
        lock.lock();
        try {
            ArrayDeque<Sense> q = pending.get(nexus);
            if (q == null) {
                return null;
            }
            Sense s = q.pollFirst();
            if (q.isEmpty()) {
                pending.remove(nexus);
            }
            return s;
        } finally {
            lock.unlock();
        }
    }

    /** Forgets {@code nexus}: if it comes back it is new again and finds the power-on condition. */
    void forget(final ItNexus nexus) {
        lock.lock();
        try {
            seen.remove(nexus);
            pending.remove(nexus);
        } finally {
            lock.unlock();
        }
    }
}
