package org.relayguard.webadmin;

import java.util.List;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.apache.mailet.Mail;
import org.eclipse.jetty.http.HttpStatus;
import org.relayguard.core.decision.DecisionLog;
import org.relayguard.core.decision.DenyReason;
import org.relayguard.core.dns.DomainListLookup;
import org.relayguard.webadmin.configuration.AllowedOrgs;
import org.relayguard.webadmin.configuration.ConfiguredTenants;
import org.relayguard.webadmin.configuration.GatewayMode;
import org.relayguard.webadmin.dto.MailDetails;
import org.relayguard.webadmin.dto.MailFilter;
import org.relayguard.webadmin.dto.MailListing;
import org.relayguard.webadmin.dto.QuarantinedMail;
import org.relayguard.webadmin.quarantine.QuarantineSummaries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * The data of the review page, under the report's base path so that webadmin's authentication
 * covers it (a {@link Routes}, not {@code PublicRoutes}):
 * <ul>
 * <li>{@code GET /relayguard/quarantine/:encodedPath/mails?originatorOrg=&senderDomain=&rule=&condition=&tenant=&since=&until=&limit=}:
 * the gateway's mode and profile, the newest matching mails and the matching mails per hour and day
 * ({@link MailListing}, {@link MailFilter});</li>
 * <li>{@code GET /relayguard/quarantine/:encodedPath/mails/:key}: one mail's envelope, headers and
 * decision line ({@link MailDetails});</li>
 * <li>{@code DELETE /relayguard/quarantine/:encodedPath/mails/:key}: removes the mail from the
 * quarantine and writes a {@code decision=delete} line to the decision log (James's own
 * {@code DELETE /mailRepositories/…} writes none).</li>
 * </ul>
 * A release goes through James's {@code PATCH /mailRepositories/…?action=reprocess&processor=m365_release},
 * whose {@code LogDecision} writes the {@code decision=release} line.
 *
 * <p>Installed like the report: {@code webadmin.properties}
 * {@code extensions.routes=…, org.relayguard.webadmin.QuarantineReviewRoutes}, with
 * {@link RelayGuardWebAdminModule}.</p>
 */
public class QuarantineReviewRoutes implements Routes {
    public static final String MAILS_PATH = QuarantineReportRoutes.BASE_PATH + "/:encodedPath/mails";
    public static final String MAIL_PATH = MAILS_PATH + "/:key";
    static final String DELETE_CONDITION = "operator-delete";
    private static final Logger DECISIONS = LoggerFactory.getLogger(DecisionLog.LOGGER_NAME);
    private static final Logger LOGGER = LoggerFactory.getLogger(QuarantineReviewRoutes.class);

    private final MailRepositoryStore mailRepositoryStore;
    private final AllowedOrgs allowedOrgs;
    private final ConfiguredTenants tenants;
    private final GatewayMode gateway;
    private final JsonTransformer jsonTransformer;
    private final DomainListLookup domainList;
    private final QuarantineSummaries summaries;

    @Inject
    public QuarantineReviewRoutes(MailRepositoryStore mailRepositoryStore, AllowedOrgs allowedOrgs, ConfiguredTenants tenants,
                                  GatewayMode gateway, JsonTransformer jsonTransformer, DomainList domainList, QuarantineSummaries summaries) {
        this.mailRepositoryStore = mailRepositoryStore;
        this.summaries = summaries;
        this.domainList = new DomainListLookup(domainList, "Relay Guard quarantine review");
        this.allowedOrgs = allowedOrgs;
        this.tenants = tenants;
        this.gateway = gateway;
        this.jsonTransformer = jsonTransformer;
    }

    /** With summaries of its own, which the report's route does not share. */
    public QuarantineReviewRoutes(MailRepositoryStore mailRepositoryStore, AllowedOrgs allowedOrgs, ConfiguredTenants tenants,
                                  GatewayMode gateway, JsonTransformer jsonTransformer, DomainList domainList) {
        this(mailRepositoryStore, allowedOrgs, tenants, gateway, jsonTransformer, domainList, new QuarantineSummaries(tenants));
    }

    @Override
    public String getBasePath() {
        return QuarantineReportRoutes.BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(MAILS_PATH, this::list, jsonTransformer);
        service.get(MAIL_PATH, this::details, jsonTransformer);
        service.delete(MAIL_PATH, this::delete);
    }

