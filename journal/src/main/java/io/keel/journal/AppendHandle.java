package io.keel.journal;

import java.io.IOException;

/** The {@link JournalAppend} of one record: waits on (or leads) the journal's commit of it. */
final class AppendHandle implements JournalAppend {

    private final Journal journal;
    private final long sequence;
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
        if (!isDurable()) {
            journal.awaitDurableSequence(sequence);
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

    /** Called by the committing thread once the record is durable or the journal has failed. */
    void settle() {
        Runnable toRun;
        synchronized (this) {
            settled = true;
            toRun = actions;
            actions = null;
        }
        if (toRun != null) {
            journal.runAction(toRun);
        }
    }
}
