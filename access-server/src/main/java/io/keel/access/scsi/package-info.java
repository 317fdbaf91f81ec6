/**
 * SCSI logical units (SPC-4, SBC-3) independent of the transport: command decoding, sense data,
 * mode and VPD pages, reservations, over a {@link io.keel.access.scsi.BlockBackend}.
 */
package io.keel.access.scsi;
