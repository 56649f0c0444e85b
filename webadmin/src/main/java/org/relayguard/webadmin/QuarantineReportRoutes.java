package org.relayguard.webadmin;

import java.util.List;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.relayguard.webadmin.configuration.AllowedOrgs;
import org.relayguard.webadmin.configuration.ConfiguredTenants;
import org.relayguard.webadmin.dto.QuarantineReport;
import org.relayguard.webadmin.dto.ReportParameters;
import org.relayguard.webadmin.quarantine.QuarantineScan;
import org.relayguard.webadmin.quarantine.QuarantineSummaries;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * {@code GET /relayguard/quarantine/:encodedPath/report}: one pass over the summaries of a
 * quarantine repository's mails ({@link QuarantineSummaries}, each mail read once for the life of
 * the process) that groups its mail by {@code X-OriginatorOrg}, message source, envelope sender domain, remote
 * host, rule, session tenant (XOORG) and tenant, suggests allowed-list values that look like ours, and answers a what-if for
 * candidate values. A {@link Routes} (not {@code PublicRoutes}): webadmin's authentication applies.
 *
 * <p>Installed from {@code extensions-jars/}: {@code webadmin.properties}
 * {@code extensions.routes=org.relayguard.webadmin.QuarantineReportRoutes}, and
 * {@code extensions.properties} {@code guice.extension.module=org.relayguard.webadmin.RelayGuardWebAdminModule}
 * (which provides {@link AllowedOrgs} and {@link ConfiguredTenants}).</p>
 *
 * <pre>{@code
 * curl 'http://127.0.0.1:8000/relayguard/quarantine/var%2Fmail%2Fm365-relaydeny/report?whatIf=fabrikam.onmicrosoft.com'
 * }</pre>
 */
public class QuarantineReportRoutes implements Routes {
    /**
     * Webadmin's authentication filter covers this path and everything under it, and nothing else:
     * the review page ({@link ReviewPageRoutes}, {@code /relayguard/review/}) stays outside it.
     */
    public static final String BASE_PATH = "/relayguard/quarantine";
    public static final String REPORT_PATH = BASE_PATH + "/:encodedPath/report";

    private final MailRepositoryStore mailRepositoryStore;
    private final DomainList domainList;
    private final AllowedOrgs allowedOrgs;
    private final ConfiguredTenants tenants;
    private final JsonTransformer jsonTransformer;
    private final QuarantineSummaries summaries;
    private final int maxGroups;

    @Inject
    public QuarantineReportRoutes(MailRepositoryStore mailRepositoryStore, DomainList domainList, AllowedOrgs allowedOrgs, ConfiguredTenants tenants,
                                  QuarantineSummaries summaries, JsonTransformer jsonTransformer) {
        this(mailRepositoryStore, domainList, allowedOrgs, tenants, summaries, jsonTransformer, QuarantineScan.DEFAULT_MAX_GROUPS);
    }

    /** With summaries of its own, which the review page's routes do not share. */
    public QuarantineReportRoutes(MailRepositoryStore mailRepositoryStore, DomainList domainList, AllowedOrgs allowedOrgs, ConfiguredTenants tenants,
                                  JsonTransformer jsonTransformer) {
        this(mailRepositoryStore, domainList, allowedOrgs, tenants, new QuarantineSummaries(tenants), jsonTransformer);
    }

    QuarantineReportRoutes(MailRepositoryStore mailRepositoryStore, DomainList domainList, AllowedOrgs allowedOrgs, ConfiguredTenants tenants,
                           QuarantineSummaries summaries, JsonTransformer jsonTransformer, int maxGroups) {
        this.mailRepositoryStore = mailRepositoryStore;
        this.summaries = summaries;
        this.domainList = domainList;
        this.allowedOrgs = allowedOrgs;
        this.tenants = tenants;
        this.jsonTransformer = jsonTransformer;
        this.maxGroups = maxGroups;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(REPORT_PATH, this::report, jsonTransformer);
    }

    private QuarantineReport report(Request request, Response response) {
        ReportParameters parameters = parameters(request);
        MailRepositoryPath path = Quarantines.path(request.params("encodedPath"));
        List<MailRepository> repositories = Quarantines.repositories(mailRepositoryStore, path);
        return scan(path, repositories, parameters);
    }

    private QuarantineReport scan(MailRepositoryPath path, List<MailRepository> repositories, ReportParameters parameters) {
        QuarantineScan scan = new QuarantineScan(allowedOrgs, tenants, parameters, maxGroups, domains());
        try {
            for (MailRepository repository : repositories) {
                summaries.forEach(repository, scan::add);
            }
        } catch (MessagingException e) {
            throw Quarantines.serverError(e, "Error while reading repository '%s'", path.asString());
        }
        return scan.finish(path.asString());
    }

    private List<String> domains() {
        try {
            return domainList.getDomains().stream().map(Domain::asString).collect(Collectors.toList());
        } catch (DomainListException e) {
            throw Quarantines.serverError(e, "Error while reading James's DomainList");
        }
    }

    private static ReportParameters parameters(Request request) {
        try {
            return ReportParameters.parse(request.raw().getParameterMap());
        } catch (IllegalArgumentException e) {
            throw Quarantines.badRequest(e.getMessage());
        }
    }
}