    private MailListing list(Request request, Response response) {
        MailFilter filter;
        try {
            filter = MailFilter.parse(request.raw().getParameterMap());
        } catch (IllegalArgumentException e) {
            throw Quarantines.badRequest(e.getMessage());
        }
        MailRepositoryPath path = Quarantines.path(request.params("encodedPath"));
        MailListing listing = new MailListing(path.asString(), gateway, filter);
        List<MailRepository> repositories = Quarantines.repositories(mailRepositoryStore, path);
        try {
            for (MailRepository repository : repositories) {
                list(repository, listing);
            }
            complete(repositories, listing);
        } catch (MessagingException e) {
            throw Quarantines.serverError(e, "Error while reading repository '%s'", path.asString());
        }
        return listing;
    }

    /** Every mail's summary, none read again ({@link QuarantineSummaries}); the rows lack what only the mail has. */
    public void list(MailRepository repository, MailListing listing) throws MessagingException {
        summaries.forEach(repository, summary -> listing.add(QuarantinedMail.of(summary,
            DenyReason.of(summary.evidence(), allowedOrgs.values(), tenants.tenants(), this::inDomainList))));
    }

    /**
     * The listed rows (the filter's limit, 100 unless asked otherwise) read whole: sender, subject
     * and recipients are not kept per mail, since no filter tests them. A mail removed meanwhile is
     * left out.
     */
    public void complete(List<MailRepository> repositories, MailListing listing) throws MessagingException {
        listing.complete(row -> {
            for (MailRepository repository : repositories) {
                MailKey key = new MailKey(row.key);
                Mail mail = repository.retrieve(key);
                if (mail != null) {
                    try {
                        summaries.verify(repository, key, mail);
                        return Optional.of(QuarantinedMail.of(row.key, mail, reason(mail)));
                    } finally {
                        LifecycleUtil.dispose(mail);
                    }
                }
            }
            return Optional.empty();
        });
    }

    private MailDetails details(Request request, Response response) {
        Found found = find(request);
        try {
            summaries.verify(found.repository, found.key, found.mail);
            return MailDetails.of(found.key.asString(), found.mail, reason(found.mail), gateway);
        } finally {
            LifecycleUtil.dispose(found.mail);
        }
    }

    private String delete(Request request, Response response) {
        Found found = find(request);
        try {
            String line = DecisionLog.line("delete", "delete", Optional.of(DELETE_CONDITION), gateway.enforce(), gateway.getProfile(),
                found.mail, reason(found.mail));
            found.repository.remove(found.key);
            summaries.forget(found.repository, found.key);
            DECISIONS.info(line);
        } catch (MessagingException e) {
            throw Quarantines.serverError(e, "Error while deleting mail '%s'", found.key.asString());
        } finally {
            LifecycleUtil.dispose(found.mail);
        }
        response.status(HttpStatus.NO_CONTENT_204);
        return "";
    }

    private DenyReason reason(Mail mail) {
        return DenyReason.of(mail, allowedOrgs.values(), tenants.tenants(), this::inDomainList);
    }

    /** Only names a {@code domain-unowned} denial: a DomainList that cannot be read costs the line that word, nothing else. */
    private boolean inDomainList(Domain domain) {
        try {
            return domainList.contains(domain);
        } catch (MessagingException e) {
            LOGGER.warn("{}", e.getMessage(), e);
            return false;
        }
    }

    private static final class Found {
        final MailRepository repository;
        final MailKey key;
        final Mail mail;

        Found(MailRepository repository, MailKey key, Mail mail) {
            this.repository = repository;
            this.key = key;
            this.mail = mail;
        }
    }

    private Found find(Request request) {
        MailRepositoryPath path = Quarantines.path(request.params("encodedPath"));
        MailKey key = new MailKey(request.params("key"));
        List<MailRepository> repositories = Quarantines.repositories(mailRepositoryStore, path);
        try {
            for (MailRepository repository : repositories) {
                Mail mail = repository.retrieve(key);
                if (mail != null) {
                    return new Found(repository, key, mail);
                }
            }
        } catch (MessagingException e) {
            throw Quarantines.serverError(e, "Error while reading mail '%s'", key.asString());
        }
        throw Quarantines.notFound("The mail '%s' is not in the repository '%s'", key.asString(), path.asString());
    }
}
