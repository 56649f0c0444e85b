package org.relayguard.webadmin.access;

import static spark.Spark.halt;

import java.io.FileNotFoundException;

import javax.inject.Inject;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.utils.PropertiesProvider;
import org.apache.james.webadmin.PublicRoutes;
import org.apache.james.webadmin.WebAdminConfiguration;

import spark.Service;

/**
 * Refuses, with {@code 403}, every webadmin request whose {@code Host} is not one of
 * {@link AllowedHosts}: a {@code before} filter on every path, so it runs before any route, public
 * or authenticated, and before a {@code 404}. On James's own server, a request to an authenticated
 * route without a valid token meets James's authentication filter first and gets {@code 401}; the
 * route does not run either way. Listed in {@code extensions.routes} only to be loaded: it defines
 * no route.
 */
public class AllowedHostsRoutes implements PublicRoutes {
    private final AllowedHosts allowedHosts;

    @Inject
    public AllowedHostsRoutes(PropertiesProvider propertiesProvider, WebAdminConfiguration configuration)
            throws ConfigurationException, FileNotFoundException {
        this.allowedHosts = AllowedHosts.fromWebAdminProperties(propertiesProvider.getConfiguration("webadmin"),
            configuration.getHost(), configuration.getPort().get().getValue());
    }

    @Override
    public String getBasePath() {
        return "/";
    }

    @Override
    public void define(Service service) {
        service.before((request, response) -> {
            if (!allowedHosts.allows(request.headers("Host"))) {
                // The value is the caller's: not echoed, not logged.
                halt(403, "{\"statusCode\":403,\"type\":\"Forbidden\",\"message\":\"Host not allowed\"}");
            }
        });
    }
}
