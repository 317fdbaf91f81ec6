/** The iSCSI login phase: key=value text, operational key negotiation and CHAP. */
package io.keel.access.iscsi.login;
