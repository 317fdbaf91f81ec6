package io.keel.runtime.context;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: without the JDK's custom-scheduler API (this class runs in its own JVM without
 * {@code --add-opens java.base/java.lang}), the runtime selects its fallback and the same code
 * keeps its guarantees: blocks run in the named context, one at a time on an event loop.
 */
@Tag("fallback")
@Timeout(60)
class FallbackSchedulerTest {

    @BeforeAll
    static void runsWithoutTheHiddenApi() {
        assertThat(VirtualThreadFactory.customSchedulerAvailable()).isFalse();
    }

    @Test
    void spawnedTasksRunInTheirContext() throws Exception {
        try (ThreadContext loop = ThreadContext.eventLoop("fallback-loop")) {
            assertThat(loop.spawn("probe", ThreadContext::current).join()).isSameAs(loop);
            assertThat(loop.call(ThreadContext::current)).isSameAs(loop);
        }
    }

    @Test
    void nestedGuardsReportTheRightContextAndUnwind() throws Exception {
        try (ThreadContext home = ThreadContext.eventLoop("fb-home");
                ThreadContext a = ThreadContext.eventLoop("fb-a");
                ThreadContext b = ThreadContext.pool("fb-b", 2)) {
            List<ThreadContext> steps = home.spawn("nester", () -> {
                List<ThreadContext> seen = new ArrayList<>();
                try (var ga = ThreadContextGuard.enter(a)) {
                    seen.add(ThreadContext.current());
                    try (var gb = ThreadContextGuard.enter(b)) {
                        seen.add(ThreadContext.current());
                    }
                    seen.add(ThreadContext.current());
                }
                seen.add(ThreadContext.current());
                return seen;
            }).join();
            assertThat(steps).containsExactly(a, b, a, home);
        }
    }

    @Test
    void guardedBlocksOnAnEventLoopAreSerialised() throws Exception {
        try (ThreadContext loop = ThreadContext.eventLoop("fb-single");
                ThreadContext callers = ThreadContext.pool("fb-callers", 4)) {
            int[] unsynchronisedCounter = {0};
            List<Task<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < 20; t++) {
                tasks.add(callers.spawn("inc-" + t, () -> {
                    for (int i = 0; i < 50; i++) {
                        try (var guard = ThreadContextGuard.enter(loop)) {
                            int read = unsynchronisedCounter[0];
                            Thread.yield();
                            unsynchronisedCounter[0] = read + 1;
                        }
                    }
                    return null;
                }));
            }
            for (Task<Void> task : tasks) {
                task.join();
            }
            assertThat(loop.call(() -> unsynchronisedCounter[0])).isEqualTo(20 * 50);
        }
    }
}
