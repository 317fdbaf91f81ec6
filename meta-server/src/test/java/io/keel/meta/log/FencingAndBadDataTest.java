package io.keel.meta.log;

import static io.keel.meta.log.LogTestSupport.await;
import static io.keel.meta.log.LogTestSupport.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class FencingAndBadDataTest {

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
    void aDeposedLeaderWritesNothingAfterTheTermMoves() throws Exception {
        MemoryStateMachine sm = new MemoryStateMachine();
        MetaLog a = member(sm, config("a"));
        await("a leads", WAIT, a::isLeader);
        for (int i = 0; i < 10; i++) {
            a.append(MemoryStateMachine.entry("e" + i, "p"));
        }
        CuratorFramework intruderClient = newClient();
        // The intruder queues for the election behind a and holds it once a lets go, so that a
        // cannot simply take a newer term again.
        CountDownLatch intruderLeads = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        LeaderSelector intruder = new LeaderSelector(intruderClient, "/meta/election",
                new LeaderSelectorListenerAdapter() {
                    @Override
                    public void takeLeadership(final CuratorFramework c) throws Exception {
                        intruderLeads.countDown();
                        release.await();
                    }
                });
        zk.closeLater(release::countDown);
        zk.closeLater(intruder);
        intruder.start();

        // a stream of appends runs while another "leader" takes the next term
        List<Long> acked = new CopyOnWriteArrayList<>();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            writers.add(Thread.ofVirtual().start(() -> {
                for (int n = 0; !stop.get(); n++) {
                    try {
                        acked.add(a.append(MemoryStateMachine.entry("w" + writer + "-" + n, "p")));
                    } catch (NotLeaderException e) {
                        return;
                    } catch (InterruptedException | RuntimeException e) {
                        unexpected.add(e);
                        return;
                    }
                }
            }));
        }
        await("appends flowing", WAIT, () -> acked.size() > 20);
        Stat stat = new Stat();
        LeaderInfo old = TermCodec.decode("term", intruderClient.getData().storingStatIn(stat).forPath("/meta/term"));
        Stat bumped = intruderClient.setData().withVersion(stat.getVersion()).forPath("/meta/term",
                TermCodec.encode(new LeaderInfo(old.term() + 1, "intruder", "10.9.9.9:7000")));
        long bumpZxid = bumped.getMzxid();

        assertThatThrownBy(() -> a.append(MemoryStateMachine.entry("late", "p")))
                .isInstanceOf(NotLeaderException.class);
        for (Thread t : writers) {
            t.join(Duration.ofSeconds(10));
        }
        stop.set(true);
        assertThat(unexpected).isEmpty();
        assertThat(intruderLeads.await(20, TimeUnit.SECONDS)).as("a let go of the election").isTrue();
        assertThat(a.isLeader()).isFalse();
        assertThatThrownBy(() -> a.append(MemoryStateMachine.entry("later", "p")))
                .isInstanceOfSatisfying(NotLeaderException.class,
                        e -> assertThat(e.leaderAddress()).contains("10.9.9.9:7000"));

        // nothing of the old term was created after the bump, and every acknowledged index is in the log
        long logEnd = 0;
        for (String name : intruderClient.getChildren().forPath("/meta/log")) {
            Stat batchStat = new Stat();
            byte[] data = intruderClient.getData().storingStatIn(batchStat).forPath("/meta/log/" + name);
            BatchCodec.Batch batch = BatchCodec.decode(name, data);
            assertThat(batch.term()).isEqualTo(old.term());
            assertThat(batchStat.getCzxid()).as(name + " created before the term moved").isLessThan(bumpZxid);
            logEnd = Math.max(logEnd, batch.lastIndex());
        }
        assertThat(acked).allSatisfy(i -> assertThat(i).isBetween(11L, 10L + acked.size()));
        assertThat(sm.appliedIndex()).isEqualTo(logEnd);
        assertThat(logEnd).isGreaterThanOrEqualTo(10L + acked.size());
    }

    @Test
    void badBatchesAreNeverApplied() throws Exception {
        MemoryStateMachine leaderSm = new MemoryStateMachine();
        MetaLog a = member(leaderSm, config("a"));
        await("a leads", WAIT, a::isLeader);
        MemoryStateMachine followerSm = new MemoryStateMachine();
        MetricRegistry metrics = new MetricRegistry();
        MetaLog b = member(followerSm, config("b").withMetrics(metrics));
        for (int i = 0; i < 10; i++) {
            a.append(MemoryStateMachine.entry("e" + i, "p"));
        }
        assertThat(b.awaitApplied(10, WAIT)).isTrue();
        CuratorFramework c = newClient();

        byte[] corrupt = BatchCodec.encode(1, 11, List.of(MemoryStateMachine.entry("evil", "p")));
        corrupt[BatchCodec.OVERHEAD] ^= 0x20;
        c.create().forPath("/meta/log/" + LogPaths.batchName(11), corrupt);
        await("b reports the bad checksum", WAIT,
                () -> b.lastError().map(e -> e.getMessage().contains("fails its checksum")).orElse(false));
        assertThat(b.lastError().orElseThrow()).isInstanceOf(LogFormatException.class)
                .hasMessageContaining(LogPaths.batchName(11));
        assertThat(metrics.counter("keel.meta.log.bad_data").getCount()).isPositive();

        byte[] newer = BatchCodec.encode(1, 11, List.of(MemoryStateMachine.entry("future", "p")));
        ByteBuffer.wrap(newer).putShort(4, (short) 2);
        ByteBuffer.wrap(newer).putInt(newer.length - 4, BatchCodec.crc(newer, newer.length - 4));
        c.setData().forPath("/meta/log/" + LogPaths.batchName(11), newer);
        await("b reports the newer format", WAIT,
                () -> b.lastError().map(e -> e.getMessage().contains("format version 2")).orElse(false));
        assertThat(b.awaitApplied(11, Duration.ofMillis(300))).isFalse();
        assertThat(followerSm.appliedIndex()).isEqualTo(10);
        assertThat(followerSm.ids()).doesNotContain("evil", "future");

        // nor does a member that would lead on top of them: it refuses the leadership
        a.close();
        await("b refuses to lead over bad data", WAIT,
                () -> b.lastError().map(e -> e.getMessage().contains("format version 2")).orElse(false));
        Thread.sleep(500);
        assertThat(b.isLeader()).isFalse();
        assertThat(followerSm.appliedIndex()).isEqualTo(10);
        assertThat(followerSm.violation()).isNull();
    }
}
