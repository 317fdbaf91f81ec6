/**
 * Pure decision logic about I/O shape, with no I/O and no threads: sequential stream detection, write
 * coalescing, read-ahead hints and the journal/direct split of a write. Time is passed in as
 * {@code nowNanos}; every class is single-threaded (one instance per worker).
 */
package io.keel.iopattern;
