package io.keel.access.iscsi;

import io.keel.access.iscsi.login.TextKeys;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.pdu.PduCodec;
import io.keel.access.iscsi.pdu.PduException;
import io.keel.access.iscsi.pdu.PduInput;
import io.keel.access.iscsi.session.Lun;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A hand-driven initiator for protocol tests (here and, through the test jar, in the cross-module
 * tests): builds PDUs, tracks CmdSN, reads replies with a timeout.
 */
public final class RawInitiator implements AutoCloseable {

    public static final String NAME = "iqn.2026-01.io.keel:raw";

    final Socket socket;
    final PduInput in;
    final OutputStream out;
    boolean headerDigest;
    boolean dataDigest;
    int cmdSn = 100;
    int expStatSn;
    int nextItt = 1;
    byte[] isid = {0x40, 0, 0, 0, 0, 1};

    public RawInitiator(final int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = PduInput.of(socket.getInputStream());
        out = socket.getOutputStream();
    }

    static Map<String, String> normal(final String target) {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("InitiatorName", NAME);
        keys.put("TargetName", target);
        keys.put("SessionType", "Normal");
        return keys;
    }

    static Map<String, String> discovery() {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("InitiatorName", NAME);
        keys.put("SessionType", "Discovery");
        return keys;
    }

    Pdu loginPdu(final int csg, final int nsg, final boolean transit, final Map<String, String> keys) {
        Pdu pdu = Pdu.of(Opcode.LOGIN_REQUEST).immediate(true)
                .flags((transit ? 0x80 : 0) | csg << 2 | (transit ? nsg : 0)).itt(nextItt)
                .putInt32(24, cmdSn).putInt32(28, expStatSn);
        System.arraycopy(isid, 0, pdu.bhs(), 8, 6);
        List<Map.Entry<String, String>> pairs = new ArrayList<>(keys.entrySet());
        return pdu.data(TextKeys.encode(pairs));
    }

    /** One login exchange; returns the response. */
    Pdu login(final int csg, final int nsg, final boolean transit, final Map<String, String> keys)
            throws IOException, PduException {
        Pdu response = exchange(loginPdu(csg, nsg, transit, keys));
        return response;
    }

    /** Logs in straight to full feature phase with {@code extra} operational keys; digests apply afterwards. */
    public Pdu loginFull(final String target, final Map<String, String> extra) throws IOException, PduException {
        Map<String, String> keys = normal(target);
        keys.putAll(extra);
        Pdu response = login(1, 3, true, keys);
        Map<String, String> answer = keys(response);
        headerDigest = "CRC32C".equals(answer.get("HeaderDigest"));
        dataDigest = "CRC32C".equals(answer.get("DataDigest"));
        return response;
    }

    public static Map<String, String> keys(final Pdu pdu) {
        Map<String, String> map = new LinkedHashMap<>();
        try {
            TextKeys.parse(pdu.data()).forEach(e -> map.put(e.getKey(), e.getValue()));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return map;
    }

    public static int status(final Pdu loginResponse) {
        return loginResponse.byteAt(36) << 8 | loginResponse.byteAt(37);
    }

    public Pdu exchange(final Pdu pdu) throws IOException, PduException {
        send(pdu);
        return read();
    }

    public void send(final Pdu pdu) throws IOException {
        if (pdu.opcode() != Opcode.DATA_OUT && pdu.opcode() != Opcode.LOGIN_REQUEST) {
            pdu.putInt32(28, expStatSn);
        }
        PduCodec.write(out, pdu, headerDigest, dataDigest);
        out.flush();
    }

    /** Sends {@code pdus} in one socket write, so the target finds them all waiting to be read. */
    public void sendTogether(final List<Pdu> pdus) throws IOException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (Pdu pdu : pdus) {
            pdu.putInt32(28, expStatSn);
            PduCodec.write(all, pdu, headerDigest, dataDigest);
        }
        out.write(all.toByteArray());
        out.flush();
    }

    /** Whether bytes from the target wait to be read. */
    boolean hasInput() throws IOException {
        return in.buffered() > 0 || socket.getInputStream().available() > 0;
    }

