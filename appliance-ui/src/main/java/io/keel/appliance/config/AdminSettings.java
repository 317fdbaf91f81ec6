package io.keel.appliance.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Size;

/**
 * The local admin account of the REST API. When the cluster has no admin password yet, the
 * first node to start sets it: to {@code initialPassword} if given, else to a generated one that
 * it writes to {@code <dataDir>/admin-password} (readable by its owner only).
 *
 * @param user            the admin user name
 * @param initialPassword the password to set at first start; ignored once the cluster has one
 */
public record AdminSettings(
        @JsonProperty("user") String user,
        @JsonProperty("initialPassword") @Size(min = 8, max = 128,
                message = "must be 8 to 128 characters") String initialPassword) {

    /** Fills the documented default user, {@code admin}. */
    public AdminSettings {
        user = user == null ? "admin" : user;
    }

    @Override
    public String toString() {
        return "AdminSettings[user=" + user + ", initialPassword=" + (initialPassword == null ? "unset" : "***") + "]";
    }
}
