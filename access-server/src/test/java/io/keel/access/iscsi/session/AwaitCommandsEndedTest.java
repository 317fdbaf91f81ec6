package io.keel.access.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.TaskAttribute;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** PREEMPT AND ABORT's wait for aborted commands, which has no time limit. */
class AwaitCommandsEndedTest {

    private static Task write() {
        return new Task(1, 0, new byte[16], TaskAttribute.SIMPLE, 512, false, true, 0);
    }

    @Test
    void waitingOnAHungCommandHoldsNoMoreThanOneDependentOnItAndEndsWhenItHasRun() throws Exception {
        Task hung = write();
        Task quick = write();
        AtomicBoolean ended = new AtomicBoolean();
        Thread waiter = Thread.ofVirtual().start(() -> ended.set(Session.awaitCommandsEnded(List.of(hung, quick))));
        quick.finished.complete(null);
        Thread.sleep(300); // some 60 polls of 5 ms
        assertThat(waiter.isAlive()).isTrue();
        assertThat(hung.finished.getNumberOfDependents()).as("one wait, not one per poll").isLessThanOrEqualTo(2);
        hung.executed = true;
        waiter.join(10_000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(ended).isTrue();
    }
}
