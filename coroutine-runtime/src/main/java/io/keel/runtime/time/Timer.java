package io.keel.runtime.time;

/** A scheduled action of a {@link Clock}; cancelling it before it fires means it never runs. */
public interface Timer {

    /**
     * Cancels the action.
     *
     * @return true when the action will not run because of this call
     */
    boolean cancel();
}
