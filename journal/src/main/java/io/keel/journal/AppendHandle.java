package io.keel.journal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/** The {@link JournalAppend} of one record: waits on the journal's durable sequence. */
final class AppendHandle implements JournalAppend {

    /**
     * Spins before parking. Short: a flush takes tens of microseconds, and on a machine with few
     * cores a spinning waiter takes the CPU the committer and the workers need.
     */
    private static final int AWAIT_SPINS = 100;

    private final Journal journal;
    private final long sequence;
    private static final VarHandle WAITER;

    static {
        try {
            WAITER = MethodHandles.lookup().findVarHandle(AppendHandle.class, "waiter", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile Thread waiter;
    private Runnable actions;
    private boolean settled;

    AppendHandle(final Journal journal, final long sequence) {
        this.journal = journal;
        this.sequence = sequence;
    }

    @Override
    public long sequence() {
        return sequence;
    }

    @Override
    public boolean isDurable() {
        return journal.durableSequence() >= sequence;
    }

    @Override
    public void awaitDurable() throws IOException {
        for (int i = 0; i < AWAIT_SPINS; i++) {
            if (isDurable()) {
                return;
            }
            journal.throwIfFailed();
            Thread.onSpinWait();
        }
        Thread self = Thread.currentThread();
        boolean first = WAITER.compareAndSet(this, null, self);
        if (!first) {
            // Someone else already waits in the one slot (a request and a checkpoint can wait for
            // the same record): be woken by an action instead.
            whenDurable(() -> LockSupport.unpark(self));
        }
        try {
            while (!isDurable()) {
                journal.throwIfFailed();
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for journal sequence " + sequence);
                }
            }
        } finally {
            if (first) {
                waiter = null;
            }
        }
    }

    @Override
    public void whenDurable(final Runnable action) {
        synchronized (this) {
            if (!settled) {
                Runnable earlier = actions;
                actions = earlier == null ? action : () -> {
                    earlier.run();
                    action.run();
                };
                return;
            }
        }
        action.run();
    }

    /** Called by the committer once the record is durable or the journal has failed. */
    void settle() {
        Runnable toRun;
        synchronized (this) {
            settled = true;
            toRun = actions;
            actions = null;
        }
        Thread parked = waiter;
        if (parked != null) {
            LockSupport.unpark(parked);
        }
        if (toRun != null) {
            journal.runAction(toRun);
        }
    }
}
