package io.keel.meta.log;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * The deterministic state that the replicated metadata log drives: every meta server applies the
 * same entries in the same order and so holds the same state.
 *
 * <p>Indexes start at 1 and have no gaps. The state persists its applied index atomically with
 * the changes an apply makes, so that after a crash the log resumes exactly after the last
 * applied entry and no entry is applied twice.
 */
public interface LogStateMachine {

    /** The index of the last applied entry, 0 when nothing has been applied. */
    long appliedIndex();

    /**
     * Applies {@code entries}, whose first has index {@code firstIndex}, in order and atomically
     * with the new applied index. The caller never passes an entry at or below
     * {@link #appliedIndex()} and never leaves a gap.
     */
    void apply(long firstIndex, List<byte[]> entries);

    /**
     * Writes a consistent snapshot of the whole state and returns the applied index it
     * reflects. Applies may run concurrently; the snapshot must not see half of one.
     */
    long writeSnapshot(OutputStream out) throws IOException;

    /** Replaces the whole state with a snapshot written by {@link #writeSnapshot} at {@code index}. */
    void restoreSnapshot(long index, InputStream in) throws IOException;
}
