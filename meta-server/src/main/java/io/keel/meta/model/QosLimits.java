package io.keel.meta.model;

/** IOPS and bandwidth (bytes per second) limits; 0 means unlimited. */
public record QosLimits(long iops, long bandwidthBytesPerSecond) {

    /** No limits. */
    public static final QosLimits UNLIMITED = new QosLimits(0, 0);
}
