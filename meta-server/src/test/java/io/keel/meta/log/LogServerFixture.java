package io.keel.meta.log;

import static io.keel.meta.log.LogTestSupport.client;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;

/**
 * One test ZooKeeper server and the clients and log members a test starts on it, all closed in
 * reverse order by {@link #close()} (whatever the test already closed itself is skipped).
 */
final class LogServerFixture implements AutoCloseable {

    private final TestingServer server;
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

    LogServerFixture() throws Exception {
        server = new TestingServer(true);
    }

    /** Closes {@code resource} with the fixture, before everything started earlier. */
    void closeLater(final AutoCloseable resource) {
        closeables.add(resource);
    }

    /** A connected client of the server, closed with the fixture. */
    CuratorFramework newClient() throws InterruptedException {
        CuratorFramework c = client(server.getConnectString());
        closeables.add(c);
        return c;
    }

    /** A started log member on its own client, closed with the fixture. */
    MetaLog member(final LogStateMachine sm, final MetaLogConfig config) throws Exception {
        MetaLog log = new MetaLog(newClient(), sm, config);
        closeables.add(log);
        log.start();
        return log;
    }

    @Override
    public void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception ignored) {
                // best effort: the test may have closed it already
            }
        }
        server.close();
    }
}
