package io.keel.runtime.queue;

import java.io.Serial;

/** A producer tried to add work to a {@link BoundedWorkQueue} that was closed. */
public final class QueueClosedException extends IllegalStateException {

    @Serial
    private static final long serialVersionUID = 1L;

    QueueClosedException(final String queueName) {
        super("work queue " + queueName + " is closed");
    }
}