    /** The next PDU, or {@code null} when the target closed the connection. */
    public Pdu read() throws IOException, PduException {
        Pdu pdu = PduCodec.read(in, headerDigest, dataDigest, 1 << 24);
        if (pdu != null && pdu.opcode() != Opcode.DATA_IN && pdu.opcode() != Opcode.R2T) {
            expStatSn = pdu.int32(24) + 1;
        } else if (pdu != null && pdu.opcode() == Opcode.DATA_IN && (pdu.flags() & 1) != 0) {
            expStatSn = pdu.int32(24) + 1;
        }
        return pdu;
    }

    /** The next PDU other than a NOP-In (keep-alive) that comes within {@code millis}, or null when none did. */
    public Pdu nextWithin(final int millis) throws IOException, PduException, InterruptedException {
        // Polled, not a socket timeout: one that strikes inside a PDU would leave the reader mid-stream.
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < deadline) {
            if (hasInput()) {
                Pdu pdu = read();
                if (pdu == null || pdu.opcode() != Opcode.NOP_IN) {
                    return pdu;
                }
            } else {
                Thread.sleep(5);
            }
        }
        return null;
    }

    /** Whether the target closed the connection within the socket timeout (any PDUs before that are skipped). */
    boolean closedByTarget() throws IOException {
        try {
            while (true) {
                Pdu pdu = read();
                if (pdu == null) {
                    return true;
                }
            }
        } catch (PduException | java.io.EOFException | java.net.SocketException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    /** A SCSI command (non-immediate, consumes a CmdSN). */
    public Pdu command(final int flags, final long lun, final byte[] cdb, final int expected, final byte[] immediate) {
        byte[] cdb16 = java.util.Arrays.copyOf(cdb, 16);
        Pdu pdu = Pdu.of(Opcode.SCSI_COMMAND).flags(flags).lun(lun).itt(nextItt++).putInt32(20, expected)
                .putInt32(24, cmdSn++).data(immediate);
        System.arraycopy(cdb16, 0, pdu.bhs(), 32, 16);
        return pdu;
    }

    /** A command's SCSI status, its Data-In and its sense data (empty when none). */
    public record Reply(int status, byte[] data, byte[] sense) {
        /** Sense key, ASC and ASCQ of fixed-format sense data. */
        public List<Integer> senseKeyAscAscq() {
            return List.of(sense[2] & 0x0f, sense[12] & 0xff, sense[13] & 0xff);
        }
    }

    /**
     * Runs {@code cdb} on {@code lun}, sending {@code dataOut} (or nothing, when null) as immediate
     * data and taking up to 4 KiB of Data-In; throws when the target closes the connection first.
     */
    public Reply run(final int lun, final byte[] cdb, final byte[] dataOut) throws IOException, PduException {
        boolean write = dataOut != null;
        int flags = 0x80 | (write ? 0x20 : 0x40) | 0x01;
        send(command(flags, Lun.encode(lun), cdb, write ? dataOut.length : 4096,
                write ? dataOut : new byte[0]));
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        while (true) {
            Pdu pdu = read();
            if (pdu == null) {
                throw new IOException("the target closed the connection before the command's status");
            }
            if (pdu.opcode() == Opcode.DATA_IN) {
                data.write(pdu.data());
                if ((pdu.flags() & 0x01) != 0) {
                    return new Reply(pdu.byteAt(3), data.toByteArray(), new byte[0]);
                }
            } else if (pdu.opcode() == Opcode.SCSI_RESPONSE) {
                byte[] segment = pdu.data();
                byte[] sense = segment.length < 2 ? new byte[0]
                        : Arrays.copyOfRange(segment, 2, 2 + ((segment[0] & 0xff) << 8 | segment[1] & 0xff));
                return new Reply(pdu.byteAt(3), data.toByteArray(), sense);
            }
        }
    }

    Pdu nop(final byte[] ping) {
        return Pdu.of(Opcode.NOP_OUT).immediate(true).itt(nextItt++).putInt32(20, Pdu.RESERVED_TAG)
                .putInt32(24, cmdSn).data(ping);
    }

    public static byte[] read10(final int lba, final int blocks) {
        return new byte[] {0x28, 0, (byte) (lba >>> 24), (byte) (lba >>> 16), (byte) (lba >>> 8), (byte) lba, 0,
            (byte) (blocks >>> 8), (byte) blocks, 0};
    }

    public static byte[] write10(final int lba, final int blocks) {
        byte[] cdb = read10(lba, blocks);
        cdb[0] = 0x2a;
        return cdb;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
