package io.keel.meta.log;

import static io.keel.meta.log.LogTestSupport.await;
import static io.keel.meta.log.LogTestSupport.awaitLeader;
import static io.keel.meta.log.LogTestSupport.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class MetaLogTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private LogServerFixture zk;

    @BeforeEach
    void startServer() throws Exception {
        zk = new LogServerFixture();
    }

    @AfterEach
    void stop() throws Exception {
        zk.close();
    }

    private CuratorFramework newClient() throws InterruptedException {
        return zk.newClient();
    }

    private MetaLog member(final LogStateMachine sm, final MetaLogConfig config) throws Exception {
        return zk.member(sm, config);
    }

    @Test
    void oneLeaderAndFollowersApplyTheSameSequence() throws Exception {
        List<MemoryStateMachine> states = new ArrayList<>();
        List<MetaLog> logs = new ArrayList<>();
        List<MetricRegistry> registries = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            states.add(new MemoryStateMachine());
            registries.add(new MetricRegistry());
            logs.add(member(states.get(i), config("m" + i).withMetrics(registries.get(i))));
        }
        MetaLog leader = awaitLeader(logs, WAIT);
        int leaderNo = logs.indexOf(leader);
        List<Long> indexes = new CopyOnWriteArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Long>> futures = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                byte[] entry = MemoryStateMachine.entry("e" + i, "payload " + i);
                futures.add(pool.submit(() -> leader.append(entry)));
            }
            for (Future<Long> f : futures) {
                indexes.add(f.get());
            }
        }
        assertThat(indexes).doesNotHaveDuplicates().hasSize(300);
        long last = indexes.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertThat(last).isEqualTo(300);
        // acknowledged means applied locally
        assertThat(states.get(leaderNo).appliedIndex()).isGreaterThanOrEqualTo(last);
        for (MetaLog log : logs) {
            assertThat(log.awaitApplied(last, WAIT)).isTrue();
        }
        for (MemoryStateMachine sm : states) {
            assertThat(sm.entries()).isEqualTo(states.get(leaderNo).entries());
            assertThat(sm.violation()).isNull();
        }
        for (MetaLog log : logs) {
            assertThat(log.leader()).map(LeaderInfo::address).contains("m" + leaderNo + ".example:7000");
            assertThat(log.term()).isEqualTo(1);
        }
        assertThat(logs.stream().filter(MetaLog::isLeader).count()).isEqualTo(1);
        for (MetaLog log : logs) {
            if (log != leader) {
                assertThatThrownBy(() -> log.append(MemoryStateMachine.entry("x", "y")))
                        .isInstanceOfSatisfying(NotLeaderException.class,
                                e -> assertThat(e.leaderAddress()).contains("m" + leaderNo + ".example:7000"));
            }
        }
        MetricRegistry metrics = registries.get(leaderNo);
        assertThat(metrics.timer("keel.meta.log.append_latency").getCount()).isEqualTo(300);
        long batches = metrics.histogram("keel.meta.log.batch_entries").getCount();
        assertThat(batches).as("concurrent appends share batches").isLessThan(300);
        assertThat(metrics.getGauges().get("keel.meta.log.is_leader").getValue()).isEqualTo(1);
        assertThat(metrics.getGauges().get("keel.meta.log.term").getValue()).isEqualTo(1L);
        assertThat(registries.get((leaderNo + 1) % 3).getGauges().get("keel.meta.log.applied_index").getValue())
                .isEqualTo(300L);
        List<String> children = newClient().getChildren().forPath("/meta/log");
        assertThat(children).hasSize((int) batches);
    }

    @Test
    void batchesRespectTheirLimitsAndHugeEntriesAreRefused() throws Exception {
        MemoryStateMachine sm = new MemoryStateMachine();
        MetaLog log = member(sm, config("solo").withBatching(4, 4096, Duration.ofMillis(5)));
        await("leader", WAIT, log::isLeader);
        assertThatThrownBy(() -> log.append(new byte[5000]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("larger than the largest entry a batch can carry");
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Long>> futures = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                byte[] entry = MemoryStateMachine.entry("e" + i, "x".repeat(900));
                futures.add(pool.submit(() -> log.append(entry)));
            }
            for (Future<Long> f : futures) {
                f.get();
            }
        }
        CuratorFramework c = newClient();
        for (String name : c.getChildren().forPath("/meta/log")) {
            byte[] data = c.getData().forPath("/meta/log/" + name);
            BatchCodec.Batch batch = BatchCodec.decode(name, data);
            assertThat(batch.entries().size()).isLessThanOrEqualTo(4);
            assertThat(data.length).isLessThanOrEqualTo(4096);
        }
        assertThat(sm.appliedIndex()).isEqualTo(40);
    }

    @Test
    void restartedMemberResumesAfterItsOwnIndex() throws Exception {
        MemoryStateMachine leaderSm = new MemoryStateMachine();
        MetaLog leader = member(leaderSm, config("a").withBatching(7, 512 * 1024, Duration.ZERO));
        await("leader", WAIT, leader::isLeader);
        MemoryStateMachine followerSm = new MemoryStateMachine();
        MetaLog follower = member(followerSm, config("b"));
        appendConcurrently(leader, "first", 50);
        assertThat(follower.awaitApplied(50, WAIT)).isTrue();
        follower.close();
        long k = followerSm.appliedIndex();
        appendConcurrently(leader, "second", 50);
        MetaLog restarted = member(followerSm, config("b"));
        assertThat(restarted.awaitApplied(100, WAIT)).isTrue();
        assertThat(followerSm.violation()).isNull();
        assertThat(followerSm.restores()).isZero();
        List<Long> firsts = followerSm.applyFirsts();
        assertThat(firsts).contains(k + 1);
        assertThat(followerSm.entries()).isEqualTo(leaderSm.entries());
        assertThat(followerSm.digest()).isEqualTo(leaderSm.digest());
    }

    static void appendConcurrently(final MetaLog log, final String prefix, final int n) throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Long>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] entry = MemoryStateMachine.entry(prefix + i, "p");
                futures.add(pool.submit(() -> log.append(entry)));
            }
            for (Future<Long> f : futures) {
                f.get();
            }
        }
    }

    @Test
    void snapshotsTrimTheLogAndANewMemberRestoresOne() throws Exception {
        MemoryStateMachine leaderSm = new MemoryStateMachine();
        MetaLog leader = member(leaderSm, config("a").withSnapshots(100, 1024).withBatching(5, 64 * 1024,
                Duration.ZERO));
        await("leader", WAIT, leader::isLeader);
        for (int i = 0; i < 600; i++) {
            leader.append(MemoryStateMachine.entry("e" + i, "p" + i));
        }
        CuratorFramework c = newClient();
        await("the log trimmed", WAIT, () -> {
            try {
                return c.getChildren().forPath("/meta/log").size() < 110;
            } catch (Exception e) {
                return false;
            }
        });
        List<String> batches = c.getChildren().forPath("/meta/log");
        assertThat(batches).doesNotContain(LogPaths.batchName(1));
        // The leader may still be snapshotting: the newest snapshot may be in progress, and an older
        // one may vanish between listing and looking (a newer complete one replaced it); look again.
        List<List<String>> completeChildren = new ArrayList<>();
        await("a complete snapshot", WAIT, () -> {
            try {
                List<String> snapshots = c.getChildren().forPath("/meta/snapshots");
                assertThat(snapshots).hasSizeBetween(1, 2);
                for (String name : snapshots) {
                    List<String> children = c.getChildren().forPath("/meta/snapshots/" + name);
                    if (children.contains("done")) {
                        completeChildren.add(children);
                        return true;
                    }
                }
                return false;
            } catch (KeeperException.NoNodeException replaced) {
                return false;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // the complete one has its chunks and its marker
        assertThat(completeChildren.getFirst()).hasSizeGreaterThan(2);

        MemoryStateMachine fresh = new MemoryStateMachine();
        MetricRegistry freshMetrics = new MetricRegistry();
        MetaLog late = member(fresh, config("late").withMetrics(freshMetrics));
        assertThat(late.awaitApplied(600, WAIT)).isTrue();
        assertThat(fresh.restores()).isEqualTo(1);
        assertThat(freshMetrics.counter("keel.meta.log.snapshots_restored").getCount()).isEqualTo(1);
        assertThat(fresh.ids()).isEqualTo(leaderSm.ids());
        assertThat(fresh.digest()).isEqualTo(leaderSm.digest());
        assertThat(fresh.violation()).isNull();

        // a member far behind the oldest batch also restores, then follows new entries
        late.close();
        for (int i = 600; i < 800; i++) {
            leader.append(MemoryStateMachine.entry("e" + i, "p" + i));
        }
        MetaLog back = member(fresh, config("late"));
        assertThat(back.awaitApplied(800, WAIT)).isTrue();
        assertThat(fresh.restores()).isEqualTo(2);
        assertThat(fresh.digest()).isEqualTo(leaderSm.digest());
        leader.append(MemoryStateMachine.entry("after", "x"));
        assertThat(back.awaitApplied(801, WAIT)).isTrue();
        assertThat(fresh.ids()).isEqualTo(leaderSm.ids());
    }

    @Test
    void newLeaderRestoresFromSnapshotAndContinues() throws Exception {
        MemoryStateMachine first = new MemoryStateMachine();
        MetaLog a = member(first, config("a").withSnapshots(50, 2048));
        await("leader", WAIT, a::isLeader);
        for (int i = 0; i < 120; i++) {
            a.append(MemoryStateMachine.entry("e" + i, "p"));
        }
        a.snapshotNow();
        a.close();
        MemoryStateMachine second = new MemoryStateMachine();
        MetaLog b = member(second, config("b"));
        await("b leads", WAIT, b::isLeader);
        assertThat(b.term()).isEqualTo(2);
        assertThat(second.appliedIndex()).isEqualTo(120);
        assertThat(second.restores()).isEqualTo(1);
        assertThat(b.append(MemoryStateMachine.entry("next", "p"))).isEqualTo(121);
        assertThat(second.ids()).containsAll(first.ids()).contains("next");
    }
}
