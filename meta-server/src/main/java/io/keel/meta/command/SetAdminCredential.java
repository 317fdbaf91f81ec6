package io.keel.meta.command;

import io.keel.meta.secret.AdminCredential;

/** Sets the cluster's admin account (a password hash, never the password). */
public record SetAdminCredential(String changeId, AdminCredential credential) implements MetaCommand {
}
