/**
 * SCSI reservations of a logical unit: SPC-4 persistent reservations kept in a
 * {@link io.keel.access.scsi.ReservationStore} and SPC-2 RESERVE/RELEASE kept in memory. The stored
 * byte format and the semantics are described in docs/scsi-reservations-format.md.
 */
package io.keel.access.scsi.reservation;
