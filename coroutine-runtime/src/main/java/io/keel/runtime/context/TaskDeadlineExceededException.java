package io.keel.runtime.context;

import java.io.Serial;
import java.util.concurrent.CancellationException;

/** A task was cancelled because its deadline passed before it finished. */
public final class TaskDeadlineExceededException extends CancellationException {

    @Serial
    private static final long serialVersionUID = 1L;

    TaskDeadlineExceededException(final String taskName) {
        super("task " + taskName + " exceeded its deadline");
    }
}
