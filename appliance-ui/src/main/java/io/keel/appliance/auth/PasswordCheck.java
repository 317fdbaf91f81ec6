package io.keel.appliance.auth;

/** Checks a user name and password against the cluster's admin account. */
@FunctionalInterface
public interface PasswordCheck {

    /** Whether {@code password} is the admin password of {@code user}. */
    boolean matches(String user, String password);
}
