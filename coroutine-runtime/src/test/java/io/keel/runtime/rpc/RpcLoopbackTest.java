package io.keel.runtime.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RpcLoopbackTest {

    static final int ECHO = 1;
    static final int SLOW = 2;
    static final int FAIL = 3;
    static final int REFUSE = 4;
    static final int BLOCK = 5;
    static final int THREAD = 6;
    private static final int MAX = 4 * 1024 * 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch blockedEntered = new CountDownLatch(1);
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        release.countDown();
        for (AutoCloseable closeable : closeables.reversed()) {
            closeable.close();
        }
    }

    @Test
    void echoesPayloadsFromEmptyToTheMaximum() throws Exception {
        RpcClient client = client(startServer(0));
        for (int size : new int[] {0, 1, 64, 4096, 64 * 1024, 1024 * 1024, MAX}) {
            for (boolean direct : new boolean[] {false, true}) {
                ByteBuffer request = randomPayload(size, direct);
                ByteBuffer response = client.call(ECHO, request, TIMEOUT);
                assertThat(response).as("echo of %d bytes (direct %s)", size, direct).isEqualTo(request);
                assertThat(request.position()).as("the caller's buffer is not moved").isZero();
            }
        }
    }

    @Test
    void refusesAnOversizedRequestBeforeSendingAndStaysUsable() throws Exception {
        RpcServer server = server();
        RpcClient client = client(startServer(server, 0));

        assertThatThrownBy(() -> client.call(ECHO, ByteBuffer.allocate(MAX + 1), TIMEOUT))
                .isInstanceOf(RpcPayloadTooLargeException.class)
                .hasMessageContaining(String.valueOf(MAX + 1));
        ByteBuffer[] twoParts = {ByteBuffer.allocate(MAX / 2 + 1), ByteBuffer.allocate(MAX / 2)};
        assertThatThrownBy(() -> client.call(ECHO, twoParts, io.keel.runtime.time.Deadline.after(
                io.keel.runtime.time.SystemClock.INSTANCE, TIMEOUT)))
                .isInstanceOf(RpcPayloadTooLargeException.class);

        assertThat(client.call(ECHO, ByteBuffer.wrap(new byte[] {7}), TIMEOUT)).isEqualTo(ByteBuffer.wrap(
                new byte[] {7}));
        assertThat(server.metrics().requests().getCount()).isEqualTo(1);
    }

    @Test
    void sendsAGatheredRequestAsOnePayload() throws Exception {
        RpcClient client = client(startServer(0));
        ByteBuffer[] parts = {utf8("head-"), ByteBuffer.allocateDirect(3).put(utf8("mid")).flip(), utf8("-tail")};

        ByteBuffer response = client.call(ECHO, parts, io.keel.runtime.time.Deadline.after(
                io.keel.runtime.time.SystemClock.INSTANCE, TIMEOUT));

        assertThat(StandardCharsets.UTF_8.decode(response).toString()).isEqualTo("head-mid-tail");
    }

    @Test
    void matchesManyConcurrentCallsOnOneConnection() throws Exception {
        RpcServer server = server();
        RpcClient client = client(startServer(server, 0));
        int calls = 256;
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                int id = i;
                results.add(callers.submit(() -> {
                    ByteBuffer request = utf8("call-" + id + "-" + "x".repeat(id % 97));
                    ByteBuffer response = client.call(SLOW, request, TIMEOUT);
                    return response.equals(utf8("call-" + id + "-" + "x".repeat(id % 97)));
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        }
        assertThat(server.metrics().connectionsAccepted().getCount()).isEqualTo(1);
        assertThat(server.metrics().requests().getCount()).isEqualTo(calls);
        assertThat(client.pendingCalls()).isZero();
    }

    @Test
    void answersAnUnknownMethodWithARemoteErrorAndKeepsTheConnection() throws Exception {
        RpcServer server = server();
        RpcClient client = client(startServer(server, 0));

        assertThatThrownBy(() -> client.call(999, utf8("?"), TIMEOUT))
                .isInstanceOfSatisfying(RpcRemoteException.class, e -> {
                    assertThat(e.status()).isEqualTo(RpcStatus.UNKNOWN_METHOD);
                    assertThat(e.methodId()).isEqualTo(999);
                    assertThat(e.remoteMessage()).contains("999");
                });
        assertThat(client.call(ECHO, utf8("still here"), TIMEOUT)).isEqualTo(utf8("still here"));
        assertThat(server.metrics().connectionsAccepted().getCount()).isEqualTo(1);
    }

    @Test
    void carriesHandlerFailuresBackAsRemoteErrors() throws Exception {
        RpcClient client = client(startServer(0));

        assertThatThrownBy(() -> client.call(FAIL, utf8("boom"), TIMEOUT))
                .isInstanceOfSatisfying(RpcRemoteException.class, e -> {
                    assertThat(e.status()).isEqualTo(RpcStatus.HANDLER_FAILED);
                    assertThat(e.remoteMessage()).isEqualTo("java.lang.IllegalStateException: handler says boom");
                });
        assertThatThrownBy(() -> client.call(REFUSE, utf8("no"), TIMEOUT))
                .isInstanceOfSatisfying(RpcRemoteException.class, e -> {
                    assertThat(e.status()).isEqualTo(417);
                    assertThat(e.remoteMessage()).isEqualTo("refused: no");
                });
        assertThat(client.metrics().remoteErrors().getCount()).isEqualTo(2);
    }

    @Test
    void expiresACallAtItsDeadlineAndDropsTheLateAnswer() throws Exception {
        RpcClient client = client(startServer(0));
        client.call(ECHO, utf8("connect first"), TIMEOUT);

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.call(SLOW, utf8("sleep:2000"), Duration.ofMillis(150)))
                .isInstanceOf(RpcTimeoutException.class)
                .hasMessageContaining("method " + SLOW);
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(elapsedMillis).as("returned at the deadline, not with the answer").isBetween(150L, 1500L);
        assertThat(client.pendingCalls()).as("no leaked pending call").isZero();
        assertThat(client.metrics().timeouts().getCount()).isEqualTo(1);
        awaitCount(() -> client.metrics().lateResponses().getCount(), 1);
        assertThat(client.call(ECHO, utf8("after"), TIMEOUT)).isEqualTo(utf8("after"));
    }

    @Test
    void failsEveryPendingCallAtOnceWhenTheServerGoesAway() throws Exception {
        RpcServer server = server();
        InetSocketAddress address = startServer(server, 0);
        RpcClient client = client(address);
        client.call(ECHO, utf8("warm up"), TIMEOUT);
        int calls = 40;
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Object>> results = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                results.add(callers.submit(() -> client.call(BLOCK, utf8("wait"), Duration.ofSeconds(30))));
            }
            blockedEntered.await();
            awaitCount(client::pendingCalls, calls);
            // All admitted (read) by the server: GO_AWAY will name them as run, so none may be resent.
            awaitCount(() -> server.metrics().requests().getCount(), calls + 1);

            long start = System.nanoTime();
            server.close();
            for (Future<Object> result : results) {
                assertThatThrownBy(result::get).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(RpcConnectionException.class)
                        .hasMessageContaining(address.toString())
                        .hasMessageContaining("connection was lost")
                        .hasMessageContaining("going away");
            }
            assertThat((System.nanoTime() - start) / 1_000_000).as("milliseconds to fail them all")
                    .isLessThan(2000);
        }
        assertThat(client.pendingCalls()).isZero();
    }

    @Test
    void resendsTheCallsAClosingServerNeverRanToItsSuccessor() throws Exception {
        RpcServer first = server(config().toBuilder().maxInFlightPerConnection(2).build());
        InetSocketAddress address = startServer(first, 0);
        RpcClient client = client(address);
        int calls = 5;
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ByteBuffer>> results = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                String text = "call " + i;
                results.add(callers.submit(() -> client.call(BLOCK, utf8(text), Duration.ofSeconds(10))));
            }
            awaitCount(client::pendingCalls, calls);
            awaitCount(() -> first.metrics().inFlight().getCount(), 2);

            first.close();
            release.countDown();
            startServer(address.getPort());

            int ran = 0;
            int resent = 0;
            for (Future<ByteBuffer> result : results) {
                try {
                    assertThat(StandardCharsets.UTF_8.decode(result.get()).toString()).startsWith("call ");
                    resent++;
                } catch (ExecutionException lost) {
                    assertThat(lost.getCause()).isInstanceOf(RpcConnectionException.class)
                            .hasMessageContaining("going away");
                    ran++;
                }
            }
            assertThat(ran).as("calls the first server had admitted").isEqualTo(2);
            assertThat(resent).as("calls it never read, answered by its successor").isEqualTo(3);
        }
    }

    @Test
    void reconnectsToAServerRestartedOnTheSamePort() throws Exception {
        RpcServer first = server();
        InetSocketAddress address = startServer(first, 0);
        RpcClient client = client(address);
        assertThat(client.call(ECHO, utf8("one"), TIMEOUT)).isEqualTo(utf8("one"));

        first.close();
        startServer(address.getPort());

        assertThat(client.call(ECHO, utf8("two"), TIMEOUT)).isEqualTo(utf8("two"));
    }

    @Test
    void aCallWaitingForAReconnectTimesOutAndALaterOneGetsThrough() throws Exception {
        RpcServer first = server();
        InetSocketAddress address = startServer(first, 0);
        RpcClient client = client(address);
        client.call(ECHO, utf8("one"), TIMEOUT);
        first.close();

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.call(ECHO, utf8("nobody"), Duration.ofMillis(300)))
                .isInstanceOf(RpcTimeoutException.class)
                .hasMessageContaining(address.toString())
                .hasCauseInstanceOf(ConnectException.class);
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThanOrEqualTo(400);
        assertThat(client.metrics().connectionFailures().getCount()).isGreaterThanOrEqualTo(2);

        startServer(address.getPort());
        assertThat(client.call(ECHO, utf8("back"), TIMEOUT)).isEqualTo(utf8("back"));
    }

    @Test
    void closingTheClientFailsItsPendingCalls() throws Exception {
        RpcClient client = client(startServer(0));
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Object> pending = callers.submit(() -> client.call(BLOCK, utf8("wait"), Duration.ofSeconds(30)));
            blockedEntered.await();

            client.close();

            assertThatThrownBy(pending::get).cause().isInstanceOf(RpcConnectionException.class)
                    .hasMessageContaining("client was closed");
        }
        assertThatThrownBy(() -> client.call(ECHO, utf8("late"), TIMEOUT))
                .isInstanceOf(RpcConnectionException.class).hasMessageContaining("closed");
    }

    @Test
    void anInterruptedCallerGivesUpWithoutHarmingTheConnection() throws Exception {
        RpcServer server = server();
        RpcClient client = client(startServer(server, 0));
        client.call(ECHO, utf8("connect"), TIMEOUT);
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                client.call(BLOCK, utf8("wait"), TIMEOUT);
            } catch (Exception e) {
                outcome.set(e);
            }
        });
        blockedEntered.await();
        // Interrupt the caller while it waits for the answer. (An interrupt that lands during the caller's own
        // few-microsecond socket write still closes the connection: see FrameWriter.)
        while (caller.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }

        caller.interrupt();
        caller.join();

        assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
        assertThat(client.pendingCalls()).isZero();
        assertThat(client.call(ECHO, utf8("same connection"), TIMEOUT)).isEqualTo(utf8("same connection"));
        assertThat(server.metrics().connectionsAccepted().getCount()).isEqualTo(1);
    }

    @Test
    void aResponseLargerThanTheMaximumBecomesARemoteError() throws Exception {
        RpcServer server = server();
        server.register(100, request -> ByteBuffer.allocate(MAX + 1));
        RpcClient client = client(startServer(server, 0));

        assertThatThrownBy(() -> client.call(100, utf8(""), TIMEOUT))
                .isInstanceOfSatisfying(RpcRemoteException.class,
                        e -> assertThat(e.status()).isEqualTo(RpcStatus.RESPONSE_TOO_LARGE));
        assertThat(client.call(ECHO, utf8("fine"), TIMEOUT)).isEqualTo(utf8("fine"));
    }

    @Test
    void anErrorMessageLongerThanTheMaximumPayloadIsCutToFit() throws Exception {
        RpcConfig small = config().toBuilder().maxPayloadBytes(64).build();
        RpcServer server = new RpcServer(small);
        server.register(FAIL, request -> {
            throw new IllegalStateException("\u00e9".repeat(500));
        });
        closeables.add(server);
        RpcClient client = new RpcClient(server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                small);
        closeables.add(client);

        assertThatThrownBy(() -> client.call(FAIL, utf8(""), TIMEOUT))
                .isInstanceOfSatisfying(RpcRemoteException.class, e -> {
                    assertThat(e.status()).isEqualTo(RpcStatus.HANDLER_FAILED);
                    assertThat(e.remoteMessage()).startsWith("java.lang.IllegalStateException: \u00e9");
                    assertThat(e.remoteMessage().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(64);
                });
    }

    @Test
    void pingsTheServer() throws Exception {
        RpcClient client = client(startServer(0));
        assertThat(client.ping(TIMEOUT)).isPositive();
    }

    @Test
    void runsEveryRequestOnItsOwnThreadFromTheGivenExecutor() throws Exception {
        ThreadLocal<String> context = new ThreadLocal<>();
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        RpcServer server = new RpcServer(config(), task -> Thread.ofVirtual().start(() -> {
            context.set("inside");
            task.run();
        }));
        server.register(THREAD, request -> {
            threads.add(Thread.currentThread());
            Thread.sleep(20);
            return utf8(context.get() + (Thread.currentThread().isVirtual() ? "-virtual" : "-platform"));
        });
        RpcClient client = client(startServer(server, 0));
        int calls = 16;
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ByteBuffer>> results = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                results.add(callers.submit(() -> client.call(THREAD, utf8(""), TIMEOUT)));
            }
            for (Future<ByteBuffer> result : results) {
                assertThat(result.get()).isEqualTo(utf8("inside-virtual"));
            }
        }
        assertThat(threads).hasSize(calls);
    }

    @Test
    void runsRequestsInsideAThreadContext() throws Exception {
        io.keel.runtime.context.ThreadContext worker = io.keel.runtime.context.ThreadContext.eventLoop("rpc-worker");
        closeables.add(worker);
        RpcServer server = new RpcServer(config(), worker.virtualThreadExecutor("rpc-"));
        server.register(THREAD, request -> {
            boolean inWorker = io.keel.runtime.context.ThreadContext.current() == worker;
            Thread.sleep(1); // parks, and must resume in the same context
            boolean stillInWorker = io.keel.runtime.context.ThreadContext.current() == worker;
            return utf8(inWorker + "/" + stillInWorker);
        });
        RpcClient client = client(startServer(server, 0));
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ByteBuffer>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(callers.submit(() -> client.call(THREAD, utf8(""), TIMEOUT)));
            }
            for (Future<ByteBuffer> result : results) {
                assertThat(result.get()).isEqualTo(utf8("true/true"));
            }
        }
    }

    static ByteBuffer utf8(final String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    static void awaitCount(final java.util.function.LongSupplier count, final long expected)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (count.getAsLong() != expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(count.getAsLong()).isEqualTo(expected);
    }

    private static ByteBuffer randomPayload(final int size, final boolean direct) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        return direct ? ByteBuffer.allocateDirect(size).put(bytes).flip() : ByteBuffer.wrap(bytes);
    }

    private static RpcConfig config() {
        return RpcConfig.builder().maxPayloadBytes(MAX)
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200)).build();
    }

    private RpcServer server() {
        return server(config());
    }

    private RpcServer server(final RpcConfig serverConfig) {
        RpcServer server = new RpcServer(serverConfig);
        server.register(ECHO, request -> request);
        server.register(SLOW, request -> {
            String text = StandardCharsets.UTF_8.decode(request.duplicate()).toString();
            long millis = text.startsWith("sleep:") ? Long.parseLong(text.substring(6))
                    : ThreadLocalRandom.current().nextInt(3);
            Thread.sleep(millis);
            return request;
        });
        server.register(FAIL, request -> {
            throw new IllegalStateException("handler says " + StandardCharsets.UTF_8.decode(request));
        });
        server.register(REFUSE, request -> {
            throw new RpcStatusException(417, "refused: " + StandardCharsets.UTF_8.decode(request));
        });
        server.register(BLOCK, request -> {
            blockedEntered.countDown();
            release.await();
            return request;
        });
        return server;
    }

    private InetSocketAddress startServer(final int port) throws Exception {
        return startServer(server(), port);
    }

    private InetSocketAddress startServer(final RpcServer server, final int port) throws Exception {
        closeables.add(server);
        return server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    private RpcClient client(final InetSocketAddress address) {
        RpcClient client = new RpcClient(address, config());
        closeables.add(client);
        return client;
    }
}
