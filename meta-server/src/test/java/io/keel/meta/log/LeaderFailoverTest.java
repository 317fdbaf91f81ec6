package io.keel.meta.log;

import static io.keel.meta.log.LogTestSupport.await;
import static io.keel.meta.log.LogTestSupport.awaitLeader;
import static io.keel.meta.log.LogTestSupport.client;
import static io.keel.meta.log.LogTestSupport.config;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(90)
class LeaderFailoverTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int WRITERS = 4;

    /** One member: its own client (so that its session can die alone), its log and its state. */
    private record Member(String id, CuratorFramework client, MetaLog log, MemoryStateMachine state) {
    }

    @Test
    void everyAcknowledgedEntrySurvivesLeaderKills() throws Exception {
        try (TestingServer server = new TestingServer(true)) {
            List<Member> members = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                CuratorFramework c = client(server.getConnectString());
                MemoryStateMachine sm = new MemoryStateMachine();
                MetaLog log = new MetaLog(c, sm, config("m" + i).withBatching(20, 64 * 1024, Duration.ZERO));
                log.start();
                members.add(new Member("m" + i, c, log, sm));
            }
            List<Member> live = new CopyOnWriteArrayList<>(members);
            Map<String, Long> acked = new ConcurrentHashMap<>();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger notLeader = new AtomicInteger();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(Thread.ofVirtual().start(() -> write(writer, live, acked, stop, notLeader, failures)));
            }
            try {
                awaitAcked(acked, 100);
                Member first = leaderOf(live);
                long firstTerm = first.log().term();
                long t0 = System.nanoTime();
                LogTestSupport.expireSession(first.client(), server.getConnectString());
                Member second = awaitNewTerm(live, firstTerm);
                long electedMillis = (System.nanoTime() - t0) / 1_000_000;
                assertThat(electedMillis).as("new leader elected promptly").isLessThan(10_000);
                int before = acked.size();
                awaitAcked(acked, before + 100);

                // the second kill: the leader's client goes away without a word; the member is gone
                long secondTerm = second.log().term();
                live.remove(second);
                second.client().close();
                awaitNewTerm(live, secondTerm);
                awaitAcked(acked, acked.size() + 100);
            } finally {
                stop.set(true);
                for (Thread t : writers) {
                    t.join(Duration.ofSeconds(20));
                }
            }
            assertThat(failures).isEmpty();
            assertThat(notLeader.get()).as("some appends were refused during the handovers").isPositive();

            Member leader = leaderOf(live);
            long end = leader.state().appliedIndex();
            for (Member m : live) {
                assertThat(m.log().awaitApplied(end, WAIT)).as(m.id() + " caught up").isTrue();
            }
            TreeMap<Long, String> reference = leader.state().entries();
            assertThat(reference.firstKey()).isEqualTo(1L);
            assertThat(reference.lastKey()).isEqualTo(end);
            for (Member m : members) {
                assertThat(m.state().violation()).as(m.id()).isNull();
                TreeMap<Long, String> seq = m.state().entries();
                if (live.contains(m)) {
                    assertThat(seq).as(m.id() + "'s sequence").isEqualTo(reference);
                } else {
                    assertThat(reference.headMap(seq.lastKey(), true)).as(m.id() + "'s prefix").isEqualTo(seq);
                }
            }
            Map<String, Integer> occurrences = new TreeMap<>();
            reference.values().forEach(e -> occurrences.merge(e, 1, Integer::sum));
            for (Map.Entry<String, Long> a : acked.entrySet()) {
                String entry = reference.get(a.getValue());
                assertThat(entry).as("entry at acknowledged index " + a.getValue()).isEqualTo(a.getKey());
                assertThat(occurrences.get(entry)).as(entry + " occurs once").isEqualTo(1);
                assertThat(leader.state().ids()).contains(MemoryStateMachine.idOf(entry));
            }
            for (Member m : members) {
                m.log().close();
                if (live.contains(m)) {
                    m.client().close();
                }
            }
        }
    }

    /**
     * Appends changes w-n in order, each retried (as a new attempt with the same id) until some
     * leader acknowledges it; records the acknowledged attempt and its index.
     */
    private static void write(final int writer, final List<Member> live, final Map<String, Long> acked,
            final AtomicBoolean stop, final AtomicInteger notLeader, final List<Throwable> failures) {
        try {
            for (int n = 0; !stop.get(); n++) {
                for (int attempt = 0; !stop.get(); attempt++) {
                    String entry = "w" + writer + "-" + n + "|attempt-" + attempt;
                    MetaLog target = live.stream().map(Member::log).filter(MetaLog::isLeader).findFirst().orElse(null);
                    if (target == null) {
                        Thread.sleep(5);
                        continue;
                    }
                    try {
                        long index = target.append(entry.getBytes(StandardCharsets.UTF_8));
                        acked.put(entry, index);
                        break;
                    } catch (NotLeaderException e) {
                        notLeader.incrementAndGet();
                        Thread.sleep(5);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | AssertionError e) {
            failures.add(e);
        }
    }

    private static void awaitAcked(final Map<String, Long> acked, final int count) throws InterruptedException {
        await(count + " acknowledged appends", WAIT, () -> acked.size() >= count);
    }

    private static Member leaderOf(final List<Member> live) throws InterruptedException {
        MetaLog log = awaitLeader(live.stream().map(Member::log).toList(), WAIT);
        return live.stream().filter(m -> m.log() == log).findFirst().orElseThrow();
    }

    private static Member awaitNewTerm(final List<Member> live, final long oldTerm) throws InterruptedException {
        await("a leader with a term above " + oldTerm, WAIT,
                () -> live.stream().anyMatch(m -> m.log().isLeader() && m.log().term() > oldTerm));
        return live.stream().filter(m -> m.log().isLeader() && m.log().term() > oldTerm).findFirst().orElseThrow();
    }
}
