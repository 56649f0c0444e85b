package org.relayguard.server.tls;

import java.io.File;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.lifecycle.api.StartUpCheck;
import org.apache.james.protocols.lib.LegacyJavaEncryptionFactory;
import org.apache.james.protocols.lib.SslConfig;
import org.apache.james.server.core.configuration.ConfigurationProvider;

/**
 * Before the SMTP listeners start: each one with TLS in {@code smtpserver.xml} can read its key and
 * certificates, and the message of any failure names the listener, the parameter and the file.
 * James 3.8.1 stops on such a failure too, but a file it cannot parse is reported as
 * "Received an unsupported private key type" with no file named; with two listeners and a renewal
 * under way, the operator should not have to guess.
 *
 * <p>The key material is loaded by James's own code ({@link SslConfig}, the
 * {@link LegacyJavaEncryptionFactory} the listeners use), so what passes here passes there.</p>
 */
public class ListenerTlsCheck implements StartUpCheck {
    static final String NAME = "smtpserver.xml TLS";
    private static final String COMPONENT = "smtpserver";

    private final ConfigurationProvider configurationProvider;
    private final FileSystem fileSystem;

    @Inject
    public ListenerTlsCheck(ConfigurationProvider configurationProvider, FileSystem fileSystem) {
        this.configurationProvider = configurationProvider;
        this.fileSystem = fileSystem;
    }

    @Override
    public CheckResult check() {
        List<String> problems = new ArrayList<>();
        try {
            for (HierarchicalConfiguration<ImmutableNode> listener : configurationProvider.getConfiguration(COMPONENT).configurationsAt(COMPONENT)) {
                if (listener.getBoolean("[@enabled]", true)) {
                    problems.addAll(problems(listener.getString("jmxName", COMPONENT), listener));
                }
            }
        } catch (ConfigurationException e) {
            problems.add("smtpserver.xml: " + e.getMessage());
        }
        return CheckResult.builder()
            .checkName(NAME)
            .resultType(problems.isEmpty() ? ResultType.GOOD : ResultType.BAD)
            .description(problems.isEmpty() ? "every listener with TLS can read its key and certificates" : String.join("; ", problems))
            .build();
    }

    private List<String> problems(String listener, HierarchicalConfiguration<ImmutableNode> configuration) {
        SslConfig tls;
        try {
            tls = SslConfig.parse(configuration);
        } catch (ConfigurationException e) {
            return List.of(where(listener) + e.getMessage());
        }
        if (!tls.useStartTLS() && !tls.useSSL()) {
            return List.of();
        }
        Map<String, String> files = files(tls);
        List<String> problems = new ArrayList<>();
        files.forEach((parameter, url) -> unreadable(url).ifPresent(reason -> problems.add(where(listener) + "tls." + parameter + " " + reason)));
        if (!problems.isEmpty()) {
            return problems;
        }
        try {
            new LegacyJavaEncryptionFactory(fileSystem, tls).create();
            return List.of();
        } catch (Exception e) {
            List<String> named = new ArrayList<>();
            files.forEach((parameter, url) -> named.add("tls." + parameter + " " + path(url)));
            return List.of(where(listener) + "cannot load " + String.join(" with ", named) + ": " + causes(e));
        }
    }

    private static String where(String listener) {
        return "listener " + listener + ": ";
    }

    private static Map<String, String> files(SslConfig tls) {
        Map<String, String> files = new LinkedHashMap<>();
        if (tls.getKeystore() != null) {
            files.put("keystore", tls.getKeystore());
        } else {
            files.put("privateKey", tls.getPrivateKey());
            files.put("certificates", tls.getCertificates());
        }
        return files;
    }

    private Optional<String> unreadable(String url) {
        File file;
        try {
            file = fileSystem.getFile(url);
        } catch (FileNotFoundException e) {
            // Not a file (classpath:, a URL): James's own loading below tells.
            return Optional.empty();
        }
        if (!file.exists()) {
            return Optional.of(file.getAbsolutePath() + ": no such file");
        }
        if (!file.isFile() || !Files.isReadable(file.toPath())) {
            return Optional.of(file.getAbsolutePath() + ": not a readable file");
        }
        return Optional.empty();
    }

    private String path(String url) {
        try {
            return fileSystem.getFile(url).getAbsolutePath();
        } catch (FileNotFoundException e) {
            return url;
        }
    }

    /** The exception and its causes, each once: James's loaders often repeat the cause's message. */
    private static String causes(Throwable failure) {
        List<String> messages = new ArrayList<>();
        String previous = null;
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (!Objects.equals(cause.getMessage(), previous)) {
                messages.add(cause.getClass().getSimpleName() + ": " + cause.getMessage());
            }
            previous = cause.getMessage();
        }
        return String.join(" <- ", messages);
    }

    @Override
    public String checkName() {
        return NAME;
    }
}
