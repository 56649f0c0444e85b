package org.relayguard.mailets;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.mailet.MailetConfig;
import org.apache.mailet.MailetContext;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;

/**
 * A routing mailet's configuration as the mailet that delivers for it sees it: without the
 * routing mailet's own parameters, with the ones the routing mailet sets (a tenant's smart host and
 * queue), every other parameter read from the routing mailet's configuration when the delivering
 * mailet asks for it (so that the parameter check counts as read only what it really reads).
 */
final class DeliveryConfig implements MailetConfig {
    private final MailetConfig config;
    private final String mailetName;
    private final Set<String> hidden;
    private final Map<String, String> set;

    DeliveryConfig(MailetConfig config, String mailetName, Set<String> hidden, Map<String, String> set) {
        this.config = config;
        this.mailetName = mailetName;
        this.hidden = ImmutableSet.copyOf(hidden);
        this.set = ImmutableMap.copyOf(set);
    }

    @Override
    public String getInitParameter(String name) {
        if (set.containsKey(name)) {
            return set.get(name);
        }
        return hidden.contains(name) ? null : config.getInitParameter(name);
    }

    @Override
    public Iterator<String> getInitParameterNames() {
        List<String> names = new ArrayList<>();
        config.getInitParameterNames().forEachRemaining(names::add);
        names.removeAll(hidden);
        names.removeAll(set.keySet());
        names.addAll(set.keySet());
        return ImmutableList.copyOf(names).iterator();
    }

    @Override
    public MailetContext getMailetContext() {
        return config.getMailetContext();
    }

    @Override
    public String getMailetName() {
        return mailetName;
    }
}
