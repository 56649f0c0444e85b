package org.relayguard.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.lib.DomainListConfiguration;
import org.apache.james.domainlist.memory.MemoryDomainList;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailPrioritySupport;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.queue.memory.MemoryMailQueueFactory;
import org.apache.mailet.Mail;
import org.apache.mailet.ProcessingState;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.relayguard.core.mail.MailAttributes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TenantDelivery with James's own RemoteDelivery and memory queues, delivery threads not started:
 * what each tenant's queue holds is what its smart host would be sent.
 */
class TenantDeliveryTest {
    private static final String TWO_TENANTS = "contoso: orgs contoso.onmicrosoft.com, contoso.com; domains contoso.com, contoso.onmicrosoft.com;"
        + " smarthost contoso-com.mail.protection.outlook.com"
        + " | fabrikam: orgs fabrikam.onmicrosoft.com, fabrikam.example; domains fabrikam.example, fabrikam.onmicrosoft.com;"
        + " smarthost 127.0.0.1:2526";
    private static final String CONTOSO_QUEUE = "to-m365-contoso";
    private static final String FABRIKAM_QUEUE = "to-m365-fabrikam";

    private MemoryDomainList domainList;
    private MemoryMailQueueFactory queues;
    private final List<TenantDelivery> mailets = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        domainList = new MemoryDomainList(mock(DNSService.class));
        domainList.configure(DomainListConfiguration.builder().autoDetect(false).autoDetectIp(false).build());
        for (String domain : List.of("contoso.com", "contoso.onmicrosoft.com", "fabrikam.example", "fabrikam.onmicrosoft.com", "unowned.example")) {
            domainList.addDomain(Domain.of(domain));
        }
        queues = new MemoryMailQueueFactory(new RawMailQueueItemDecoratorFactory());
    }

    @AfterEach
    void tearDown() {
        mailets.forEach(TenantDelivery::destroy);
    }

    private TenantDelivery mailet(FakeMailetConfig.Builder config) throws MessagingException {
        TenantDelivery mailet = new TenantDelivery(DeliveryServices.queueOnly(mock(DNSService.class), domainList, queues, new RecordingMetricFactory()));
        mailet.init(config.mailetName("TenantDelivery").mailetContext(FakeMailContext.defaultContext()).build());
        mailets.add(mailet);
        return mailet;
    }

    private TenantDelivery mailet(String tenants) throws MessagingException {
        return mailet(FakeMailetConfig.builder()
            .setProperty("tenants", tenants)
            .setProperty("maxRetries", "3")
            .setProperty("bounceProcessor", "bounces"));
    }

    private static FakeMail mailTo(String... recipients) throws MessagingException {
        return FakeMail.builder()
            .name("mail1")
            .sender("b@example.org")
            .recipients(recipients)
            .build();
    }

    /** The recipients of every mail in a tenant's queue, one string per mail. */
    private List<String> queued(String queue) {
        List<String> mails = new ArrayList<>();
        ManageableMailQueue.MailQueueIterator items = queues.getQueue(MailQueueName.of(queue)).orElseThrow().browse();
        while (items.hasNext()) {
            mails.add(items.next().getMail().getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(",")));
        }
        items.close();
        return mails;
    }

    private List<Mail> queuedMails(String queue) {
        List<Mail> mails = new ArrayList<>();
        ManageableMailQueue.MailQueueIterator items = queues.getQueue(MailQueueName.of(queue)).orElseThrow().browse();
        items.forEachRemaining(item -> mails.add(item.getMail()));
        items.close();
        return mails;
    }

    @Test
    void serviceShouldKeepAUtf8LocalPartFromRemoteDeliveryWhichWouldMangleIt() throws Exception {
        TenantDelivery mailet = mailet(FakeMailetConfig.builder()
            .setProperty("tenants", TWO_TENANTS)
            .setProperty("delivery", "RemoteDelivery")
            .setProperty("maxRetries", "3")
            .setProperty("bounceProcessor", "bounces"));
        FakeMail mail = FakeMail.builder().name("utf8").sender("b@example.org").recipient(new MailAddress("\"j\u00fcrgen\"@contoso.com")).build();
        mail.setAttribute(new Attribute(MailAttributes.SMTPUTF8, AttributeValue.of(true)));

        mailet.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.ERROR);
        assertThat(mail.getErrorMessage()).startsWith("5.6.7");
        assertThat(queued(CONTOSO_QUEUE)).isEmpty();
    }

    @Test
    void initShouldCreateOneQueuePerTenant() throws Exception {
        mailet(TWO_TENANTS);

        assertThat(queues.listCreatedMailQueues()).containsExactlyInAnyOrder(MailQueueName.of(CONTOSO_QUEUE), MailQueueName.of(FABRIKAM_QUEUE));
    }

    @Test
    void serviceShouldQueueEachTenantsMailOnlyInItsOwnQueue() throws Exception {
        TenantDelivery mailet = mailet(TWO_TENANTS);
        FakeMail forContoso = mailTo("user@contoso.com", "other@Contoso.OnMicrosoft.com");
        FakeMail forFabrikam = mailTo("user@fabrikam.example");

        mailet.service(forContoso);
        mailet.service(forFabrikam);

        assertThat(queued(CONTOSO_QUEUE)).containsExactly("user@contoso.com,other@contoso.onmicrosoft.com");
        assertThat(queued(FABRIKAM_QUEUE)).containsExactly("user@fabrikam.example");
        assertThat(forContoso.getState()).isEqualTo(Mail.GHOST);
        assertThat(forFabrikam.getState()).isEqualTo(Mail.GHOST);
    }

    @Test
    void serviceShouldSplitAMailForSeveralTenantsIntoOneCopyPerTenant() throws Exception {
        TenantDelivery mailet = mailet(TWO_TENANTS);
        FakeMail mail = mailTo("a@contoso.com", "b@fabrikam.example", "c@contoso.onmicrosoft.com");

        mailet.service(mail);

        assertThat(queued(CONTOSO_QUEUE)).containsExactly("a@contoso.com,c@contoso.onmicrosoft.com");
        assertThat(queued(FABRIKAM_QUEUE)).containsExactly("b@fabrikam.example");
        assertThat(queuedMails(CONTOSO_QUEUE).get(0).getMaybeSender().asString()).isEqualTo("b@example.org");
        assertThat(mail.getState()).as("the original is done with").isEqualTo(Mail.GHOST);
        assertThat(mail.getRecipients()).as("the original is not changed").hasSize(3);
    }

    @Test
    void serviceShouldSendRecipientsNoTenantOwnsToTheErrorProcessorNamingTheirDomain() throws Exception {
        TenantDelivery mailet = mailet(TWO_TENANTS);
        FakeMail mail = mailTo("a@contoso.com", "z@unowned.example", "y@Unowned.example");

        mailet.service(mail);

        assertThat(queued(CONTOSO_QUEUE)).containsExactly("a@contoso.com");
        assertThat(queued(FABRIKAM_QUEUE)).isEmpty();
        assertThat(mail.getState()).isEqualTo(Mail.ERROR);
        assertThat(mail.getRecipients()).extracting(MailAddress::asString).containsExactly("z@unowned.example", "y@unowned.example");
        assertThat(mail.getErrorMessage()).startsWith("TenantDelivery: no tenant owns unowned.example: ");
    }

    @Test
    void serviceShouldQueueNothingWhenNoTenantOwnsAnyRecipient() throws Exception {
        TenantDelivery mailet = mailet(TWO_TENANTS);
        FakeMail mail = mailTo("z@unowned.example");

        mailet.service(mail);

        assertThat(queued(CONTOSO_QUEUE)).isEmpty();
        assertThat(queued(FABRIKAM_QUEUE)).isEmpty();
        assertThat(mail.getState()).isEqualTo(Mail.ERROR);
        assertThat(mail.getRecipients()).hasSize(1);
    }

    @Test
    void serviceShouldGiveTheDomainListToTheDomainListTenantAfterTheListedDomains() throws Exception {
        TenantDelivery mailet = mailet("contoso: orgs contoso.com; domains @domainlist; smarthost mx.contoso.com"
            + " | fabrikam: orgs fabrikam.example; domains fabrikam.example; smarthost mx.fabrikam.example");
        domainList.addDomain(Domain.of("contoso.eu"));

        mailet.service(mailTo("a@contoso.eu", "b@unowned.example", "c@fabrikam.example"));

        assertThat(queued(CONTOSO_QUEUE)).containsExactly("a@contoso.eu,b@unowned.example");
        assertThat(queued(FABRIKAM_QUEUE)).containsExactly("c@fabrikam.example");
    }

    @Test
    void theShippedLoneTenantTakesEveryDomainOfTheDomainList() throws Exception {
        TenantDelivery mailet = mailet("contoso: domains @domainlist; smarthost 127.0.0.1:2525");
        FakeMail mail = mailTo("a@contoso.com", "b@fabrikam.example");

        mailet.service(mail);

        assertThat(queues.listCreatedMailQueues()).containsExactly(MailQueueName.of(CONTOSO_QUEUE));
        assertThat(queued(CONTOSO_QUEUE)).containsExactly("a@contoso.com,b@fabrikam.example");
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
    }

    @Test
    void everyTenantsRemoteDeliveryGetsTheOtherParameters() throws Exception {
        TenantDelivery mailet = mailet(FakeMailetConfig.builder()
            .setProperty("tenants", TWO_TENANTS)
            .setProperty("usePriority", "true")
            .setProperty("bounceProcessor", "bounces"));

        mailet.service(mailTo("a@contoso.com", "b@fabrikam.example"));

        assertThat(queuedMails(CONTOSO_QUEUE)).singleElement()
            .satisfies(mail -> assertThat(mail.getAttribute(MailPrioritySupport.MAIL_PRIORITY)).contains(MailPrioritySupport.HIGH_PRIORITY_ATTRIBUTE));
        assertThat(queuedMails(FABRIKAM_QUEUE)).singleElement()
            .satisfies(mail -> assertThat(mail.getAttribute(MailPrioritySupport.MAIL_PRIORITY)).contains(MailPrioritySupport.HIGH_PRIORITY_ATTRIBUTE));
        assertThat(mailet.requiredProcessingState()).containsExactly(new ProcessingState("bounces"));
    }

    @Test
    void initShouldRefuseGatewayAndOutgoingWhichAreSetPerTenant() {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder().setProperty("tenants", TWO_TENANTS).setProperty("gateway", "mx.contoso.com")))
            .isInstanceOf(MessagingException.class)
            .hasMessageStartingWith("TenantDelivery: parameter 'gateway' is set per tenant");
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder().setProperty("tenants", TWO_TENANTS).setProperty("outgoing", "to-m365")))
            .isInstanceOf(MessagingException.class)
            .hasMessageStartingWith("TenantDelivery: parameter 'outgoing' is set per tenant");
    }

    @Test
    void initShouldRequireTheTenants() {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder().setProperty("maxRetries", "3")))
            .isInstanceOf(MessagingException.class)
            .hasMessage("TenantDelivery: parameter 'tenants' is required (the tenants description)");
    }

    @Test
    void initShouldRefuseABadDescriptionNamingTheTenant() {
        assertThatThrownBy(() -> mailet("contoso: orgs contoso.com; domains contoso.com; smarthost mx.contoso.com"
                + " | fabrikam: orgs fabrikam.example; domains fabrikam.example"))
            .isInstanceOf(MessagingException.class)
            .hasMessage("TenantDelivery: tenant 'fabrikam': no smarthost");
        assertThatThrownBy(() -> mailet("contoso: orgs contoso.com; domains contoso.com; smarthost mx.contoso.com | fabrikam:"))
            .hasMessage("TenantDelivery: tenant 'fabrikam': empty (it needs domains and a smarthost)");
    }

    @Test
    void getMailetInfoShouldCountTheTenants() throws Exception {
        assertThat(mailet(TWO_TENANTS).getMailetInfo()).isEqualTo("TenantDelivery (2 tenants)");
    }
}
