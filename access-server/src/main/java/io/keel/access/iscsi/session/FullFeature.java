package io.keel.access.iscsi.session;

import io.keel.access.iscsi.TargetEntry;
import io.keel.access.iscsi.login.LoginException;
import io.keel.access.iscsi.login.OperationalNegotiator;
import io.keel.access.iscsi.login.TextKeys;
import io.keel.access.iscsi.pdu.DataPlacement;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.pdu.PduException;
import io.keel.access.scsi.ItNexus;
import io.keel.access.scsi.ScsiCommand;
import io.keel.access.scsi.ScsiResult;
import io.keel.access.scsi.ScsiStatus;
import io.keel.access.scsi.TransferLength;
import io.keel.access.scsi.Sense;
import io.keel.access.scsi.TaskAttribute;
import io.keel.access.scsi.TransferBuffers;
import io.keel.access.scsi.WriteAdmission;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The full feature phase of one connection (RFC 7143 §4.2): CmdSN checks, SCSI commands with
 * their write data (immediate, unsolicited, R2T-solicited) and Data-In, NOP, Text (SendTargets),
 * task management and logout. Runs on the connection's reader thread except {@link #execute},
 * which runs on a task's virtual thread, or on the reader when the session had nothing else to do,
 * and the answers of {@link #start started} tasks, which go out from the thread that completes them.
 */
final class FullFeature implements DataPlacement {

    private static final Logger LOG = LoggerFactory.getLogger(FullFeature.class);
    private static final int RESERVED = Pdu.RESERVED_TAG;
    private static final int AHS_EXTENDED_CDB = 1;
    private static final int AHS_BIDI_READ_LENGTH = 2;
    /** SPC-4 sense data is at most 252 bytes (additional length 244 + 8). */
    private static final int MAX_SENSE = 252;
    /** ABORTED COMMAND / PROTOCOL SERVICE CRC ERROR: the iSCSI condition of a task whose data was lost (§11.4.7.2). */
    private static final Sense PROTOCOL_SERVICE_CRC_ERROR = Sense.of(Sense.ABORTED_COMMAND, 0x47, 0x05);
    /** INVALID FIELD IN CDB without a field pointer: what the transport refuses is not a field of the CDB. */
    private static final Sense INVALID_FIELD_NO_POINTER = Sense.of(Sense.ILLEGAL_REQUEST, 0x24, 0x00);

    private final Connection connection;
    private final Session session;
    private final Map<Integer, Task> r2tOwners = new ConcurrentHashMap<>();
    /** A task {@link #scsiCommand} claimed for the reader to run after this PDU; reader thread only. */
    private Task claimed;
    /** The task whose lent buffer the reader is receiving a Data-Out into (reader thread only). */
    private Task receivingInto;
    /** A buffer a SCSI Command's immediate data was received into, and that command (reader threads only). */
    private TransferBuffers.Lease immediateLease;
    private Pdu immediateLeaseFor;
    private volatile boolean loggingOut;
    private byte[] textRemainder;
    private int textTtt = RESERVED;
    private final ByteArrayOutputStream textRequest = new ByteArrayOutputStream();

    FullFeature(final Connection connection, final Session session) {
        this.connection = connection;
        this.session = session;
    }

    void dispatch(final Pdu pdu) throws PduException {
        try {
            dispatchReceived(pdu);
        } finally {
            notATask(pdu); // dropped, refused or rejected before it became a task
        }
    }

    /**
     * {@code pdu} does not become a task (its handling ended, or reading it failed, say on a data
     * digest error): gives back the buffer its immediate data was received into, if any.
     */
    void notATask(final Pdu pdu) {
        if (pdu != null && immediateLeaseFor == pdu) {
            dropImmediateLease();
        }
    }

    private void dispatchReceived(final Pdu pdu) throws PduException {
        int op = pdu.opcode();
        if (!Opcode.isInitiatorOpcode(op)) {
            throw PduException.reject(Opcode.REJECT_NOT_SUPPORTED, pdu, "unknown opcode " + Opcode.name(op));
        }
        if (session.discovery() && op != Opcode.TEXT_REQUEST && op != Opcode.LOGOUT_REQUEST) {
            throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu,
                    Opcode.name(op) + " in a discovery session");
        }
        switch (op) {
            case Opcode.LOGIN_REQUEST -> throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu,
                    "login request in full feature phase");
            case Opcode.SNACK_REQUEST -> throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu,
                    "SNACK at ErrorRecoveryLevel 0");
            case Opcode.DATA_OUT -> dataOut(pdu);
            default -> numbered(pdu);
        }
    }

    private void numbered(final Pdu pdu) throws PduException {
        int cmdSn = pdu.int32(24);
        boolean numbered = !pdu.immediate();
        if (numbered && !session.acceptCmdSn(cmdSn)) {
            LOG.debug("dropping {} with CmdSN {} outside the window [{}, {}]", pdu, cmdSn, session.expCmdSn(),
                    session.maxCmdSn());
            return;
        }
        Task task = null;
        try {
            if (loggingOut && pdu.opcode() != Opcode.NOP_OUT) {
                throw PduException.reject(Opcode.REJECT_WAITING_FOR_LOGOUT, pdu, "request after logout");
            }
            switch (pdu.opcode()) {
                case Opcode.NOP_OUT -> nopOut(pdu);
                case Opcode.SCSI_COMMAND -> task = scsiCommand(pdu, numbered);
                case Opcode.TASK_MGMT_REQUEST -> taskManagement(pdu);
                case Opcode.TEXT_REQUEST -> text(pdu);
                case Opcode.LOGOUT_REQUEST -> logout(pdu);
                default -> throw PduException.reject(Opcode.REJECT_NOT_SUPPORTED, pdu, "unexpected opcode");
            }
        } finally {
            if (numbered && task == null) {
                session.releaseSlot();
            }
        }
    }

    private void nopOut(final Pdu pdu) throws PduException {
        int itt = pdu.itt();
        int ttt = pdu.int32(20);
        if (itt == RESERVED) {
            if (ttt != RESERVED) {
                connection.pingAnswered(ttt);
            }
            return;
        }
        if (ttt != RESERVED) {
            throw PduException.reject(Opcode.REJECT_INVALID_FIELD, pdu, "NOP-Out with both ITT and TTT");
        }
        byte[] echo = pdu.data();
        if (echo.length > connection.params.sendDataSegmentLength) {
            echo = Arrays.copyOf(echo, connection.params.sendDataSegmentLength);
        }
        connection.send(Pdu.of(Opcode.NOP_IN).lun(pdu.lun()).itt(itt).putInt32(20, RESERVED).data(echo), true);
    }

    // ---- SCSI commands -------------------------------------------------------------------------

    /** Handles a SCSI Command PDU; returns the task it became (holding the window slot), or null. */
    private Task scsiCommand(final Pdu pdu, final boolean numbered) throws PduException {
        TransferBuffers.Lease placed = takeImmediateLease(pdu);
        try {
            Task task = newTask(pdu, numbered, placed);
            if (task != null && task.write) {
                placed = null; // the task's now
            }
            return task;
        } finally {
            if (placed != null) {
                placed.release();
            }
        }
    }

    /**
     * Builds the task of a SCSI Command PDU, its write data in {@code placed} when its immediate data
     * was received there (see {@link #immediateDestination}); returns the task (holding the window slot)
     * or null.
     */
    private Task newTask(final Pdu pdu, final boolean numbered, final TransferBuffers.Lease placed)
            throws PduException {
        int flags = pdu.flags();
        boolean finalBit = (flags & 0x80) != 0;
        boolean read = (flags & 0x40) != 0;
        boolean write = (flags & 0x20) != 0;
        int itt = pdu.itt();
        int expected = pdu.int32(20);
        if (itt == RESERVED) {
            throw PduException.reject(Opcode.REJECT_INVALID_FIELD, pdu, "SCSI command with the reserved ITT");
        }
        byte[] cdb = cdb(pdu);
        int immediate = pdu.dataLength();
        if (immediate > 0 && !write) {
            throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu, "data with a command that is not a write");
        }
        if (expected < 0) {
            throw PduException.reject(Opcode.REJECT_INVALID_FIELD, pdu, "negative expected transfer length");
        }
        if (immediate > 0 && (!connection.params.immediateData
                || immediate > Math.min(connection.params.firstBurstLength, expected))) {
            throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu, "immediate data not allowed or too long");
        }
        if (pdu.immediate() && session.tasks().size() >= connection.context.config().queueDepth()) {
            throw PduException.reject(Opcode.REJECT_IMMEDIATE, pdu, "immediate command with the task set full");
        }
        Task task = new Task(itt, pdu.lun(), cdb, TaskAttribute.fromCode(flags & 0x07), expected, read,
                write && expected > 0, connection.context.clock().nanoTime());
        task.unitToken = session.target().scsi().unitToken(task.lun);
        if (session.tasks().inUse(itt)) {
            throw PduException.reject(Opcode.REJECT_TASK_IN_PROGRESS, pdu, "ITT already in use");
        }
        if (read && write) {
            respondNow(task, INVALID_FIELD_NO_POINTER, "bidirectional commands are not supported");
            return null;
        }
        if (expected > connection.context.config().maxTransferLength()) {
            respondNow(task, INVALID_FIELD_NO_POINTER, "transfer length above the portal's limit");
            return null;
        }
        task.holdsSlot = numbered;
        if (!session.tasks().add(task)) {
            return null; // the session ended meanwhile (its tasks are aborted): the command is dropped
        }
        connection.context.metrics().commandsInFlight.inc();
        task.finished.whenComplete((v, e) -> {
            task.releaseData();
            connection.context.metrics().commandsInFlight.dec();
        });
        if (task.write) {
            task.unsolicitedLimit = Math.min(expected, connection.params.firstBurstLength);
            task.unsolicitedOpen = !finalBit && !connection.params.initialR2T && immediate < task.unsolicitedLimit;
            if (placed != null) {
                task.adoptBuffer(placed);
            } else if (immediate > 0 && immediate < expected || task.unsolicitedOpen) {
                // Data-Out follows: received straight into a lent buffer, which the store writes from.
                // (Data that comes only when asked for gets its buffer when it is asked for: solicit.)
                task.lendBuffer(TransferBuffers.shared());
            }
            task.store(0, pdu.dataBuffer(), pdu.dataPlaced());
            task.received = immediate;
            connection.context.metrics().writeBytes.mark(immediate);
            task.nextR2tOffset = task.received;
            if (!task.unsolicitedOpen) {
                solicit(task);
            }
        }
        if (task.dataComplete()) {
            task.dataInNanos = task.arrivalNanos;
            // The input check (a system call when the read buffer is empty) only for a task that is alone.
            if (session.tasks().claimIfAlone(task, connection::nothingMoreToRead)) {
                claimed = task;
            } else {
                session.tasks().ready(task);
            }
        }
        return task;
    }

    /**
     * The task the last PDU made ready while the session had nothing else in flight and no further PDU
     * had arrived: the reader runs it on its own thread (handing reading on), which saves the wait
     * for a task thread to wake up, most of the target's own latency at queue depth 1. Null otherwise;
     * then tasks run on virtual threads, which cost less CPU each when many are in flight.
     */
    Task takeClaimed() {
        Task task = claimed;
        claimed = null;
        return task;
    }

    /** The CDB: 16 bytes from the header, more from an extended CDB AHS. */
    private static byte[] cdb(final Pdu pdu) throws PduException {
        byte[] cdb = pdu.bhsRange(32, 48);
        byte[] ahs = pdu.ahs();
        int at = 0;
        while (at + 4 <= ahs.length) {
            int length = (ahs[at] & 0xff) << 8 | ahs[at + 1] & 0xff;
            int type = ahs[at + 2] & 0x3f;
            if (length == 0 || at + 3 + length > ahs.length) {
                throw PduException.reject(Opcode.REJECT_INVALID_FIELD, pdu, "malformed AHS");
            }
            if (type == AHS_EXTENDED_CDB) {
                byte[] longer = Arrays.copyOf(cdb, 16 + length - 1);
                System.arraycopy(ahs, at + 4, longer, 16, length - 1);
                cdb = longer;
            } else if (type != AHS_BIDI_READ_LENGTH) {
                throw PduException.reject(Opcode.REJECT_INVALID_FIELD, pdu, "unknown AHS type " + type);
            }
            at += (3 + length + 3) & ~3;
        }
        return cdb;
    }

    private void respondNow(final Task task, final Sense sense, final String why) {
        connection.context.refusals().info("refusing " + task + " from " + connection.who() + ": " + why);
        sendStatus(task, session.target().scsi().checkCondition(task.lun, sense), 0, 0, 0);
    }

    /**
     * Sends R2Ts until MaxOutstandingR2T are out or the whole transfer is asked for, once the
     * logical unit admitted the data (a throttled volume's write waits here, holding no data) and
     * the portal's write budget holds it (until then the task waits for each in turn).
     */
    private void solicit(final Task task) {
        if (task.aborted || task.dataLost) {
            return;
        }
        if (!task.admissionAsked && task.nextR2tOffset < task.expectedLength) {
            task.admissionAsked = true;
            WriteAdmission admission = session.target().scsi().admitData(task.lun, task.cdb, task.expectedLength,
                    () -> solicit(task));
            // Nothing to hold or give back when no limit took anything (the usual case: no per-write cost).
            if (admission != WriteAdmission.NONE) {
                if (!task.holdAdmission(admission)) {
                    return; // the task ended meanwhile: the admission went straight back
                }
                task.finished.whenComplete((done, failure) -> task.releaseAdmission());
                if (admission.waits()) {
                    LOG.debug("{} from {} waits for its volume's QoS limit before its data is asked for", task,
                            connection.who());
                    return;
                }
            }
        }
        if (!task.budgeted && !reserveBudget(task)) {
            return;
        }
        if (task.received == 0) {
            task.lendBufferOnce(TransferBuffers.shared());
        }
        List<Pdu> r2ts = new ArrayList<>();
        synchronized (task) {
            while (!task.aborted && task.r2ts.size() < connection.params.maxOutstandingR2T
                    && task.nextR2tOffset < task.expectedLength) {
                int length = Math.min(connection.params.maxBurstLength, task.expectedLength - task.nextR2tOffset);
                int ttt = connection.nextTtt();
                Task.R2tState r2t = new Task.R2tState(ttt, task.nextR2tSn++, task.nextR2tOffset, length);
                task.r2ts.put(ttt, r2t);
                r2tOwners.put(ttt, task);
                task.nextR2tOffset += length;
                r2ts.add(Pdu.of(Opcode.R2T).lun(task.lunField).itt(task.itt).putInt32(20, ttt)
                        .putInt32(36, r2t.r2tsn).putInt32(40, r2t.offset).putInt32(44, length));
            }
        }
        if (!r2ts.isEmpty()) {
            connection.send(r2ts, p -> false);
        }
    }

    private boolean reserveBudget(final Task task) {
        long bytes = task.expectedLength;
        WriteBudget budget = connection.context.writeBudget();
        if (!budget.tryReserve(bytes, () -> solicit(task))) {
            LOG.debug("{} from {} waits for write buffer space", task, connection.who());
            return false;
        }
        task.budgeted = true;
        task.finished.whenComplete((done, failure) -> budget.release(bytes));
        return true;
    }

    /**
     * A Data-Out's data goes straight into its task's lent buffer when it is the next range that
     * task expects (in its unsolicited burst or its R2T); a WRITE's immediate data into a buffer
     * lent for the task it becomes ({@link #immediateDestination}). Anything else is read into an
     * array and judged by {@link #dataOut} or {@link #scsiCommand} as before.
     */
    @Override
    public ByteBuffer destination(final Pdu header) {
        if (header.opcode() == Opcode.SCSI_COMMAND) {
            return immediateDestination(header);
        }
        if (header.opcode() != Opcode.DATA_OUT) {
            return null;
        }
        int itt = header.itt();
        int ttt = header.int32(20);
        int offset = header.int32(40);
        int length = header.declaredDataLength();
        Task task = ttt == RESERVED ? session.tasks().get(itt) : r2tOwners.get(ttt);
        if (task == null || task.itt != itt || task.aborted || offset < 0) {
            return null;
        }
        ByteBuffer destination;
        synchronized (task) {
            boolean next;
            if (ttt == RESERVED) {
                next = task.write && task.unsolicitedOpen && task.unsolicitedNext(offset, length);
            } else {
                Task.R2tState r2t = task.r2ts.get(ttt);
                next = r2t != null && r2t.next(offset, length);
            }
            destination = next ? task.placeAt(offset, length) : null;
        }
        if (destination != null) {
            receivingInto = task;
        }
        return destination;
    }

    /**
     * A WRITE's immediate data goes into a buffer lent for its whole transfer when Data-Out will
     * follow (the transfer is longer than the immediate data, at most {@link TransferBuffers#LARGEST}):
     * the task built from this PDU takes the buffer ({@link #takeImmediateLease}). A write carried
     * whole by its immediate data keeps its own array, which the store journals as it is.
     */
    private ByteBuffer immediateDestination(final Pdu header) {
        dropImmediateLease(); // one whose reading failed in a way that skipped notATask (a backstop)
        int expected = header.int32(20);
        int length = header.declaredDataLength();
        if ((header.flags() & 0x60) != 0x20 || !connection.params.immediateData || length >= expected
                || expected > TransferBuffers.LARGEST) {
            return null;
        }
        TransferBuffers.Lease lease = TransferBuffers.shared().tryLend(expected);
        if (lease == null) {
            return null;
        }
        immediateLease = lease;
        immediateLeaseFor = header;
        return lease.buffer().slice(0, length);
    }

    /** The buffer {@code pdu}'s immediate data was received into, now the caller's; null if none. */
    private TransferBuffers.Lease takeImmediateLease(final Pdu pdu) {
        if (immediateLeaseFor != pdu) {
            return null;
        }
        TransferBuffers.Lease lease = immediateLease;
        immediateLease = null;
        immediateLeaseFor = null;
        return lease;
    }

    /** Gives back a buffer that immediate data was received into for a PDU that did not become a task. */
    private void dropImmediateLease() {
        TransferBuffers.Lease lease = immediateLease;
        immediateLease = null;
        immediateLeaseFor = null;
        if (lease != null) {
            lease.release();
        }
    }

    /** The connection's last reader stops: nothing received is dispatched any more. */
    void readingEnded() {
        dropImmediateLease();
    }

    @Override
    public void settled(final Pdu header) {
        Task task = receivingInto;
        receivingInto = null;
        if (task != null) {
            task.placed();
        }
    }

    /**
     * A Data-Out whose data digest failed, already rejected: it counts as received, without its
     * data, for the order of what follows; its task then asks for no more data and, once the data of
     * the R2Ts already sent is in, ends in CHECK CONDITION / PROTOCOL SERVICE CRC ERROR (RFC 7143
     * §7.8: at ErrorRecoveryLevel 0 no recovery R2T may ask for the data again).
     */
    void dataDigestFailed(final Pdu pdu) {
        try {
            dataOut(pdu, true);
        } catch (PduException e) {
            LOG.warn("Data-Out with a data digest error from {} was out of order as well: {}", connection.who(),
                    e.getMessage());
        }
    }

    private void dataOut(final Pdu pdu) throws PduException {
        dataOut(pdu, false);
    }

    private void dataOut(final Pdu pdu, final boolean lost) throws PduException {
        int itt = pdu.itt();
        int ttt = pdu.int32(20);
        int dataSn = pdu.int32(36);
        int offset = pdu.int32(40);
        int length = pdu.dataLength();
        boolean last = pdu.finalBit();
        Task task;
        if (ttt == RESERVED) {
            task = session.tasks().get(itt);
            if (task == null || task.aborted) {
                LOG.debug("dropping unsolicited Data-Out for unknown or aborted ITT 0x{}", Integer.toHexString(itt));
                return;
            }
            synchronized (task) {
                if (!task.write || !task.unsolicitedOpen) {
                    throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu, "unsolicited data not expected");
                }
                if (dataSn != task.unsolicitedDataSn || !task.unsolicitedNext(offset, length)) {
                    throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu,
                            "unsolicited Data-Out out of order or beyond FirstBurstLength");
                }
                keep(task, pdu, offset, lost);
                task.received += length;
                task.unsolicitedDataSn++;
                if (last) {
                    task.unsolicitedOpen = false;
                    task.nextR2tOffset = task.received;
                }
            }
            if (last) {
                solicit(task);
            }
        } else {
            task = r2tOwners.get(ttt);
            if (task == null || task.itt != itt) {
                throw PduException.reject(Opcode.REJECT_INVALID_FIELD, pdu, "Data-Out for an unknown TTT");
            }
            if (task.aborted) {
                r2tOwners.remove(ttt);
                return;
            }
            boolean burstDone;
            synchronized (task) {
                Task.R2tState r2t = task.r2ts.get(ttt);
                if (r2t == null) {
                    throw PduException.reject(Opcode.REJECT_INVALID_FIELD, pdu, "Data-Out for a finished R2T");
                }
                if (dataSn != r2t.nextDataSn || !r2t.next(offset, length)) {
                    throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu,
                            "Data-Out out of order or beyond the R2T");
                }
                if (last && r2t.received + length != r2t.length) {
                    throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu, "burst ended short of the R2T");
                }
                keep(task, pdu, offset, lost);
                r2t.received += length;
                r2t.nextDataSn++;
                task.received += length;
                burstDone = r2t.received == r2t.length;
                if (burstDone) {
                    task.r2ts.remove(ttt);
                    r2tOwners.remove(ttt);
                }
            }
            if (burstDone) {
                solicit(task);
            }
        }
        if (!lost) {
            connection.context.metrics().writeBytes.mark(length);
        }
        boolean ready;
        synchronized (task) {
            ready = task.dataSettled();
        }
        if (ready) {
            task.dataInNanos = connection.context.clock().nanoTime();
            session.tasks().ready(task);
        }
    }

    /** Stores a Data-Out's data in its task, or, when its digest failed, marks the task's data lost. Lock held. */
    private static void keep(final Task task, final Pdu pdu, final int offset, final boolean lost) {
        if (lost) {
            task.dataLost = true;
        } else {
            task.store(offset, pdu.dataBuffer(), pdu.dataPlaced());
        }
    }

    /** Executes {@code task} on the calling virtual thread and sends its Data-In and status. */
    void execute(final Task task) {
        if (task.dataLost) {
            finish(task, session.target().scsi().checkCondition(task.lun, PROTOCOL_SERVICE_CRC_ERROR));
            return;
        }
        TargetEntry target = session.target();
        if (target.scsi().unitToken(task.lun) != task.unitToken) {
            finish(task, target.scsi().checkCondition(task.lun, Sense.REPORTED_LUNS_CHANGED));
            return;
        }
        long inMemory = TransferLength.readIntoMemory(task.cdb);
        ReadAllowance allowance = session.readAllowance();
        boolean allowed = true;
        if (inMemory > 0) {
            task.awaitingAllowance = true; // only its own session's reads can hold it back: not a hang below it
            allowed = allowance.acquire(task, inMemory, connection.context.metrics().readAllowanceWaits::mark);
            task.awaitingAllowance = false;
        }
        if (!allowed) {
            // Aborted while it waited (its answer is dropped), or its thread was interrupted: it never runs.
            Thread.interrupted(); // an interrupted thread's status write would fail
            finish(task, target.scsi().checkCondition(task.lun, Sense.INTERNAL_TARGET_FAILURE));
            return;
        }
        ScsiResult result = null;
        try {
            result = run(task, target);
        } catch (Error e) {
            // The task must still leave the set and its window slot (else it looks hung forever).
            finish(task, null);
            throw e;
        } finally {
            if (inMemory > 0 && result == null) {
                allowance.release(inMemory); // an Error out of the SCSI target: the bytes go back all the same
            }
        }
        if (inMemory > 0) {
            // Held until the transport is done with the result: its Data-In written, or dropped.
            result = result.alsoOnRelease(() -> allowance.release(inMemory));
        }
        if (result.abortTasksOf() != null) {
            // Not on this thread, which may be the connection's reader serving other sessions too.
            ScsiResult preempting = result;
            Thread.ofVirtual().name("iscsi-preempt-and-abort").start(() -> {
                ScsiResult answer = target.scsi().checkCondition(task.lun, Sense.INTERNAL_TARGET_FAILURE);
                try {
                    if (abortPreempted(task, preempting.abortTasksOf())) {
                        answer = preempting;
                    }
                } catch (RuntimeException e) {
                    // The reservation already changed; the initiator must not take GOOD for the aborts too.
                    LOG.error("PREEMPT AND ABORT by {}: aborting the preempted tasks failed", connection.who(), e);
                } finally {
                    Thread.interrupted(); // an interrupted wait must not make the status write fail
                    if (answer != preempting) {
                        preempting.release();
                    }
                    finish(task, answer);
                }
            });
            return;
        }
        finish(task, result);
    }

    /** Runs {@code task}'s command in the SCSI target; a failure there is INTERNAL TARGET FAILURE. */
    private ScsiResult run(final Task task, final TargetEntry target) {
        ByteBuffer dataOut = task.write ? task.writeData() : null;
        try {
            return target.scsi().execute(command(task, dataOut));
        } catch (RuntimeException e) {
            LOG.warn("{} failed in the SCSI target for {}", task, connection.who(), e);
            return target.scsi().checkCondition(task.lun, Sense.INTERNAL_TARGET_FAILURE);
        }
    }

    /**
     * PREEMPT AND ABORT: every task of a preempted nexus on {@code task}'s logical unit, through any
     * target of this node, is aborted, and no command of them can change the medium any more (they
     * ran, or never will), before the command's GOOD goes out; the other nexuses among them find
     * COMMANDS CLEARED BY ANOTHER INITIATOR. False when the wait was interrupted (no GOOD then).
     */
    private boolean abortPreempted(final Task task, final Predicate<ItNexus> preempted) {
        // An EXTENDED COPY may write to any unit whatever LUN it was sent to: a fenced host's copy is
        // waited for too, so none of its pieces lands after the GOOD.
        UnitAborts aborts = abortOnUnit(task.lun, task.unitToken, other -> preempted.test(other.nexus()),
                t -> t != task, true);
        if (!Session.awaitCommandsEnded(aborts.toAwait())) {
            return false;
        }
        reportCleared(aborts.abortedNow());
        LOG.info("PREEMPT AND ABORT by {} on LUN {}: {} task(s) of preempted nexuses aborted", connection.who(),
                task.lun, aborts.toAwait().size());
        return true;
    }

    /**
     * Aborts, in every session of the portal that {@code sessions} accepts, the tasks {@code which}
     * accepts that were sent to the logical unit {@code unitToken} stands for (this session's
     * {@code lun}): by its identifier, whatever LUN and target they reach it by, or, for a target
     * whose units have none, by the same target and LUN; with {@code copiesAnywhere}, EXTENDED COPY
     * tasks count as sent to every unit.
     */
    private UnitAborts abortOnUnit(final int lun, final Object unitToken, final Predicate<Session> sessions,
            final Predicate<Task> which, final boolean copiesAnywhere) {
        byte[] unit = session.target().scsi().unitIdentifier(unitToken);
        BiPredicate<Session, Task> matching = (other, t) -> which.test(t)
                && (sentTo(other, t, unit, lun) || copiesAnywhere && isExtendedCopy(t));
        Map<Session, List<Task>> aborted = new LinkedHashMap<>();
        Map<Session, List<Task>> abortedNow = new LinkedHashMap<>();
        for (Session other : connection.context.sessions().all()) {
            TargetEntry target = other.target();
            if (other.discovery() || target == null || !sessions.test(other)) {
                continue;
            }
            List<Task> now = new ArrayList<>();
            List<Task> tasks = other.tasks().abort(t -> matching.test(other, t), now);
            if (!tasks.isEmpty()) {
                aborted.put(other, tasks);
            }
            if (!now.isEmpty()) {
                abortedNow.put(other, now);
            }
        }
        // Tasks of sessions that ended while they ran (aborted then) can still write: wait for them too.
        connection.context.sessions().unfinished().forEach((task, ended) -> {
            List<Task> known = aborted.getOrDefault(ended, List.of());
            if (ended.target() != null && !known.contains(task) && sessions.test(ended)
                    && matching.test(ended, task)) {
                aborted.computeIfAbsent(ended, s -> new ArrayList<>()).add(task);
            }
        });
        return new UnitAborts(aborted.values().stream().flatMap(List::stream).toList(), abortedNow);
    }

    /**
     * What {@link #abortOnUnit} aborted: every task to wait for, and by session the ones it aborted
     * itself (not earlier by ABORT TASK or another abort), whose nexuses are told COMMANDS CLEARED.
     */
    private record UnitAborts(List<Task> toAwait, Map<Session, List<Task>> abortedNow) {
    }

    private static boolean isExtendedCopy(final Task task) {
        return task.cdb.length > 0 && (task.cdb[0] & 0xff) == 0x83;
    }

    /**
     * Whether {@code other}'s {@code task} was sent to the unit whose identifier is {@code unit}, or,
     * for units without one, to this session's target and {@code lun}.
     */
    private boolean sentTo(final Session other, final Task task, final byte[] unit, final int lun) {
        return unit != null ? Arrays.equals(other.target().scsi().unitIdentifier(task.unitToken), unit)
                : task.lun == lun && other.targetName().equals(session.targetName());
    }

    /**
     * Tells each other session's logical unit that its {@code abortedNow} tasks were cleared by this
     * nexus (they got no status).
     */
    private void reportCleared(final Map<Session, List<Task>> abortedNow) {
        abortedNow.forEach((other, tasks) -> {
            if (other.nexus().equals(session.nexus()) || other.ended()) {
                return; // an ended session's nexus is gone: nothing is to be reported to it
            }
            tasks.stream().map(t -> t.lun).distinct()
                    .forEach(lun -> other.target().scsi().commandsCleared(other.nexus(), lun));
        });
    }

    /**
     * Starts {@code task} without a thread of its own when it is a READ, or a WRITE with all its
     * data in, that the SCSI target can start so (see {@link io.keel.access.scsi.ScsiTarget#start}):
     * its Data-In and status then go out from the thread that completes it. False, having started
     * nothing, otherwise.
     */
    boolean start(final Task task) {
        if (task.read == task.write || task.dataLost
                || session.target().scsi().unitToken(task.lun) != task.unitToken) {
            return false; // the blocking way refuses a command whose LUN now addresses another unit
        }
        ByteBuffer dataOut = task.write ? task.writeData() : null;
        try {
            if (session.target().scsi().start(command(task, dataOut), result -> finish(task, result))) {
                connection.context.metrics().commandsStarted.mark();
                return true;
            }
            return false;
        } catch (RuntimeException e) {
            LOG.warn("{} could not start in the SCSI target for {}; executing it", task, connection.who(), e);
            return false;
        }
    }

    private ScsiCommand command(final Task task, final ByteBuffer dataOut) {
        return new ScsiCommand(session.nexus(), task.lun, task.cdb, task.attribute, task.itt & 0xffffffffL,
                task.expectedLength, dataOut, task.admission());
    }

    /** Counts {@code task} as done with {@code result} and sends its Data-In and status (unless aborted). */
    private void finish(final Task task, final ScsiResult executed) {
        ScsiResult result = executed;
        boolean handedOn = false;
        try {
            if (result == null) {
                result = session.target().scsi().checkCondition(task.lun, Sense.INTERNAL_TARGET_FAILURE);
            }
            var metrics = connection.context.metrics();
            metrics.latency(connection.context.clock().nanoTime() - task.arrivalNanos);
            if (task.read) {
                metrics.readOps.mark();
            } else if (task.write) {
                metrics.writeOps.mark();
            }
            // Counted out of the window first so the status PDU already opens it; removed from the task set
            // only after the status is sent, so an ORDERED task's successors answer after it.
            task.executed = true;
            session.release(task);
            handedOn = true;
            if (session.tasks().claimResponse(task)) {
                respond(task, result);
            } else {
                result.release();
            }
        } catch (RuntimeException e) {
            // A result the transport cannot encode must not leave the task in the set forever.
            LOG.error("cannot answer {} for {}", task, connection.who(), e);
            connection.close("internal error answering a command");
        } finally {
            // Also after an Error (out of memory, say): the data-in and its read allowance go back.
            if (!handedOn && result != null) {
                result.release();
            }
            session.tasks().done(task);
        }
    }

    /** Sends the result's Data-In and status; gives lent data-in back once the last of it is written. */
    private void respond(final Task task, final ScsiResult result) {
        DataInHolders holders = result.dataInLease() == null ? null : new DataInHolders(result);
        try {
            sendResult(task, result, holders);
        } finally {
            if (holders != null) {
                holders.drop();
            }
        }
    }

    private void sendResult(final Task task, final ScsiResult result, final DataInHolders holders) {
        ByteBuffer dataIn = result.dataIn() == null ? ByteBuffer.allocate(0) : result.dataIn().duplicate();
        int available = dataIn.remaining();
        int toSend = task.read ? Math.min(available, task.expectedLength) : 0;
        int residualFlags = 0;
        int residual = 0;
        // The residual compares the SCSI transfer length with the initiator's expected one: for reads what the
        // command returned, for writes what its CDB asks to send (RFC 7143 §11.4.5.1).
        long scsiLength = task.read ? available : TransferLength.dataOut(task.cdb);
        if (scsiLength > task.expectedLength) {
            residualFlags = 0x04;
            residual = (int) Math.min(Integer.MAX_VALUE, scsiLength - task.expectedLength);
        } else if (scsiLength >= 0 && scsiLength < task.expectedLength) {
            residualFlags = 0x02;
            residual = (int) (task.expectedLength - scsiLength);
        }
        boolean statusInData = toSend > 0 && result.status() == ScsiStatus.GOOD && result.sense() == null;
        int chunk = connection.params.sendDataSegmentLength;
        int burst = connection.params.maxBurstLength;
        List<Pdu> pdus = new ArrayList<>();
        int dataSn = 0;
        int length;
        for (int offset = 0; offset < toSend; offset += length) {
            // Each Data-In sequence (F bit at its end) stays within MaxBurstLength (RFC 7143 §11.7.1).
            int burstLeft = burst - offset % burst;
            length = Math.min(Math.min(chunk, burstLeft), toSend - offset);
            boolean last = offset + length >= toSend;
            Pdu pdu = Pdu.of(Opcode.DATA_IN).lun(task.lunField).itt(task.itt).putInt32(20, RESERVED)
                    .putInt32(36, dataSn++).putInt32(40, offset);
            // Sent straight from the result's buffer: the result is this task's alone.
            pdu.data(dataIn.slice(dataIn.position(), length));
            dataIn.position(dataIn.position() + length);
            int flags = last || length == burstLeft ? 0x80 : 0;
            if (last && statusInData) {
                flags |= 0x01 | residualFlags;
                pdu.putByte(3, result.status()).putInt32(44, residual);
            }
            pdus.add(pdu.flags(flags));
            if ((flags & 0x80) != 0) {
                // One sequence at a time: other tasks' PDUs and pings interleave between sequences.
                if (!connection.send(pdus, p -> (p.flags() & 0x01) != 0, holders == null ? null : holders.hold())) {
                    return;
                }
                pdus = new ArrayList<>();
            }
        }
        connection.context.metrics().readBytes.mark(toSend);
        if (!statusInData) {
            sendStatus(task, result, residualFlags, residual, task.read ? dataSn : task.nextR2tSn);
        }
    }

    private void sendStatus(final Task task, final ScsiResult result, final int residualFlags, final int residual,
            final int expDataSn) {
        Pdu pdu = Pdu.of(Opcode.SCSI_RESPONSE).flags(0x80 | residualFlags).putByte(2, 0)
                .putByte(3, result.status()).itt(task.itt).putInt32(36, expDataSn).putInt32(44, residual);
        byte[] sense = result.sense();
        if (sense != null && sense.length > MAX_SENSE) {
            sense = Arrays.copyOf(sense, MAX_SENSE);
        }
        if (sense != null && sense.length > 0) {
            byte[] data = new byte[2 + sense.length];
            data[0] = (byte) (sense.length >>> 8);
            data[1] = (byte) sense.length;
            System.arraycopy(sense, 0, data, 2, sense.length);
            pdu.data(data);
        }
        connection.send(pdu, true);
    }

    // ---- task management -----------------------------------------------------------------------

    private void taskManagement(final Pdu pdu) {
        int function = pdu.flags() & 0x7f;
        int itt = pdu.itt();
        int lun = Lun.decode(pdu.lun());
        TargetEntry target = session.target();
        boolean lunScoped = function == 1 || function == 2 || function == 4 || function == 5;
        if (lunScoped && !target.scsi().hasLun(lun)) {
            tmfResponse(itt, 2, "LUN " + lun + " does not exist", function);
            return;
        }
        switch (function) {
            case 1 -> abortTask(pdu, itt);
            case 2 -> afterAborts(session.tasks().abort(t -> t.lun == lun), itt, function,
                    () -> target.scsi().taskSetAborted(session.nexus(), lun));
            case 4 -> {
                List<Task> aborted = new ArrayList<>(session.tasks().abort(t -> t.lun == lun));
                UnitAborts others = abortOnUnit(lun, target.scsi().unitToken(lun), other -> other != session,
                        t -> true, false);
                aborted.addAll(others.toAwait());
                afterAborts(aborted, itt, function, () -> {
                    reportCleared(others.abortedNow());
                    target.scsi().taskSetAborted(session.nexus(), lun);
                });
            }
            case 5 -> {
                Object unit = target.scsi().unitToken(lun);
                List<Task> aborted = new ArrayList<>(session.tasks().abort(t -> t.lun == lun));
                aborted.addAll(abortOnUnit(lun, unit, other -> other != session, t -> true, false).toAwait());
                afterAborts(aborted, itt, function, () -> {
                    // A LUN remapped while the aborts ran now addresses a unit this reset was not meant for.
                    if (target.scsi().unitToken(lun) == unit) {
                        target.scsi().logicalUnitReset(session.nexus(), lun);
                    }
                });
            }
            case 6 -> {
                List<Task> aborted = new ArrayList<>(session.tasks().abort(t -> true));
                aborted.addAll(abortOthers(t -> true));
                afterAborts(aborted, itt, function, () -> target.scsi().targetReset(session.nexus()));
            }
            case 7 -> coldReset(itt, target);
            case 8 -> tmfResponse(itt, 4, "task reassignment needs ErrorRecoveryLevel 2", function);
            case 3 -> tmfResponse(itt, 5, "function not supported", function);
            default -> tmfResponse(itt, 255, "unknown function", function);
        }
    }

    private void abortTask(final Pdu pdu, final int itt) {
        int rtt = pdu.int32(20);
        int refCmdSn = pdu.int32(32);
        Task task = session.tasks().get(rtt);
        if (task == null) {
            // RFC 7143 §11.5.1: a task not yet received but inside the window counts as aborted.
            boolean notYetReceived = Session.serialLess(refCmdSn, pdu.int32(24))
                    && !Session.serialLess(refCmdSn, session.expCmdSn());
            tmfResponse(itt, notYetReceived ? 0 : 1, "referenced task 0x" + Integer.toHexString(rtt), 1);
            return;
        }
        List<Task> aborted = session.tasks().abort(t -> t == task);
        if (!task.aborted) {
            // Its status was already going out: answer once it is sent, as for a task that completed.
            Thread.ofVirtual().name("iscsi-tmf").start(() -> {
                Session.awaitTasks(aborted);
                tmfResponse(itt, 1, "referenced task 0x" + Integer.toHexString(rtt) + " completed first", 1);
            });
            return;
        }
        // Before waiting for it: a command that need not run to its end (a SANITIZE) can return now.
        session.target().scsi().taskAborted(session.nexus(), task.lun, task.itt & 0xffffffffL);
        afterAborts(aborted, itt, 1, () -> { });
    }

    private List<Task> abortOthers(final Predicate<Task> which) {
        List<Task> aborted = new ArrayList<>();
        for (Session other : connection.context.sessions().ofTarget(session.targetName())) {
            if (other != session) {
                aborted.addAll(other.tasks().abort(which));
            }
        }
        return aborted;
    }

    /**
     * TARGET COLD RESET: a warm reset, then, once the response is out, every session of the target
     * ends (RFC 7143 §11.5.1: the target drops all its connections), which also releases every
     * SPC-2 reservation with its nexus.
     */
    private void coldReset(final int itt, final TargetEntry target) {
        List<Task> aborted = new ArrayList<>(session.tasks().abort(t -> true));
        aborted.addAll(abortOthers(t -> true));
        Thread.ofVirtual().name("iscsi-cold-reset").start(() -> {
            Session.awaitTasks(aborted);
            try {
                target.scsi().targetColdReset(session.nexus());
            } catch (RuntimeException e) {
                LOG.warn("target cold reset of {} failed for {}", target.iqn(), connection.who(), e);
            }
            tmfResponse(itt, 0, aborted.size() + " task(s) aborted; every session of the target ends", 7);
            connection.awaitSent();
            for (Session each : connection.context.sessions().ofTarget(target.iqn())) {
                each.end("target cold reset by " + connection.who());
            }
        });
    }

    private void afterAborts(final List<Task> aborted, final int itt, final int function, final Runnable hook) {
        Thread.ofVirtual().name("iscsi-tmf").start(() -> {
            Session.awaitTasks(aborted);
            try {
                hook.run();
            } catch (RuntimeException e) {
                LOG.warn("task management hook failed for {}", connection.who(), e);
            }
            tmfResponse(itt, 0, aborted.stream().filter(t -> t.aborted).count() + " task(s) aborted", function);
        });
    }

    private void tmfResponse(final int itt, final int response, final String what, final int function) {
        LOG.info("task management function {} from {}: response {} ({})", function, connection.who(), response,
                what);
        connection.send(Pdu.of(Opcode.TASK_MGMT_RESPONSE).putByte(2, response).itt(itt), true);
    }

    // ---- text and logout -----------------------------------------------------------------------

    private void text(final Pdu pdu) throws PduException {
        int itt = pdu.itt();
        int ttt = pdu.int32(20);
        if (ttt != RESERVED) {
            if (ttt != textTtt || textRemainder == null) {
                throw PduException.reject(Opcode.REJECT_INVALID_FIELD, pdu, "Text continuation with unknown TTT");
            }
            byte[] rest = textRemainder;
            textRemainder = null;
            sendText(itt, rest);
            return;
        }
        textRequest.writeBytes(pdu.data());
        if (textRequest.size() > 65536) {
            textRequest.reset();
            throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu, "text request too long");
        }
        if ((pdu.flags() & 0x40) != 0) {
            connection.send(Pdu.of(Opcode.TEXT_RESPONSE).flags(0).itt(itt).putInt32(20, RESERVED), true);
            return;
        }
        byte[] request = textRequest.toByteArray();
        textRequest.reset();
        List<Map.Entry<String, String>> answer = new ArrayList<>();
        try {
            for (Map.Entry<String, String> key : TextKeys.parse(request)) {
                answerTextKey(key.getKey(), key.getValue(), answer);
            }
        } catch (LoginException e) {
            throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu, e.getMessage());
        }
        sendText(itt, TextKeys.encode(answer));
    }

    private void answerTextKey(final String key, final String value, final List<Map.Entry<String, String>> answer) {
        if (key.equals("SendTargets")) {
            sendTargets(value, answer);
        } else if (key.equals("MaxRecvDataSegmentLength")) {
            long v = TextKeys.parseNumber(value);
            if (v >= 512 && v < (1 << 24)) {
                connection.params.sendDataSegmentLength = (int) v;
            } else {
                answer.add(Map.entry(key, OperationalNegotiator.REJECT));
            }
        } else if (OperationalNegotiator.handles(key)) {
            answer.add(Map.entry(key, OperationalNegotiator.REJECT));
        } else {
            answer.add(Map.entry(key, OperationalNegotiator.NOT_UNDERSTOOD));
        }
    }

    private void sendTargets(final String value, final List<Map.Entry<String, String>> answer) {
        List<TargetEntry> targets;
        if (session.discovery()) {
            targets = value.equals("All") ? connection.context.directory().targets()
                    : connection.context.directory().find(value).stream().toList();
        } else if (value.equals("All")) {
            // RFC 7143 Appendix C: a normal session only learns about its own target.
            answer.add(Map.entry("SendTargets", OperationalNegotiator.REJECT));
            return;
        } else {
            targets = value.isEmpty() || value.equals(session.targetName()) ? List.of(session.target()) : List.of();
        }
        String address = targetAddress();
        for (TargetEntry entry : targets) {
            if (entry.admits(session.initiatorName())) {
                answer.add(Map.entry("TargetName", entry.iqn()));
                answer.add(Map.entry("TargetAddress", address));
            }
        }
    }

    private String targetAddress() {
        var config = connection.context.config();
        String hostPort = config.targetAddress();
        if (hostPort == null) {
            InetSocketAddress local = connection.localAddress();
            String host = local.getAddress().getHostAddress();
            if (host.contains(":")) {
                host = "[" + host + "]";
            }
            hostPort = host + ":" + local.getPort();
        }
        return hostPort + "," + config.portalGroupTag();
    }

    private void sendText(final int itt, final byte[] answer) {
        int max = connection.params.sendDataSegmentLength;
        Pdu pdu = Pdu.of(Opcode.TEXT_RESPONSE).itt(itt);
        if (answer.length > max) {
            textTtt = connection.nextTtt();
            textRemainder = Arrays.copyOfRange(answer, max, answer.length);
            pdu.flags(0x40).putInt32(20, textTtt).data(Arrays.copyOf(answer, max));
        } else {
            textTtt = RESERVED;
            pdu.flags(0x80).putInt32(20, RESERVED).data(answer);
        }
        connection.send(pdu, true);
    }

    private void logout(final Pdu pdu) throws PduException {
        int reason = pdu.flags() & 0x7f;
        int itt = pdu.itt();
        if (reason > 2) {
            throw PduException.reject(Opcode.REJECT_INVALID_FIELD, pdu, "unknown logout reason " + reason);
        }
        if (reason == 2) {
            connection.send(Pdu.of(Opcode.LOGOUT_RESPONSE).putByte(2, 2).itt(itt), true);
            return;
        }
        loggingOut = true;
        LOG.info("logout ({}) from {}", reason == 0 ? "close session" : "close connection", connection.who());
        Thread.ofVirtual().name("iscsi-logout").start(() -> {
            waitForTasks();
            // The session's only connection goes, so the session ends with it (ErrorRecoveryLevel 0):
            // its nexus is gone before the initiator learns that the logout is done.
            session.reportNexusLost();
            connection.send(Pdu.of(Opcode.LOGOUT_RESPONSE).putByte(2, 0).itt(itt)
                    .putInt16(40, connection.params.defaultTime2Wait)
                    .putInt16(42, connection.params.defaultTime2Retain), true);
            connection.awaitSent();
            connection.close("logout");
        });
    }

    private void waitForTasks() {
        List<Task> pending = new ArrayList<>();
        session.tasks().abort(t -> {
            pending.add(t);
            return false;
        });
        Session.awaitTasks(pending);
    }

    /**
     * Who still needs a result's lent data-in: the sender until every sequence is queued, and each
     * queued sequence until it is written. The last to let go gives the data back.
     */
    private static final class DataInHolders {
        private final AtomicInteger count = new AtomicInteger(1);
        private final ScsiResult result;

        DataInHolders(final ScsiResult result) {
            this.result = result;
        }

        Runnable hold() {
            count.incrementAndGet();
            return this::drop;
        }

        void drop() {
            if (count.decrementAndGet() == 0) {
                result.release();
            }
        }
    }
}
