package org.relayguard.tools.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.relayguard.tools.harness.FileTrees;

/**
 * Lays out {@code ./run.sh}'s server root {@code run/} from the built server: {@code conf/} once, and
 * then the operator's; {@code extensions-jars/} refreshed on every run.
 *
 * <p>{@code conf/mailetcontainer.xml} is the chosen profile's. A missing file, or the other profile's
 * file as shipped, is replaced (nothing of the operator's is lost). A file the operator edited is kept,
 * unless it is an edit of the other profile: then run.sh stops, as replacing it would lose the edits.
 * Every other shipped file is copied when missing and named when it differs from the shipped one; in a
 * folder ({@code conf/tls/}) only missing files are copied, since the certificate there is the
 * operator's. {@code run/profile} remembers which profile was laid out.</p>
 *
 * <p>Usage: {@code RunRoot ROOT SERVER PROFILE} ({@code hardened} or {@code proofpoint}); a refusal is
 * printed as run.sh's own and exits 1.</p>
 */
public final class RunRoot {
    private static final String MAILETCONTAINER = "mailetcontainer.xml";

    private final Path root;
    private final Path server;
    private final String profile;

    public RunRoot(Path root, Path server, String profile) {
        this.root = root;
        this.server = server;
        this.profile = profile;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3 || !(args[2].equals("hardened") || args[2].equals("proofpoint"))) {
            System.err.println("usage: RunRoot ROOT SERVER hardened|proofpoint");
            System.exit(2);
        }
        try {
            new RunRoot(Path.of(args[0]), Path.of(args[1]), args[2]).layOut().forEach(System.out::println);
        } catch (Refused refused) {
            System.err.println("run.sh: " + refused.getMessage());
            System.exit(1);
        }
    }

    /** Lays out run/ and returns what run.sh says about it, one line each. */
    public List<String> layOut() throws IOException {
        List<String> said = new ArrayList<>();
        Path conf = Files.createDirectories(root.resolve("conf"));
        List<String> edited = new ArrayList<>();
        layOutMailetContainer(conf.resolve(MAILETCONTAINER), said, edited);
        Files.writeString(root.resolve("profile"), profile + "\n");
        for (Path shipped : sorted(server.resolve("conf"))) {
            String name = shipped.getFileName().toString();
            Path ours = conf.resolve(name);
            if (name.equals(MAILETCONTAINER)) {
                continue;
            } else if (Files.isDirectory(shipped)) {
                Files.createDirectories(ours);
                for (Path file : sorted(shipped)) {
                    Path target = ours.resolve(file.getFileName().toString());
                    if (!Files.exists(target)) {
                        Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            } else if (!Files.exists(ours)) {
                Files.copy(shipped, ours, StandardCopyOption.COPY_ATTRIBUTES);
            } else if (!sameBytes(shipped, ours)) {
                edited.add(name);
            }
        }
        if (!edited.isEmpty()) {
            said.add("run/conf differs from the shipped configuration in: " + String.join(" ", edited)
                + " (kept; delete a file to get the shipped one back).");
        }
        Path jars = root.resolve("extensions-jars");
        FileTrees.delete(jars);
        FileTrees.copy(server.resolve("extensions-jars"), jars);
        return said;
    }

    private void layOutMailetContainer(Path ours, List<String> said, List<String> edited) throws IOException {
        String otherProfile = profile.equals("proofpoint") ? "hardened" : "proofpoint";
        Path wanted = shippedMailetContainer(profile);
        if (!Files.exists(ours) || sameBytes(ours, shippedMailetContainer(otherProfile))) {
            if (Files.exists(ours)) {
                said.add("run/conf/mailetcontainer.xml: switching to the " + profile + " profile.");
            }
            Files.copy(wanted, ours, StandardCopyOption.REPLACE_EXISTING);
        } else if (!sameBytes(ours, wanted)) {
            Path remembered = root.resolve("profile");
            String laidOut = Files.exists(remembered) ? Files.readString(remembered).trim() : profile;
            if (!laidOut.equals(profile)) {
                throw new Refused("run/conf/mailetcontainer.xml holds your edits of the " + laidOut + " profile."
                    + " Move it away, and run.sh lays out the shipped " + profile + " profile in its place.");
            }
            edited.add(MAILETCONTAINER);
        }
    }

    private Path shippedMailetContainer(String name) {
        return name.equals("proofpoint")
            ? server.resolve("profiles/proofpoint").resolve(MAILETCONTAINER)
            : server.resolve("conf").resolve(MAILETCONTAINER);
    }

    private static boolean sameBytes(Path a, Path b) throws IOException {
        return Files.isRegularFile(a) && Files.isRegularFile(b) && Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    private static List<Path> sorted(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.sorted().collect(Collectors.toList());
        }
    }

    /** A layout that would lose the operator's edits. */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }
}
