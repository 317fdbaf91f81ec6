package io.keel.appliance.auth;

import java.security.Principal;

/** The authenticated admin of a REST request. */
public record AdminPrincipal(String getName) implements Principal {
}
