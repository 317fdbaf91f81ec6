/**
 * Keel's write-ahead log: {@link io.keel.journal.Journal} on a {@link io.keel.journal.JournalDevice},
 * with checksummed records, group commit behind one flush, replay that stops at the first torn record,
 * and trim. The on-disk format and the durability contract are in docs/journal-format.md.
 */
package io.keel.journal;
