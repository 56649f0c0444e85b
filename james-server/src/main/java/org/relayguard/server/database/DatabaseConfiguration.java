package org.relayguard.server.database;

import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;

import com.google.common.base.Strings;
import com.google.common.collect.ImmutableMap;

/**
 * Where the server keeps its database state (the DomainList, and a {@code jpa://} quarantine):
 * {@code conf/james-database.properties}, with the property names of James's own JPA server, so
 * that James's documentation applies.
 *
 * <pre>
 * database.driverClassName=org.apache.derby.jdbc.EmbeddedDriver
 * database.url=jdbc:derby:var/store/derby;create=true
 * database.username=app
 * database.password=app
 * </pre>
 *
 * <p>Without the file, embedded Derby under {@code var/store/derby}. A relative Derby path is
 * relative to the server root ({@code working.directory}), not to the directory James was started
 * from (see {@link org.relayguard.server.RelayGuardServerMain}). Other {@code openjpa.*}
 * properties are passed to OpenJPA.</p>
 *
 * <p>{@code relayguard.domainlist.copy} ({@code true|false}) says whether the DomainList is answered
 * from a copy in memory ({@link org.relayguard.server.domainlist.CachingDomainList}). By default it
 * is for embedded Derby, which no other server can open, and it is not for any other database, which
 * other gateways may share: there a domain added on one node must count on every node for the very next mail, so each question is
 * asked of the database.</p>
 */
public final class DatabaseConfiguration {
    public static final String FILE = "james-database.properties";
    static final String DRIVER = "database.driverClassName";
    static final String URL = "database.url";
    static final String USERNAME = "database.username";
    static final String PASSWORD = "database.password";
    public static final String DOMAIN_LIST_COPY = "relayguard.domainlist.copy";
    private static final String EMBEDDED_DERBY_URL = "jdbc:derby:";
    private static final String DERBY_NETWORK_URL = "jdbc:derby://";
    private static final String OPENJPA_PREFIX = "openjpa";

    public static final DatabaseConfiguration EMBEDDED_DERBY = new DatabaseConfiguration(
        "org.apache.derby.jdbc.EmbeddedDriver", "jdbc:derby:var/store/derby;create=true", "", "", true, ImmutableMap.of());

    private final String driverClassName;
    private final String url;
    private final String username;
    private final String password;
    private final boolean domainListCopy;
    private final ImmutableMap<String, String> openJpaProperties;

    private DatabaseConfiguration(String driverClassName, String url, String username, String password,
                                  boolean domainListCopy, ImmutableMap<String, String> openJpaProperties) {
        this.driverClassName = driverClassName;
        this.url = url;
        this.username = username;
        this.password = password;
        this.domainListCopy = domainListCopy;
        this.openJpaProperties = openJpaProperties;
    }

    public static DatabaseConfiguration from(Configuration file) throws ConfigurationException {
        String driver = required(file, DRIVER);
        String url = required(file, URL);
        try {
            Class.forName(driver);
        } catch (ClassNotFoundException e) {
            throw new ConfigurationException(FILE + ": " + DRIVER + " " + driver + " is not on James's class path (lib/)");
        }
        ImmutableMap.Builder<String, String> openJpa = ImmutableMap.builder();
        for (Iterator<String> keys = file.getKeys(OPENJPA_PREFIX); keys.hasNext(); ) {
            String key = keys.next();
            openJpa.put(key, file.getString(key));
        }
        return new DatabaseConfiguration(driver, url,
            Strings.nullToEmpty(file.getString(USERNAME)), Strings.nullToEmpty(file.getString(PASSWORD)),
            domainListCopy(file, isEmbedded(url)), openJpa.build());
    }

    private static boolean domainListCopy(Configuration file, boolean byDefault) throws ConfigurationException {
        String value = file.getString(DOMAIN_LIST_COPY);
        if (Strings.isNullOrEmpty(value)) {
            return byDefault;
        }
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new ConfigurationException(FILE + ": " + DOMAIN_LIST_COPY + " must be true or false, not '" + value + "'");
        }
    }

    /** Embedded Derby: a database only this JVM can open, so nothing else changes it. */
    private static boolean isEmbedded(String url) {
        return url.startsWith(EMBEDDED_DERBY_URL) && !url.startsWith(DERBY_NETWORK_URL);
    }

    private static String required(Configuration file, String key) throws ConfigurationException {
        String value = file.getString(key);
        if (Strings.isNullOrEmpty(value) || value.isBlank()) {
            throw new ConfigurationException(FILE + ": " + key + " is required");
        }
        return value.trim();
    }

    public String url() {
        return url;
    }

    public String driverClassName() {
        return driverClassName;
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    /** Embedded Derby: a database only this JVM can open. */
    public boolean isEmbedded() {
        return isEmbedded(url);
    }

    /** Whether the DomainList is answered from a copy in memory (see the class comment). */
    public boolean domainListCopy() {
        return domainListCopy;
    }

    /** The properties OpenJPA is created with. */
    Map<String, String> openJpaProperties() {
        ImmutableMap.Builder<String, String> properties = ImmutableMap.<String, String>builder()
            .put("openjpa.ConnectionDriverName", driverClassName)
            .put("openjpa.ConnectionURL", url);
        if (!username.isEmpty()) {
            properties.put("openjpa.ConnectionUserName", username);
            properties.put("openjpa.ConnectionPassword", password);
        }
        openJpaProperties.forEach((key, value) -> {
            if (!key.equals("openjpa.ConnectionURL") && !key.equals("openjpa.ConnectionDriverName")
                && !key.equals("openjpa.ConnectionUserName") && !key.equals("openjpa.ConnectionPassword")) {
                properties.put(key, value);
            }
        });
        return properties.build();
    }
}
