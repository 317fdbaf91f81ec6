/**
 * The iSCSI target (RFC 7143): PDUs, login and CHAP, sessions and connections, the portal that
 * accepts them, handing SCSI commands to a {@link io.keel.access.scsi.ScsiTarget}.
 */
package io.keel.access.iscsi;
