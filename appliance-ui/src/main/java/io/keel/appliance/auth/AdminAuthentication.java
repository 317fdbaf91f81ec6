package io.keel.appliance.auth;

import com.github.benmanes.caffeine.cache.CaffeineSpec;
import io.dropwizard.auth.AuthFilter;
import io.dropwizard.auth.AuthValueFactoryProvider;
import io.dropwizard.auth.Authenticator;
import io.dropwizard.auth.CachingAuthenticator;
import io.dropwizard.auth.basic.BasicCredentialAuthFilter;
import io.dropwizard.auth.basic.BasicCredentials;
import io.dropwizard.core.setup.Environment;
import jakarta.ws.rs.container.DynamicFeature;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.FeatureContext;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP Basic authentication of the REST API with the admin account, on every resource method
 * not marked {@link PublicEndpoint}. Successful checks are cached for a few minutes because the
 * password hash is deliberately slow to compute.
 */
public final class AdminAuthentication implements DynamicFeature {

    private static final Logger LOG = LoggerFactory.getLogger(AdminAuthentication.class);
    private static final String CACHE_SPEC = "maximumSize=64,expireAfterWrite=5m";

    private final AuthFilter<BasicCredentials, AdminPrincipal> filter;

    private AdminAuthentication(final AuthFilter<BasicCredentials, AdminPrincipal> filter) {
        this.filter = filter;
    }

    /** Protects every resource of {@code environment}'s Jersey application with {@code check}. */
    public static void install(final Environment environment, final PasswordCheck check) {
        Authenticator<BasicCredentials, AdminPrincipal> authenticator = credentials -> {
            if (check.matches(credentials.getUsername(), credentials.getPassword())) {
                return Optional.of(new AdminPrincipal(credentials.getUsername()));
            }
            LOG.warn("rejected REST credentials for user '{}'", credentials.getUsername());
            return Optional.empty();
        };
        var cached = new CachingAuthenticator<>(environment.metrics(), authenticator,
                CaffeineSpec.parse(CACHE_SPEC));
        AuthFilter<BasicCredentials, AdminPrincipal> filter =
                new BasicCredentialAuthFilter.Builder<AdminPrincipal>()
                        .setAuthenticator(cached)
                        .setRealm("keel")
                        .setUnauthorizedHandler(new JsonUnauthorized())
                        .buildAuthFilter();
        environment.jersey().register(new AdminAuthentication(filter));
        environment.jersey().register(new AuthValueFactoryProvider.Binder<>(AdminPrincipal.class));
    }

    @Override
    public void configure(final ResourceInfo resource, final FeatureContext context) {
        if (resource.getResourceClass().isAnnotationPresent(PublicEndpoint.class)
                || resource.getResourceMethod().isAnnotationPresent(PublicEndpoint.class)) {
            return;
        }
        context.register(filter);
    }
}
