package org.relayguard.webadmin;

import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.apache.mailet.Mail;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * {@code GET /relayguard/quarantine/:encodedPath/report}: one pass over a quarantine repository
 * that groups its mail by {@code X-OriginatorOrg}, message source, envelope sender domain, remote
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
    private final int maxGroups;

    @Inject
    public QuarantineReportRoutes(MailRepositoryStore mailRepositoryStore, DomainList domainList, AllowedOrgs allowedOrgs, ConfiguredTenants tenants,
                                  JsonTransformer jsonTransformer) {
        this(mailRepositoryStore, domainList, allowedOrgs, tenants, jsonTransformer, QuarantineScan.DEFAULT_MAX_GROUPS);
    }

    QuarantineReportRoutes(MailRepositoryStore mailRepositoryStore, DomainList domainList, AllowedOrgs allowedOrgs, ConfiguredTenants tenants,
                           JsonTransformer jsonTransformer, int maxGroups) {
        this.mailRepositoryStore = mailRepositoryStore;
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
                scanRepository(repository, scan);
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

    /** One mail in memory at a time: retrieved, read, disposed. */
    static void scanRepository(MailRepository repository, QuarantineScan scan) throws MessagingException {
        Iterator<MailKey> keys = repository.list();
        while (keys.hasNext()) {
            MailKey key = keys.next();
            Mail mail = repository.retrieve(key);
            if (mail == null) {
                continue; // removed since it was listed
            }
            try {
                scan.add(key.asString(), mail);
            } finally {
                LifecycleUtil.dispose(mail);
            }
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
