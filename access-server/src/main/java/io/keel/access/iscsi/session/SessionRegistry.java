package io.keel.access.iscsi.session;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The portal's sessions by TSIH and by identity (initiator name, ISID, target): assigns TSIHs and
 * finds the session a new login reinstates. It also keeps the tasks of ended sessions that are
 * still running, so that fencing (PREEMPT AND ABORT) can wait for them too.
 */
public final class SessionRegistry {

    private final Map<Integer, Session> byTsih = new HashMap<>();
    private final Map<Task, Session> unfinished = new ConcurrentHashMap<>();
    private final AtomicInteger normal = new AtomicInteger();
    private int nextTsih = 1;

    /** Registers {@code session} under a fresh TSIH, which it is given and which is returned (0: none free). */
    synchronized int register(final Session session) {
        for (int tries = 0; tries < 65536; tries++) {
            int tsih = nextTsih;
            nextTsih = nextTsih == 0xffff ? 1 : nextTsih + 1;
            if (!byTsih.containsKey(tsih)) {
                // Named before it can be found: whoever ends it from another thread then removes this entry.
                session.tsih(tsih);
                byTsih.put(tsih, session);
                if (!session.discovery()) {
                    normal.incrementAndGet();
                }
                return tsih;
            }
        }
        return 0;
    }

    synchronized void remove(final Session session) {
        if (byTsih.remove(session.tsih(), session) && !session.discovery()) {
            normal.decrementAndGet();
        }
    }

    /** How many normal (not discovery) sessions are registered: what the portal's {@link ReadShare} is shared by. */
    public int normalCount() {
        return normal.get();
    }

    synchronized Optional<Session> byTsih(final int tsih) {
        return Optional.ofNullable(byTsih.get(tsih));
    }

    /** The live session with this identity (what a login with TSIH 0 reinstates). */
    synchronized Optional<Session> byIdentity(final String initiatorName, final String isid, final String target) {
        return byTsih.values().stream().filter(s -> s.initiatorName().equalsIgnoreCase(initiatorName)
                && s.isid().equals(isid) && s.targetName().equals(target)).findFirst();
    }

    /** Every session of target {@code iqn}. */
    public synchronized List<Session> ofTarget(final String iqn) {
        return byTsih.values().stream().filter(s -> s.targetName().equals(iqn)).toList();
    }

    /** Every session. */
    public synchronized List<Session> all() {
        return new ArrayList<>(byTsih.values());
    }

    /** Keeps {@code session}'s aborted {@code tasks} that still run until they finish (the session is ending). */
    void keepUntilFinished(final Session session, final List<Task> tasks) {
        for (Task task : tasks) {
            unfinished.put(task, session);
            task.finished.whenComplete((done, failure) -> unfinished.remove(task));
        }
    }

    /** How many tasks of ended sessions still run (a gauge: a command that never ends shows here). */
    public int unfinishedCount() {
        return unfinished.size();
    }

    /**
     * The command that has had all its data and no status longest, among every session's (see
     * TaskSet.oldestOpen for those left out) and those that ended sessions left running, as of
     * {@code nowNanos}; empty when there is none. A command open for longer than any initiator waits
     * (tens of seconds) means something below it hangs.
     */
    public Optional<OpenCommand> oldestOpenCommand(final long nowNanos) {
        OpenCommand oldest = null;
        for (Session session : all()) {
            oldest = OpenCommand.older(oldest,
                    session.tasks().oldestOpen(session.initiatorName(), session.targetName(), nowNanos));
        }
        for (Map.Entry<Task, Session> left : unfinished.entrySet()) {
            if (left.getKey().executed) {
                continue; // only its status was still going out when the session ended
            }
            Session session = left.getValue();
            oldest = OpenCommand.older(oldest, left.getKey().asOpen(session.initiatorName(), session.targetName(),
                    "left running by a session that ended", nowNanos));
        }
        return Optional.ofNullable(oldest);
    }

    /** The still-running tasks of ended sessions, with their session. */
    Map<Task, Session> unfinished() {
        return Map.copyOf(unfinished);
    }
}
