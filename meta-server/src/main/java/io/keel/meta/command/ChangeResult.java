package io.keel.meta.command;

/**
 * The stored outcome of a change: which log index applied it, the outcome, a message naming the
 * object (empty when OK), and the id or name of the object it created ({@code null} if none).
 */
public record ChangeResult(String changeId, long index, ErrorCode outcome, String message, String createdId) {

    /** Whether the change was applied. */
    public boolean ok() {
        return outcome == ErrorCode.OK;
    }
}
