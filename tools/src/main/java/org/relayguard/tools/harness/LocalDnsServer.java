package org.relayguard.tools.harness;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DNS server for tests and load runs, on UDP and TCP port 53 of one loopback address (port 53:
 * the only one glibc's resolver asks, so it needs root; {@link #resolvConf} writes the file that
 * points a process at it, {@link JamesServer.Builder#resolvConf}). It answers MX, A, AAAA and PTR
 * questions from a table the caller changes at run time, authoritatively: a name it does not know
 * gets NXDOMAIN, a known name without records of the asked type an empty NOERROR. It can be told
 * to stall, answering nothing (all questions, or those for one name; a TCP connection is then held
 * open unanswered), as a resolver does for a zone whose name servers are unreachable, so a client
 * waits for its own timeout. Two can run at once on different loopback addresses.
 *
 * <p>What comes in is untrusted: a query is parsed within its bounds (one question, plain labels of
 * at most 63 bytes, no compression pointer, a name of at most 255 bytes); anything else is answered
 * FORMERR, or dropped when even its header is incomplete. Answers carry TTL {@link #ttl} (0 unless
 * set, so a change of the table is seen at once).</p>
 */
public final class LocalDnsServer implements AutoCloseable {
    /** Not 127.0.0.53, where systemd-resolved listens on many machines. */
    public static final String DEFAULT_ADDRESS = "127.53.53.53";

    static final int TYPE_A = 1;
    static final int TYPE_PTR = 12;
    static final int TYPE_MX = 15;
    static final int TYPE_AAAA = 28;
    private static final int CLASS_IN = 1;
    private static final int NOERROR = 0;
    private static final int FORMERR = 1;
    private static final int NXDOMAIN = 3;
    private static final int NOTIMP = 4;
    private static final int UDP_LIMIT = 512;
    private static final int TCP_IDLE_MILLIS = 30_000;

    private final InetAddress address;
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private final Map<String, Map<Integer, List<byte[]>>> table = new ConcurrentHashMap<>();
    private final Set<String> stalledNames = ConcurrentHashMap.newKeySet();
    private final AtomicInteger queries = new AtomicInteger();
    private final Map<String, AtomicInteger> questions = new ConcurrentHashMap<>();
    private volatile boolean stallAll;
    private volatile int ttl;

    private LocalDnsServer(InetAddress address) throws IOException {
        this.address = address;
        this.udp = new DatagramSocket(new InetSocketAddress(address, 53));
        this.tcp = new ServerSocket();
        try {
            tcp.bind(new InetSocketAddress(address, 53), 200);
        } catch (IOException e) {
            udp.close();
            throw e;
        }
        daemon("local-dns-udp-" + address.getHostAddress(), this::serveDatagrams);
        daemon("local-dns-tcp-" + address.getHostAddress(), this::acceptConnections);
    }

    /** A server on port 53 of {@code address}, which must be a loopback address literal. */
    public static LocalDnsServer start(String address) throws IOException {
        InetAddress bound = literal(address);
        if (!bound.isLoopbackAddress()) {
            throw new IllegalArgumentException("not a loopback address: " + address);
        }
        return new LocalDnsServer(bound);
    }

    /** A server on {@value #DEFAULT_ADDRESS}. */
    public static LocalDnsServer start() throws IOException {
        return start(DEFAULT_ADDRESS);
    }

    /** A server on {@value #DEFAULT_ADDRESS} that answers nothing. */
    public static LocalDnsServer silent() throws IOException {
        LocalDnsServer server = start();
        server.stall(true);
        return server;
    }

    /** Whether this process may bind port 53 and run a process in a mount namespace of its own. */
    public static boolean canRun() {
        return "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare"));
    }

    public InetAddress address() {
        return address;
    }

    /** Adds an MX record of {@code domain} (an ASCII name: an IDN domain by its A-label). */
    public LocalDnsServer mx(String domain, int preference, String host) {
        if (preference < 0 || preference > 0xFFFF) {
            throw new IllegalArgumentException("preference: " + preference);
        }
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.write(preference >> 8);
        data.write(preference);
        writeName(data, host);
        return add(domain, TYPE_MX, data.toByteArray());
    }

    public LocalDnsServer a(String host, String ipv4) {
        InetAddress ip = literal(ipv4);
        if (ip.getAddress().length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + ipv4);
        }
        return add(host, TYPE_A, ip.getAddress());
    }

    public LocalDnsServer aaaa(String host, String ipv6) {
        InetAddress ip = literal(ipv6);
        if (!(ip instanceof Inet6Address)) {
            throw new IllegalArgumentException("not an IPv6 address: " + ipv6);
        }
        return add(host, TYPE_AAAA, ip.getAddress());
    }

    /** The name of {@code ip} (IPv4 or IPv6), under in-addr.arpa or ip6.arpa. */
    public LocalDnsServer ptr(String ip, String name) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        writeName(data, name);
        return add(reverseName(literal(ip)), TYPE_PTR, data.toByteArray());
    }

    /** Forgets every record of {@code name}: it is unknown again (NXDOMAIN). */
    public LocalDnsServer remove(String name) {
        table.remove(normalize(name));
        return this;
    }

    /** The TTL of the answers from now on, in seconds (0 unless set: nothing is cached). */
    public LocalDnsServer ttl(int seconds) {
        if (seconds < 0) {
            throw new IllegalArgumentException("ttl: " + seconds);
        }
        this.ttl = seconds;
        return this;
    }

    /** Whether to answer nothing at all from now on. */
    public LocalDnsServer stall(boolean all) {
        this.stallAll = all;
        return this;
    }

    /** Answers nothing about {@code name} from now on (any type). */
    public LocalDnsServer stall(String name) {
        stalledNames.add(normalize(name));
        return this;
    }

    /** Answers about {@code name} again. */
    public LocalDnsServer answer(String name) {
        stalledNames.remove(normalize(name));
        return this;
    }

    /** Queries received: UDP datagrams and queries read on TCP (a TCP connection held unread counts one), answered or not. */
    public int queries() {
        return queries.get();
    }

    /** Questions received about {@code name} of {@code type} ("MX", "A", "AAAA", "PTR"), answered or not. */
    public int queries(String type, String name) {
        AtomicInteger count = questions.get(type.toUpperCase(Locale.ROOT) + " " + normalize(name));
        return count == null ? 0 : count.get();
    }

    /** A resolv.conf naming this server alone, written to {@code file}. */
    public Path resolvConf(Path file) throws IOException {
        Files.writeString(file, "nameserver " + address.getHostAddress() + "\n", StandardCharsets.US_ASCII);
        return file;
    }

    private LocalDnsServer add(String name, int type, byte[] data) {
        table.computeIfAbsent(normalize(name), key -> new ConcurrentHashMap<>())
            .computeIfAbsent(type, key -> new CopyOnWriteArrayList<>())
            .add(data);
        return this;
    }

    // --- serving -----------------------------------------------------------------------------

    private void serveDatagrams() {
        byte[] buffer = new byte[UDP_LIMIT * 8];
        while (!udp.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                udp.receive(packet);
            } catch (IOException e) {
                return;
            }
            queries.incrementAndGet();
            byte[] reply = reply(Arrays.copyOf(packet.getData(), packet.getLength()), true);
            if (reply != null) {
                try {
                    udp.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
                } catch (IOException e) {
                    if (udp.isClosed()) {
                        return;
                    }
                }
            }
        }
    }

    private void acceptConnections() {
        while (!tcp.isClosed()) {
            Socket socket;
            try {
                socket = tcp.accept();
            } catch (IOException e) {
                return;
            }
            connections.add(socket);
            daemon("local-dns-tcp-connection", () -> serve(socket));
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setSoTimeout(TCP_IDLE_MILLIS);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (true) {
                if (stallAll) {
                    // Held open, unread, until the client gives up or the server closes.
                    queries.incrementAndGet();
                    holdUntilClosed(socket.getInputStream());
                    return;
                }
                int length;
                try {
                    length = in.readUnsignedShort();
                } catch (EOFException | SocketTimeoutException e) {
                    return;
                }
                byte[] query = new byte[length];
                in.readFully(query);
                queries.incrementAndGet();
                byte[] reply = reply(query, false);
                if (reply == null) {
                    holdUntilClosed(socket.getInputStream());
                    return;
                }
                out.write(reply.length >> 8);
                out.write(reply.length);
                out.write(reply);
                out.flush();
            }
        } catch (IOException e) {
            // The client went away or the server closed: nothing to answer.
        } finally {
            connections.remove(socket);
        }
    }

    private static void holdUntilClosed(InputStream in) throws IOException {
        byte[] discard = new byte[512];
        while (true) {
            try {
                if (in.read(discard) < 0) {
                    return;
                }
            } catch (SocketTimeoutException e) {
                // Still held.
            }
        }
    }

    /** The reply to {@code query}, or null to say nothing (stalled, or not even a header). */
    byte[] reply(byte[] query, boolean udpLimit) {
        if (stallAll || query.length < 12) {
            return null;
        }
        int flags = u16(query, 2);
        if ((flags & 0x8000) != 0) {
            return null; // a response: never answered (no reflection loops)
        }
        int opcode = (flags >> 11) & 0xF;
        if (opcode != 0) {
            return header(query, NOTIMP, 0, 0, -1);
        }
        if (u16(query, 4) != 1) {
            return header(query, FORMERR, 0, 0, -1);
        }
        int position = 12;
        StringBuilder name = new StringBuilder();
        int nameBytes = 0;
        while (true) {
            if (position >= query.length) {
                return header(query, FORMERR, 0, 0, -1);
            }
            int length = query[position] & 0xFF;
            position++;
            nameBytes++;
            if (length == 0) {
                break;
            }
            if (length > 63 || position + length > query.length || nameBytes + length > 255) {
                return header(query, FORMERR, 0, 0, -1); // compression pointers, over-long labels, cut short
            }
            if (name.length() > 0) {
                name.append('.');
            }
            for (int i = 0; i < length; i++) {
                name.append(printable(query[position + i]));
            }
            position += length;
            nameBytes += length;
        }
        if (position + 4 > query.length) {
            return header(query, FORMERR, 0, 0, -1);
        }
        int type = u16(query, position);
        int qclass = u16(query, position + 2);
        int questionEnd = position + 4;
        String key = name.toString().toLowerCase(Locale.ROOT);
        countQuestion(typeName(type) + " " + key);
        if (stalledNames.contains(key)) {
            return null;
        }
        if (qclass != CLASS_IN) {
            return header(query, NOTIMP, questionEnd, 0, -1);
        }
        Map<Integer, List<byte[]>> records = table.get(key);
        if (records == null) {
            return header(query, NXDOMAIN, questionEnd, 0, -1);
        }
        List<byte[]> answers = new ArrayList<>(records.getOrDefault(type, List.of()));
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        byte[] head = header(query, NOERROR, questionEnd, answers.size(), -1);
        reply.write(head, 0, head.length);
        int seconds = ttl;
        for (byte[] data : answers) {
            reply.write(0xC0); // the name: a pointer to the question's
            reply.write(12);
            reply.write(type >> 8);
            reply.write(type);
            reply.write(0);
            reply.write(CLASS_IN);
            reply.write(seconds >>> 24);
            reply.write(seconds >>> 16);
            reply.write(seconds >>> 8);
            reply.write(seconds);
            reply.write(data.length >> 8);
            reply.write(data.length);
            reply.write(data, 0, data.length);
        }
        byte[] full = reply.toByteArray();
        if (udpLimit && full.length > UDP_LIMIT) {
            return header(query, NOERROR, questionEnd, 0, 0x0200); // TC: ask again over TCP
        }
        return full;
    }

    /** A reply header echoing the query's id, RD and first {@code questionEnd} bytes (its question, if any). */
    private static byte[] header(byte[] query, int rcode, int questionEnd, int answers, int extraFlags) {
        int end = Math.max(questionEnd, 12);
        byte[] reply = Arrays.copyOf(query, end);
        int rd = u16(query, 2) & 0x0100;
        int flags = 0x8000 | 0x0400 | rd | 0x0080 | rcode | (extraFlags > 0 ? extraFlags : 0); // QR, AA, RD, RA
        reply[2] = (byte) (flags >> 8);
        reply[3] = (byte) flags;
        int questions = questionEnd > 12 ? 1 : 0;
        reply[4] = 0;
        reply[5] = (byte) questions;
        reply[6] = (byte) (answers >> 8);
        reply[7] = (byte) answers;
        Arrays.fill(reply, 8, 12, (byte) 0);
        return reply;
    }

    private void countQuestion(String key) {
        AtomicInteger count = questions.get(key);
        if (count == null && questions.size() < 10_000) {
            count = questions.computeIfAbsent(key, k -> new AtomicInteger());
        }
        if (count != null) {
            count.incrementAndGet();
        }
    }

    // --- names -------------------------------------------------------------------------------

    private static String typeName(int type) {
        switch (type) {
            case TYPE_A:
                return "A";
            case TYPE_PTR:
                return "PTR";
            case TYPE_MX:
                return "MX";
            case TYPE_AAAA:
                return "AAAA";
            default:
                return "TYPE" + type;
        }
    }

    private static char printable(byte b) {
        int c = b & 0xFF;
        return c > 0x20 && c < 0x7F && c != '.' ? (char) c : '?'; // a dot inside a label is not a separator
    }

    /** Lower case, without a trailing dot; ASCII only (an IDN by its A-label). */
    static String normalize(String name) {
        String trimmed = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (trimmed.isEmpty() || trimmed.length() > 253) {
            throw new IllegalArgumentException("not a domain name: " + name);
        }
        for (String label : trimmed.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || !label.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
                throw new IllegalArgumentException("not an ASCII domain name: " + name);
            }
        }
        return trimmed.toLowerCase(Locale.ROOT);
    }

    private static void writeName(ByteArrayOutputStream out, String name) {
        for (String label : normalize(name).split("\\.")) {
            byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
            out.write(bytes.length);
            out.write(bytes, 0, bytes.length);
        }
        out.write(0);
    }

    static String reverseName(InetAddress ip) {
        byte[] bytes = ip.getAddress();
        StringBuilder name = new StringBuilder();
        if (bytes.length == 4) {
            for (int i = 3; i >= 0; i--) {
                name.append(bytes[i] & 0xFF).append('.');
            }
            return name.append("in-addr.arpa").toString();
        }
        for (int i = bytes.length - 1; i >= 0; i--) {
            name.append(Character.forDigit(bytes[i] & 0xF, 16)).append('.')
                .append(Character.forDigit((bytes[i] >> 4) & 0xF, 16)).append('.');
        }
        return name.append("ip6.arpa").toString();
    }

    /** An IP address literal, never looked up. */
    private static InetAddress literal(String ip) {
        boolean v4 = ip.matches("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
        boolean v6 = ip.contains(":") && ip.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            throw new IllegalArgumentException("not an IP address literal: " + ip);
        }
        try {
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address literal: " + ip, e);
        }
    }

    private static int u16(byte[] bytes, int offset) {
        return ((bytes[offset] & 0xFF) << 8) | (bytes[offset + 1] & 0xFF);
    }

    private static void daemon(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() {
        udp.close();
        try {
            tcp.close();
        } catch (IOException e) {
            // Closing: nothing more to do with it.
        }
        for (Socket socket : connections) {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing.
            }
        }
    }
}
