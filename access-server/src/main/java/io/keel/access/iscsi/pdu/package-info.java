/** iSCSI PDUs and their wire encoding: headers, AHS, data segments, padding and CRC32C digests. */
package io.keel.access.iscsi.pdu;
