package org.relayguard.core.mail;

import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.InternetAddress;

import org.apache.james.core.Domain;
import org.apache.james.mime4j.util.MimeUtil;
import org.apache.mailet.Mail;
import org.relayguard.core.dns.DnsNames;
import org.relayguard.core.dns.IdnaNames;

import com.google.common.collect.ImmutableList;

/** The domains of every address of every {@code From:} instance, groups included. */
public final class FromDomains {
    private static final String FROM = "From";

    private FromDomains() {
    }

    /**
     * An address without a domain, or with an ASCII one that is no domain name, is left out. A
     * domain with characters outside ASCII (raw UTF-8 in the header, RFC 6532) counts in its A-label
     * form; one that is not valid UTF-8 or does not normalize ({@link IdnaNames#toALabels}) makes
     * the header unreadable, so that no spelling of a domain can slip past the rules.
     *
     * @throws MessagingException when the header cannot be read or an instance cannot be parsed
     */
    public static List<Domain> of(Mail mail) throws MessagingException {
        String[] instances = mail.getMessage().getHeader(FROM);
        if (instances == null) {
            return ImmutableList.of();
        }
        ImmutableList.Builder<Domain> domains = ImmutableList.builder();
        for (String instance : instances) {
            for (InternetAddress address : InternetAddress.parseHeader(MimeUtil.unfold(instance), false)) {
                add(address, domains);
            }
        }
        return domains.build();
    }

    private static void add(InternetAddress address, ImmutableList.Builder<Domain> domains) throws MessagingException {
        if (address.isGroup()) {
            for (InternetAddress member : address.getGroup(false)) {
                add(member, domains);
            }
            return;
        }
        domain(address.getAddress()).ifPresent(domains::add);
    }

    private static Optional<Domain> domain(String address) throws MessagingException {
        int at = address == null ? -1 : address.lastIndexOf('@');
        if (at < 0) {
            return Optional.empty();
        }
        String domain = address.substring(at + 1);
        if (IdnaNames.isAscii(domain)) {
            return DnsNames.canonical(domain).map(Domain::of);
        }
        // javax.mail reads header bytes one per character: UTF-8 arrives as its bytes.
        Optional<String> aLabels = IdnaNames.utf8FromLatin1(domain).flatMap(IdnaNames::toALabels);
        if (aLabels.isEmpty()) {
            throw new MessagingException("From: domain is not a valid internationalized domain name");
        }
        return aLabels.map(Domain::of);
    }
}
