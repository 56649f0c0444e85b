package org.relayguard.server.startup;

import java.util.Properties;

import org.apache.james.lifecycle.api.StartUpCheck;

/**
 * Header bytes reach the next hop as received only while javax.mail reads a header byte as one
 * char: the system property {@value #PROPERTY} set to {@code true} (say in {@code JAVA_OPTS})
 * makes it read header lines as UTF-8, turning every byte that is not UTF-8 (the Latin-1 bytes
 * of much real mail) into U+FFFD before the gateway could write it back, and changes how every
 * rule reads a header. The check fails then, naming the property; the gateway sets it itself only
 * on the delivery connections that carry SMTPUTF8 mail, never JVM-wide.
 */
public class HeaderBytesCheck implements StartUpCheck {
    static final String NAME = "JVM system property mail.mime.allowutf8";
    static final String PROPERTY = "mail.mime.allowutf8";

    private final Properties system;

    public HeaderBytesCheck() {
        this(System.getProperties());
    }

    HeaderBytesCheck(Properties system) {
        this.system = system;
    }

    @Override
    public String checkName() {
        return NAME;
    }

    @Override
    public CheckResult check() {
        // As javax.mail reads it (PropUtil, default false): only "true", in any case, turns it on.
        boolean set = "true".equalsIgnoreCase(system.getProperty(PROPERTY));
        return CheckResult.builder()
            .checkName(NAME)
            .resultType(set ? ResultType.BAD : ResultType.GOOD)
            .description(set
                ? "the system property " + PROPERTY + " is set (-D" + PROPERTY + ", JAVA_OPTS): javax.mail would read header lines as UTF-8 and relay "
                    + "each header byte that is not UTF-8 as U+FFFD; remove it (delivery sets it per SMTPUTF8 connection itself)"
                : "not set: header lines are read one char per byte and relayed as received")
            .build();
    }
}
