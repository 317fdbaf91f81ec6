package io.keel.iopattern;

import java.util.List;

/**
 * Writes released together by {@link WriteCoalescer}: their handles in offset order, contiguous, covering
 * {@code [offset, offset + length)} exactly. The batch is one request to the store; every handle is acknowledged
 * only when that request is durable.
 *
 * @param streamKey  the key the writes were offered under
 * @param offset     first byte
 * @param length     bytes covered
 * @param handles    the caller's handles, one per write, in offset order
 * @param sequential whether the writes were offered as sequential (a batch of non-sequential writes has one)
 */
public record WriteBatch<T>(long streamKey, long offset, long length, List<T> handles, boolean sequential) {

    /** Validates the batch and copies its handles. */
    public WriteBatch {
        Args.rangeEnd(offset, length);
        handles = List.copyOf(handles);
        if (handles.isEmpty()) {
            throw new IllegalArgumentException("a batch has at least one handle");
        }
    }

    /** Exclusive end of the covered range. */
    public long end() {
        return offset + length;
    }
}
