package io.keel.access.iscsi.session;

import io.keel.access.scsi.TaskAttribute;
import io.keel.access.scsi.TransferBuffers;
import io.keel.access.scsi.WriteAdmission;
import java.nio.ByteBuffer;
import java.time.Duration;
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

        /** Whether {@code length} bytes at {@code offset} are the next ones this burst asked for, within it. */
        boolean next(final int offset, final int length) {
            return offset == this.offset + received && (long) received + length <= this.length;
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
    /** When its data was all in (the clock's nanoTime; 0 until then). */
    volatile long dataInNanos;
    /** Waiting for its session's read allowance, which only its own session's reads hold. */
    volatile boolean awaitingAllowance;
    /** The logical unit the LUN addressed when the command arrived (ScsiTarget.unitToken); set once, then read. */
    Object unitToken;
    volatile boolean aborted;
    volatile boolean executed;
    /** Its status is being sent: task management can no longer abort it, only wait for it (TaskSet's lock). */
    boolean responding;
    /**
     * Keeps {@code granted} for the task's command, unless the task already ended: then it is
     * released at once. Returns whether it was kept.
     */
    synchronized boolean holdAdmission(final WriteAdmission granted) {
        if (finished.isDone()) {
            granted.release();
            return false;
        }
        admission = granted;
        return true;
    }

    /** The admission the task's command carries, or null. */
    synchronized WriteAdmission admission() {
        return admission;
    }

    /** Releases the admission when the task ends (a command that ran spent it: then nothing happens). */
    void releaseAdmission() {
        WriteAdmission held = admission();
        if (held != null) {
            held.release();
        }
    }

    /**
     * This task as an {@link OpenCommand} of {@code initiator} to {@code target}, aged from when its
     * data was in (its arrival if that is unknown), at {@code nowNanos}.
     */
    OpenCommand asOpen(final String initiator, final String target, final String stage, final long nowNanos) {
        long since = dataInNanos != 0 ? dataInNanos : arrivalNanos;
        return new OpenCommand(initiator, target, lun, cdb.length == 0 ? -1 : cdb[0] & 0xff, stage,
                Duration.ofNanos(Math.max(0, nowNanos - since)));
    }

    /** Whether the task's solicited data is reserved in the portal's write budget. */
    boolean budgeted;
    /** Whether the logical unit was asked to admit the task's data (ScsiTarget.admitData) before it is solicited. */
    boolean admissionAsked;
    /** What the logical unit took ahead for the task's data; under this task's lock. */
    private WriteAdmission admission;
    /** Whether the task still holds a CmdSN window slot (guarded by the session). */
    boolean holdsSlot;
    /**
     * Write data so far, when it goes to an array: grown as data arrives so a header alone cannot
     * make the target allocate EDTL bytes.
     */
    private byte[] buffer = new byte[0];
    /**
     * Write data so far, when it goes to a lent direct buffer of the whole transfer instead: Data-Out
     * lands there from the socket, and the store writes whole blocks from it without a copy. Given
     * back when the task is finished ({@link #releaseData}), or, if the reader is receiving into it
     * just then, once that ends (guarded by this task's lock, as are the two flags).
     */
    private TransferBuffers.Lease lease;
    private boolean placing;
    private boolean lendTried;
    private boolean releasing;
    int received;
    /**
     * A Data-Out of this task failed its data digest. At ErrorRecoveryLevel 0 the data cannot be
     * asked for again, so no more R2Ts go out and the task ends in CHECK CONDITION (RFC 7143 §7.8).
     */
    volatile boolean dataLost;
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

    /**
     * Receives write data into a buffer lent from {@code buffers} when the transfer fits one and one
     * is free (else into an array). Called before any data is stored.
     */
    synchronized void lendBuffer(final TransferBuffers buffers) {
        lease = buffers.tryLend(expectedLength);
    }

    /**
     * {@link #lendBuffer} for a task none of whose data has come yet, once it is about to be asked
     * for (not while it waits for admission or write budget); nothing if it has a buffer or tried.
     */
    synchronized void lendBufferOnce(final TransferBuffers buffers) {
        if (!lendTried && !finished.isDone()) { // once finished, releaseData has run or will find it
            lendTried = true;
            if (lease == null) {
                lease = buffers.tryLend(expectedLength);
            }
        }
    }

    /** Receives write data into {@code placed}, lent for the whole transfer. Called before any data is stored. */
    void adoptBuffer(final TransferBuffers.Lease placed) {
        lease = placed;
    }

    /**
     * Stores {@code data}'s remaining bytes at {@code offset} of the write data (offset + length within the
     * EDTL, checked by the caller); nothing to copy when they were received there ({@link #placeAt}).
     */
    synchronized void store(final int offset, final ByteBuffer data, final boolean receivedInPlace) {
        if (receivedInPlace) {
            return;
        }
        int length = data.remaining();
        if (lease != null) {
            lease.buffer().put(offset, data, data.position(), length);
            return;
        }
        if (offset == 0 && buffer.length == 0 && length == expectedLength && data.hasArray()
                && data.arrayOffset() == 0 && data.position() == 0 && data.array().length == length) {
            buffer = data.array(); // the whole transfer in one PDU (typical small write with immediate data): no copy
            return;
        }
        int end = offset + length;
        if (end > buffer.length) {
            // Once the write budget holds the whole transfer, allocate it at once instead of growing by copies.
            int size = budgeted ? expectedLength
                    : (int) Math.min(expectedLength, Math.max(end, Math.min((long) buffer.length * 2, 1L << 30)));
            buffer = java.util.Arrays.copyOf(buffer, size);
        }
        data.get(data.position(), buffer, offset, length);
    }

    /**
     * Where the reader may receive the {@code length} bytes at {@code offset} straight into the lent
     * buffer (the caller checked that they are the next bytes the task expects there), or null when
     * the data goes to an array. Until {@link #placed}, the buffer is not given back.
     */
    synchronized ByteBuffer placeAt(final int offset, final int length) {
        if (lease == null || releasing) {
            return null;
        }
        placing = true;
        return lease.buffer().slice(offset, length);
    }

    /** Receiving into the buffer {@link #placeAt} gave ended; gives it back if the task finished meanwhile. */
    synchronized void placed() {
        placing = false;
        if (releasing) {
            releaseData();
        }
    }

    /** The write data received, from its start. */
    synchronized ByteBuffer writeData() {
        return lease != null ? lease.buffer().limit(received) : ByteBuffer.wrap(buffer, 0, received);
    }

    /** Gives the write data's memory back (the task is finished: nothing reads it any more). */
    synchronized void releaseData() {
        buffer = null;
        if (lease == null) {
            return;
        }
        if (placing) {
            releasing = true; // the reader is still receiving into it: placed() gives it back
            return;
        }
        lease.release();
        lease = null;
    }

    /** Whether {@code length} bytes at {@code offset} are the next unsolicited ones, within FirstBurstLength. */
    boolean unsolicitedNext(final int offset, final int length) {
        return offset == received && (long) offset + length <= unsolicitedLimit;
    }

    /** Whether all write data is in. */
    boolean dataComplete() {
        return !write || received >= expectedLength;
    }

    /**
     * Whether no more data is coming that the task waits for: all of it is in, or a Data-Out was
     * lost to a data digest error and the data of every R2T already sent is in. Task lock held.
     */
    boolean dataSettled() {
        return (dataLost || dataComplete()) && !unsolicitedOpen && r2ts.isEmpty();
    }

    @Override
    public String toString() {
        return String.format("task[itt=0x%08x lun=%d op=0x%02x %s len=%d]", itt, lun, cdb[0] & 0xff, attribute,
                expectedLength);
    }
}
