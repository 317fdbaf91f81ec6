package io.keel.runtime.rpc;

import static io.keel.runtime.rpc.RpcLoopbackTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reader thread that dies of something other than an I/O error (in production, say, an OutOfMemoryError
 * while allocating a payload) must close its connection rather than leave it open with nobody reading it.
 * The failure is injected through a metrics counter the reader updates after every read.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RpcReaderFailureTest {

    private static final int ECHO = 1;
    private static final Duration TIMEOUT = Duration.ofSeconds(4);

    /** A counter whose every increment fails. */
    static final class FailingCounter extends Counter {
        @Override
        public void inc(final long n) {
            throw new IllegalStateException("injected failure in the reader");
        }
    }

    @Test
    void aClientReaderThatDiesFailsItsCallsAtOnce() throws Exception {
        MetricRegistry registry = new MetricRegistry();
        registry.register("keel.rpc.client.bytes_in", new FailingCounter());
        try (RpcServer server = echoServer(new MetricRegistry());
                RpcClient client = new RpcClient(server.address(), RpcConfig.builder().metricRegistry(registry)
                        .build())) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> client.call(ECHO, utf8("hi"), TIMEOUT))
                    .isInstanceOf(RpcConnectionException.class).hasMessageContaining("injected failure");
            assertThat((System.nanoTime() - start) / 1_000_000).as("milliseconds").isLessThan(2000);
        }
    }

    @Test
    void aServerReaderThatDiesClosesItsConnection() throws Exception {
        MetricRegistry registry = new MetricRegistry();
        registry.register("keel.rpc.server.bytes_in", new FailingCounter());
        try (RpcServer server = echoServer(registry);
                RpcClient client = new RpcClient(server.address(), RpcConfig.defaults())) {
            assertThatThrownBy(() -> client.call(ECHO, utf8("hi"), TIMEOUT))
                    .isInstanceOf(RpcConnectionException.class);
            RpcLoopbackTest.awaitCount(server::connectionCount, 0);
        }
    }

    private static RpcServer echoServer(final MetricRegistry registry) throws Exception {
        RpcServer server = new RpcServer(RpcConfig.builder().metricRegistry(registry).build());
        server.register(ECHO, request -> request);
        server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return server;
    }
}
