package org.relayguard.server;

import java.util.Iterator;
import java.util.Map;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;

import com.google.common.base.Strings;
import com.google.common.collect.ImmutableMap;

/**
 * Where the server keeps the state it shares with nothing else but needs after a restart (the
 * DomainList): {@code conf/james-database.properties}, with the property names of James's own JPA
 * server, so that James's documentation applies.
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
 * from (see {@link RelayGuardServerMain}). Other {@code openjpa.*} properties are passed to OpenJPA.</p>
 */
public final class DatabaseConfiguration {
    public static final String FILE = "james-database.properties";
    static final String DRIVER = "database.driverClassName";
    static final String URL = "database.url";
    static final String USERNAME = "database.username";
    static final String PASSWORD = "database.password";
    private static final String OPENJPA_PREFIX = "openjpa";

    public static final DatabaseConfiguration EMBEDDED_DERBY = new DatabaseConfiguration(
        "org.apache.derby.jdbc.EmbeddedDriver", "jdbc:derby:var/store/derby;create=true", "", "", ImmutableMap.of());

    private final String driverClassName;
    private final String url;
    private final String username;
    private final String password;
    private final ImmutableMap<String, String> openJpaProperties;

    private DatabaseConfiguration(String driverClassName, String url, String username, String password,
                                  ImmutableMap<String, String> openJpaProperties) {
        this.driverClassName = driverClassName;
        this.url = url;
        this.username = username;
        this.password = password;
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
            Strings.nullToEmpty(file.getString(USERNAME)), Strings.nullToEmpty(file.getString(PASSWORD)), openJpa.build());
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
