package io.keel.access.iscsi.login;

/**
 * The operational parameters one connection and its session run with after login, starting at
 * the RFC 7143 §13 defaults that apply when a key is not negotiated.
 */
public final class SessionParams {
    /** CRC32C header digests. */
    public boolean headerDigest;
    /** CRC32C data digests. */
    public boolean dataDigest;
    /** The initiator's MaxRecvDataSegmentLength: the longest data segment we may send. */
    public int sendDataSegmentLength = 8192;
    /** Our MaxRecvDataSegmentLength once declared (8192 during login). */
    public int recvDataSegmentLength = 8192;
    /** MaxBurstLength. */
    public int maxBurstLength = 262144;
    /** FirstBurstLength. */
    public int firstBurstLength = 65536;
    /** InitialR2T. */
    public boolean initialR2T = true;
    /** ImmediateData. */
    public boolean immediateData = true;
    /** MaxOutstandingR2T. */
    public int maxOutstandingR2T = 1;
    /** DefaultTime2Wait (seconds). */
    public int defaultTime2Wait = 2;
    /** DefaultTime2Retain (seconds). */
    public int defaultTime2Retain = 20;

    @Override
    public String toString() {
        return "HeaderDigest=" + (headerDigest ? "CRC32C" : "None") + " DataDigest=" + (dataDigest ? "CRC32C" : "None")
                + " MaxRecvDataSegmentLength=" + recvDataSegmentLength + "/" + sendDataSegmentLength
                + " MaxBurstLength=" + maxBurstLength + " FirstBurstLength=" + firstBurstLength
                + " InitialR2T=" + initialR2T + " ImmediateData=" + immediateData
                + " MaxOutstandingR2T=" + maxOutstandingR2T;
    }
}
