package io.keel.meta.model;

/** What a disk is used for: DATA disks count towards capacity, JOURNAL_CACHE disks do not. */
public enum DiskRole {
    DATA,
    JOURNAL_CACHE
}
