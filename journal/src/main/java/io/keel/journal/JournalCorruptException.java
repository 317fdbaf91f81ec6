package io.keel.journal;

/**
 * Replay found a damaged record that is not a torn tail: a valid later record of the same
 * journal says that records from the damaged one on had already been durable (and so may have
 * been acknowledged) when it was written. Opening would drop them, so the journal is not opened
 * and nothing is written to the device. See "Damage or torn tail" in docs/journal-format.md.
 */
public class JournalCorruptException extends JournalFormatException {

    private static final long serialVersionUID = 1L;

    private final long position;
    private final long firstLostSequence;
    private final long lastDurableSequence;
    private final long evidenceSequence;
    private final long evidencePosition;

    /**
     * @param message the full description
     * @param position device position where replay found no valid record
     * @param firstLostSequence the first sequence that cannot be replayed and was not trimmed
     * @param lastDurableSequence the highest sequence a later record says was durable
     * @param evidenceSequence the sequence of that later record
     * @param evidencePosition the device position of that later record
     */
    public JournalCorruptException(final String message, final long position, final long firstLostSequence,
            final long lastDurableSequence, final long evidenceSequence, final long evidencePosition) {
        super(message);
        this.position = position;
        this.firstLostSequence = firstLostSequence;
        this.lastDurableSequence = lastDurableSequence;
        this.evidenceSequence = evidenceSequence;
        this.evidencePosition = evidencePosition;
    }

    /** Device position (within the journal device) where replay found no valid record. */
    public long position() {
        return position;
    }

    /** The first sequence number that cannot be replayed (and was not trimmed). */
    public long firstLostSequence() {
        return firstLostSequence;
    }

    /**
     * Every sequence from {@link #firstLostSequence()} up to this one was durable before a later
     * record was written, so these at least are lost if the journal were opened past the damage.
     */
    public long lastDurableSequence() {
        return lastDurableSequence;
    }

    /** The sequence number of the later record that proves the loss. */
    public long evidenceSequence() {
        return evidenceSequence;
    }

    /** The device position of the later record that proves the loss. */
    public long evidencePosition() {
        return evidencePosition;
    }
}
