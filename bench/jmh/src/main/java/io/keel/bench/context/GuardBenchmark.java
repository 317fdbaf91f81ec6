package io.keel.bench.context;

import io.keel.runtime.context.ThreadContext;
import io.keel.runtime.context.ThreadContextGuard;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of moving a virtual thread between two contexts and back (guard enter + exit), from a
 * benchmark thread that is itself a Keel virtual thread on "bench-home". {@code targetSpin}
 * selects an active target (it spins 50 µs after work, the default) or an idle one (it parks at
 * once, so every enter wakes a parked platform thread). Baselines in the same run: handing a task
 * to a platform thread and waiting for it, and spawning and joining virtual threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
    "-Djmh.executor=CUSTOM", "-Djmh.executor.class=io.keel.bench.context.ContextExecutorService"})
public class GuardBenchmark {

    @Param({"50000", "0"})
    private long targetSpinNanos;

    private ThreadContext target;
    private ExecutorService platformThread;

    @Setup(Level.Trial)
    public void start() {
        target = ThreadContext.builder("bench-target").spin(Duration.ofNanos(targetSpinNanos)).build();
        platformThread = Executors.newSingleThreadExecutor();
    }

    @TearDown(Level.Trial)
    public void stop() {
        target.close();
        platformThread.shutdownNow();
    }

    /** Enter the target context and come back. */
    @Benchmark
    public ThreadContext guardRoundTrip() {
        try (var guard = ThreadContextGuard.enter(target)) {
            return ThreadContext.current();
        }
    }

    /** Baseline: give a no-op to a platform thread and wait for it (a naive hand-off). */
    @Benchmark
    public Object platformHandoffRoundTrip() throws InterruptedException, ExecutionException {
        return platformThread.submit(() -> Boolean.TRUE).get();
    }

    /** Spawn a virtual thread in the target context and join it. */
    @Benchmark
    public Object spawnJoinInTarget() throws Exception {
        return target.spawn("bench", () -> Boolean.TRUE).join();
    }

    /** Spawn a virtual thread in the benchmark thread's own context and join it. */
    @Benchmark
    public Object spawnJoinInHome() throws Exception {
        return ContextExecutorService.HOME.spawn("bench", () -> Boolean.TRUE).join();
    }

    /** Baseline: a virtual thread on the JDK's default scheduler, started and joined. */
    @Benchmark
    public Thread spawnJoinJdkVirtualThread() throws InterruptedException {
        Thread thread = Thread.ofVirtual().start(() -> { });
        thread.join();
        return thread;
    }
}
