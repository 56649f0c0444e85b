package org.relayguard.benchmarks;

import java.net.InetAddress;
import java.util.Collection;

import org.apache.james.dnsservice.api.DNSService;

/** The memory DomainList needs a DNSService only for auto-detection, which the benchmarks turn off. */
final class NoDnsService implements DNSService {
    @Override
    public Collection<String> findMXRecords(String hostname) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Collection<String> findTXTRecords(String hostname) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Collection<InetAddress> getAllByName(String host) {
        throw new UnsupportedOperationException();
    }

    @Override
    public InetAddress getByName(String host) {
        throw new UnsupportedOperationException();
    }

    @Override
    public InetAddress getLocalHost() {
        throw new UnsupportedOperationException();
    }

    @Override
    public String getHostName(InetAddress addr) {
        throw new UnsupportedOperationException();
    }
}
