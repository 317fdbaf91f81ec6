package io.keel.meta.log;

/**
 * Who leads the meta servers, as recorded in the term znode by the member that last took the
 * leadership: the term it took, its member id, and the address it published for clients.
 *
 * @param term the fencing term, 1 for the first leader
 * @param memberId the leader's member id
 * @param address the opaque address the leader published (its RPC address)
 */
public record LeaderInfo(long term, String memberId, String address) {
}
