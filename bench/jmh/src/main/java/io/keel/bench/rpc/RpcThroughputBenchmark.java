package io.keel.bench.rpc;

import io.keel.runtime.rpc.RpcClient;
import io.keel.runtime.rpc.RpcConfig;
import io.keel.runtime.rpc.RpcServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Throughput of one connection with {@value #IN_FLIGHT} calls in flight: {@value #IN_FLIGHT} virtual threads
 * call an echo method in a loop. Results are calls per second; each call moves its payload once in each
 * direction, so payload MiB/s per direction = ops/s &times; payload size.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RpcThroughputBenchmark {

    static final int IN_FLIGHT = 64;
    static final int SMALL_CALLS_PER_THREAD = 50;
    static final int LARGE_CALLS_PER_THREAD = 2;
    private static final int ECHO = 1;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private RpcServer server;
    private RpcClient client;
    private ByteBuffer fourKiB;
    private ByteBuffer oneMiB;

    /** Starts a server echoing payloads and a client; direct request buffers, as bulk senders should use. */
    @Setup(Level.Trial)
    public void start() throws Exception {
        RpcConfig config = RpcConfig.defaults();
        server = new RpcServer(config);
        server.register(ECHO, payload -> payload);
        client = new RpcClient(server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), config);
        fourKiB = ByteBuffer.allocateDirect(4 * 1024);
        oneMiB = ByteBuffer.allocateDirect(1024 * 1024);
        RpcRoundTripBenchmark.onVirtualThread(() -> client.call(ECHO, fourKiB, TIMEOUT));
    }

    /** Closes client and server. */
    @TearDown(Level.Trial)
    public void stop() {
        client.close();
        server.close();
    }

    /** 4 KiB echoes, 64 in flight. */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT * SMALL_CALLS_PER_THREAD)
    public void inFlight64Payload4KiB() throws Exception {
        callConcurrently(fourKiB, SMALL_CALLS_PER_THREAD);
    }

    /** 1 MiB echoes, 64 in flight. */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT * LARGE_CALLS_PER_THREAD)
    public void inFlight64Payload1MiB() throws Exception {
        callConcurrently(oneMiB, LARGE_CALLS_PER_THREAD);
    }

    private void callConcurrently(final ByteBuffer payload, final int callsPerThread) throws Exception {
        Thread[] callers = new Thread[IN_FLIGHT];
        Exception[] failure = new Exception[1];
        for (int t = 0; t < IN_FLIGHT; t++) {
            callers[t] = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < callsPerThread; i++) {
                        if (client.call(ECHO, payload, TIMEOUT).remaining() != payload.remaining()) {
                            throw new IllegalStateException("short echo");
                        }
                    }
                } catch (Exception e) {
                    failure[0] = e;
                }
            });
        }
        for (Thread caller : callers) {
            caller.join();
        }
        if (failure[0] != null) {
            throw failure[0];
        }
    }
}
