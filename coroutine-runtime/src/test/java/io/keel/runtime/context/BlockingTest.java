package io.keel.runtime.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Blocking calls leave a Keel context's thread only when other work waits for it. */
@Timeout(60)
class BlockingTest {

    @Test
    void runsInPlaceOnOtherThreadsAndOnAnIdleContext() throws Exception {
        Thread self = Thread.currentThread();
        assertThat(Blocking.call(Thread::currentThread)).isSameAs(self);
        try (ThreadContext loop = ThreadContext.eventLoop("blocking-idle")) {
            Thread[] seen = new Thread[2];
            loop.spawn("idle", () -> {
                seen[0] = Thread.currentThread();
                seen[1] = Blocking.call(Thread::currentThread);
                return null;
            }).join();
            assertThat(seen[1]).isSameAs(seen[0]);
        }
    }

    @Test
    void movesOffTheContextWhenOtherWorkWaits() throws Exception {
        assumeTrue(VirtualThreadFactory.customSchedulerAvailable(), "needs Keel virtual threads");
        try (ThreadContext loop = ThreadContext.eventLoop("blocking-busy")) {
            Thread[] seen = new Thread[2];
            loop.spawn("busy", () -> {
                loop.execute(() -> { }); // waits: the context's one thread runs us
                seen[0] = Thread.currentThread();
                seen[1] = Blocking.call(Thread::currentThread);
                return null;
            }).join();
            assertThat(seen[1]).isNotSameAs(seen[0]);
            assertThat(seen[1].isVirtual()).isTrue();

            assertThatThrownBy(() -> loop.spawn("failing", () -> {
                loop.execute(() -> { });
                return Blocking.call(() -> {
                    throw new IOException("device gone");
                });
            }).join()).hasRootCauseInstanceOf(IOException.class).hasRootCauseMessage("device gone");
        }
    }
}
