/**
 * iSCSI connections and sessions: the login state machine, the full feature phase (commands, data
 * transfer, task management, text, logout), task ordering and the session table.
 */
package io.keel.access.iscsi.session;
