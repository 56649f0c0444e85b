package org.relayguard.webadmin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

import org.apache.james.webadmin.PublicRoutes;

import com.google.common.collect.ImmutableMap;

import spark.Response;
import spark.Service;

/**
 * The quarantine review page: {@code GET /relayguard/review/} and its script and style sheet, from
 * this jar, on webadmin's own port.
 *
 * <p>A {@link PublicRoutes}: webadmin answers these three files without a token, because a browser
 * that opens a URL cannot send an {@code Authorization: Bearer} header. They hold no data, the same
 * bytes for everyone; the page then asks for the token and sends it with every call to
 * {@code /relayguard/quarantine/…}, {@code /mailRepositories/…} and {@code /tasks/…}, which webadmin
 * authenticates. Its base path lies outside {@link QuarantineReportRoutes#BASE_PATH}, the path of
 * webadmin's authentication filter for the data.</p>
 *
 * <p>Every answer forbids inline script, framing and sniffing ({@code Content-Security-Policy},
 * {@code X-Frame-Options}, {@code X-Content-Type-Options}): the page writes mail data as text, and
 * the policy is the second line of defence should that ever fail.</p>
 */
public class ReviewPageRoutes implements PublicRoutes {
    public static final String BASE_PATH = "/relayguard/review";
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
        + " connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
    private static final String RESOURCES = "/org/relayguard/webadmin/review/";

    private static final class Asset {
        final String type;
        final byte[] bytes;

        Asset(String type, byte[] bytes) {
            this.type = type;
            this.bytes = bytes;
        }
    }

    private final Map<String, Asset> assets;

    public ReviewPageRoutes() {
        this.assets = ImmutableMap.of(
            BASE_PATH + "/", asset("index.html", "text/html; charset=utf-8"),
            BASE_PATH + "/review.js", asset("review.js", "text/javascript; charset=utf-8"),
            BASE_PATH + "/review.css", asset("review.css", "text/css; charset=utf-8"));
    }

    private static Asset asset(String name, String type) {
        try (InputStream in = ReviewPageRoutes.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("Relay Guard review page: " + RESOURCES + name + " is missing from the jar");
            }
            return new Asset(type, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH, (request, response) -> {
            response.redirect(BASE_PATH + "/");
            return "";
        });
        assets.forEach((path, asset) -> service.get(path, (request, response) -> serve(asset, response)));
    }

    private static byte[] serve(Asset asset, Response response) {
        response.type(asset.type);
        response.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        response.header("X-Frame-Options", "DENY");
        response.header("X-Content-Type-Options", "nosniff");
        response.header("Referrer-Policy", "no-referrer");
        response.header("Cache-Control", "no-cache");
        return asset.bytes;
    }
}
