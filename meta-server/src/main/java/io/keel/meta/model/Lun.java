package io.keel.meta.model;

/** One logical unit of an iSCSI target: LUN number 0–255 and the id of the volume behind it. */
public record Lun(int number, String volumeId) {
}
