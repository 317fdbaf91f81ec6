package io.keel.access.iscsi.session;

import io.keel.access.scsi.TaskAttribute;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One SCSI task of a session: its command, the write data being gathered (immediate, unsolicited
 * and R2T-solicited), its place in the task set and whether task management aborted it.
 */
public final class Task {

    /** Where the task is. */
    public enum State { DATA, WAITING, RUNNING, DONE }

    /** One outstanding R2T: the burst it asked for and how much of it arrived. */
    static final class R2tState {
        final int ttt;
        final int r2tsn;
        final int offset;
        final int length;
        int received;
        int nextDataSn;

        R2tState(final int ttt, final int r2tsn, final int offset, final int length) {
            this.ttt = ttt;
            this.r2tsn = r2tsn;
            this.offset = offset;
            this.length = length;
        }
    }

    final int itt;
    final long lunField;
    final int lun;
    final byte[] cdb;
    final TaskAttribute attribute;
    final int expectedLength;
    final boolean read;
    final boolean write;
    final long arrivalNanos;
    final CompletableFuture<Void> finished = new CompletableFuture<>();

    State state = State.DATA;
    volatile boolean aborted;
    volatile boolean executed;
    /** Its status is being sent: task management can no longer abort it, only wait for it (TaskSet's lock). */
    boolean responding;
    /** Whether the task's solicited data is reserved in the portal's write budget. */
    boolean budgeted;
    /** Whether the task still holds a CmdSN window slot (guarded by the session). */
    boolean holdsSlot;
    /** Write data so far; grown as data arrives so a header alone cannot make the target allocate EDTL bytes. */
    byte[] buffer = new byte[0];
    int received;
    int unsolicitedLimit;
    boolean unsolicitedOpen;
    int unsolicitedDataSn;
    int nextR2tOffset;
    int nextR2tSn;
    int dataInPdus;
    final Map<Integer, R2tState> r2ts = new HashMap<>();

    Task(final int itt, final long lunField, final byte[] cdb, final TaskAttribute attribute,
            final int expectedLength, final boolean read, final boolean write, final long arrivalNanos) {
        this.itt = itt;
        this.lunField = lunField;
        this.lun = Lun.decode(lunField);
        this.cdb = cdb;
        this.attribute = attribute;
        this.expectedLength = expectedLength;
        this.read = read;
        this.write = write;
        this.arrivalNanos = arrivalNanos;
    }

    /** The initiator task tag. */
    public int itt() {
        return itt;
    }

    /** The decoded LUN. */
    public int lun() {
        return lun;
    }

    /** Copies {@code data} to {@code offset} of the write buffer (offset + length within the EDTL, checked by the
     * caller), growing the buffer geometrically up to the EDTL. */
    void store(final int offset, final byte[] data) {
        int end = offset + data.length;
        if (offset == 0 && buffer.length == 0 && data.length == expectedLength) {
            buffer = data; // the whole transfer in one PDU (typical small write with immediate data): no copy
            return;
        }
        if (end > buffer.length) {
            // Once the write budget holds the whole transfer, allocate it at once instead of growing by copies.
            int size = budgeted ? expectedLength
                    : (int) Math.min(expectedLength, Math.max(end, Math.min((long) buffer.length * 2, 1L << 30)));
            buffer = java.util.Arrays.copyOf(buffer, size);
        }
        System.arraycopy(data, 0, buffer, offset, data.length);
    }

    /** Whether all write data is in. */
    boolean dataComplete() {
        return !write || received >= expectedLength;
    }

    @Override
    public String toString() {
        return String.format("task[itt=0x%08x lun=%d op=0x%02x %s len=%d]", itt, lun, cdb[0] & 0xff, attribute,
                expectedLength);
    }
}
