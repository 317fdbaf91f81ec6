package io.keel.bench.rpc;

import io.keel.runtime.rpc.RpcClient;
import io.keel.runtime.rpc.RpcConfig;
import io.keel.runtime.rpc.RpcServer;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Round-trip latency of one 64-byte call on loopback, one connection, one caller, next to a raw socket
 * ping-pong of the same 64 bytes on the same kind of threads (a virtual thread calls, a virtual thread serves),
 * so that {@code rpc / rawSocket} is the price of the RPC layer.
 *
 * <p>JMH's own threads are platform threads, so each invocation runs {@value #ROUND_TRIPS} round trips on
 * one virtual thread; starting and joining it is amortised over them. Sample time gives percentiles of those
 * per-invocation averages, which resist the scheduling stalls of a small, shared machine better than a mean.
 *
 * <p>On a noisy machine two benchmarks run minutes apart see different machines, so {@link #interleaved}
 * alternates blocks of RPC and raw round trips on one thread and reports the time of each as auxiliary
 * counters: {@code rpcNanos / rawNanos} is the price of the RPC layer under identical conditions.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RpcRoundTripBenchmark {

    static final int ROUND_TRIPS = 200;
    static final int PAIRED_BLOCK = 100;
    private static final int ECHO = 1;
    private static final int MESSAGE_BYTES = 64;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private RpcServer server;
    private RpcClient client;
    private ByteBuffer request;

    private ServerSocketChannel rawListener;
    private SocketChannel rawClient;
    private ByteBuffer rawOut;
    private ByteBuffer rawIn;

    /** Starts the RPC server and client and the raw echo server, and warms both connections once. */
    @Setup(Level.Trial)
    public void start() throws Exception {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        server = new RpcServer(RpcConfig.defaults());
        server.register(ECHO, payload -> payload);
        client = new RpcClient(server.start(loopback), RpcConfig.defaults());
        request = ByteBuffer.allocate(MESSAGE_BYTES);

        rawListener = ServerSocketChannel.open().bind(loopback);
        Thread.ofVirtual().name("raw-accept").start(this::rawAcceptLoop);
        rawClient = SocketChannel.open(rawListener.getLocalAddress());
        rawClient.setOption(StandardSocketOptions.TCP_NODELAY, true);
        rawOut = ByteBuffer.allocateDirect(MESSAGE_BYTES);
        rawIn = ByteBuffer.allocateDirect(MESSAGE_BYTES);
        onVirtualThread(() -> {
            client.call(ECHO, request, TIMEOUT);
            rawRoundTrip();
        });
    }

    /** Closes everything. */
    @TearDown(Level.Trial)
    public void stop() throws IOException {
        client.close();
        server.close();
        rawClient.close();
        rawListener.close();
    }

    /** Time spent in each half of {@link #interleaved}, summed per iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class PairedTimes {
        /** Nanoseconds spent in RPC round trips. */
        public long rpcNanos;
        /** Nanoseconds spent in raw socket round trips. */
        public long rawNanos;

        /** Counters start from zero in every iteration. */
        @Setup(Level.Iteration)
        public void reset() {
            rpcNanos = 0;
            rawNanos = 0;
        }
    }

    /** Alternating blocks of {@value #PAIRED_BLOCK} RPC and {@value #PAIRED_BLOCK} raw round trips. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OperationsPerInvocation(2 * PAIRED_BLOCK)
    public void interleaved(final PairedTimes times, final Blackhole blackhole) throws Exception {
        onVirtualThread(() -> {
            long start = System.nanoTime();
            for (int i = 0; i < PAIRED_BLOCK; i++) {
                blackhole.consume(client.call(ECHO, request, TIMEOUT));
            }
            long middle = System.nanoTime();
            for (int i = 0; i < PAIRED_BLOCK; i++) {
                rawRoundTrip();
                blackhole.consume(rawIn);
            }
            long end = System.nanoTime();
            times.rpcNanos += middle - start;
            times.rawNanos += end - middle;
        });
    }

    /** One RPC call: 64-byte request, 64-byte response. */
    @Benchmark
    @OperationsPerInvocation(ROUND_TRIPS)
    public void rpc(final Blackhole blackhole) throws Exception {
        onVirtualThread(() -> {
            for (int i = 0; i < ROUND_TRIPS; i++) {
                blackhole.consume(client.call(ECHO, request, TIMEOUT));
            }
        });
    }

    /** The same exchange as bare bytes on a blocking socket. */
    @Benchmark
    @OperationsPerInvocation(ROUND_TRIPS)
    public void rawSocket(final Blackhole blackhole) throws Exception {
        onVirtualThread(() -> {
            for (int i = 0; i < ROUND_TRIPS; i++) {
                rawRoundTrip();
                blackhole.consume(rawIn);
            }
        });
    }

    private void rawRoundTrip() throws IOException {
        rawOut.clear();
        while (rawOut.hasRemaining()) {
            rawClient.write(rawOut);
        }
        rawIn.clear();
        readFully(rawClient, rawIn);
    }

    private void rawAcceptLoop() {
        try {
            while (true) {
                SocketChannel accepted = rawListener.accept();
                accepted.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Thread.ofVirtual().name("raw-echo").start(() -> rawEcho(accepted));
            }
        } catch (IOException closed) {
            // The benchmark is over.
        }
    }

    private static void rawEcho(final SocketChannel channel) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(MESSAGE_BYTES);
        try (channel) {
            while (true) {
                buffer.clear();
                readFully(channel, buffer);
                buffer.flip();
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
        } catch (IOException closed) {
            // The client went away.
        }
    }

    private static void readFully(final SocketChannel channel, final ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException();
            }
        }
    }

    /** Work that may throw, run on a virtual thread. */
    interface Body {
        void run() throws Exception;
    }

    static void onVirtualThread(final Body body) throws Exception {
        Exception[] failure = new Exception[1];
        Thread thread = Thread.ofVirtual().start(() -> {
            try {
                body.run();
            } catch (Exception e) {
                failure[0] = e;
            }
        });
        thread.join();
        if (failure[0] != null) {
            throw failure[0];
        }
    }
}
