package io.keel.meta.command;

/** The outcome of applying a command. */
public enum ErrorCode {
    /** Applied. */
    OK,
    /** The command is malformed: a bad name, size, count or reference. */
    INVALID_ARGUMENT,
    /** An object the command names does not exist. */
    NOT_FOUND,
    /** An object with that name or id exists. */
    ALREADY_EXISTS,
    /** The state does not allow it (in use, wrong epoch, a DOWN node, too few failure domains). */
    FAILED_PRECONDITION,
    /**
     * The placement computed for the command names a node that has since gone DOWN, been removed,
     * or changed failure domain; the leader plans again and resubmits.
     */
    STALE_PLACEMENT,
    /** Not enough capacity for a thick reservation. */
    INSUFFICIENT_CAPACITY,
    /** The entry could not be decoded, or applying it failed unexpectedly; nothing was changed. */
    INTERNAL
}
