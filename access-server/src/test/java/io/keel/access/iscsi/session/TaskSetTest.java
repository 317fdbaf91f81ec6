package io.keel.access.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.TaskAttribute;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskSetTest {

    private static Task task(final int itt) {
        return new Task(itt, 0, new byte[16], TaskAttribute.SIMPLE, 0, false, false, 0);
    }

    /** A session ending while its reader dispatches a command: the command is refused, not left unseen. */
    @Test
    void aClosedSetAbortsWhatItHeldAndRefusesNewTasks() {
        List<Task> released = new ArrayList<>();
        TaskSet set = new TaskSet(t -> { }, released::add);
        Task held = task(1);
        assertThat(set.add(held)).isTrue();
        assertThat(set.closeAndAbortAll()).containsExactly(held);
        assertThat(held.aborted).isTrue();
        assertThat(held.finished).isDone();
        assertThat(set.add(task(2))).as("a task after the end").isFalse();
        assertThat(set.size()).isZero();
    }
}
