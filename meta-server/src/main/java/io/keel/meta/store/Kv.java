package io.keel.meta.store;

/** Ordered byte-key reads: LevelDB (maybe at a snapshot), or a pending transaction over it. */
interface Kv {

    /** The value of {@code key}, or {@code null}. */
    byte[] get(byte[] key);

    /** Visits every entry whose key starts with {@code prefix}, in key order, until the visitor says stop. */
    void scan(byte[] prefix, Visitor visitor);

    /** Receives scanned entries. */
    @FunctionalInterface
    interface Visitor {
        /** Returns whether to continue. */
        boolean visit(byte[] key, byte[] value);
    }
}
