package io.keel.meta.store;

import io.keel.meta.command.ErrorCode;

/** A command refused by validation; unwinds the applier, whose pending writes are then dropped. */
final class Rejection extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    Rejection(final ErrorCode code, final String message) {
        super(message, null, false, false);
        this.code = code;
    }

    ErrorCode code() {
        return code;
    }
}
