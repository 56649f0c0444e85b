/**
 * DNS names as operators write them and mail carries them: one canonical form, fast sets of names and
 * suffixes, the entries of a domain set ({@code example.com}, {@code .example.com}, {@code @domainlist})
 * and James's DomainList looked up in that form.
 */
package org.relayguard.core.dns;
