package org.relayguard.tools.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DNS server that never answers: it takes every query on UDP and TCP port 53 of one loopback
 * address and says nothing, as a resolver does for a reverse zone whose name servers its owner
 * made unreachable on purpose. A resolver that asks it waits until its own timeout. Port 53 (the
 * only one glibc's resolver asks), so it needs root; {@link #resolvConf} is the file that points a
 * process at it ({@link JamesServer.Builder#resolvConf}).
 */
public final class SilentDnsServer implements AutoCloseable {
    /** Not 127.0.0.53, where systemd-resolved listens on many machines. */
    public static final String DEFAULT_ADDRESS = "127.53.53.53";

    private final InetAddress address;
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private final AtomicInteger queries = new AtomicInteger();

    private SilentDnsServer(InetAddress address) throws IOException {
        this.address = address;
        this.udp = new DatagramSocket(new InetSocketAddress(address, 53));
        this.tcp = new ServerSocket();
        tcp.bind(new InetSocketAddress(address, 53), 200);
        daemon("silent-dns-udp", this::takeDatagrams);
        daemon("silent-dns-tcp", this::holdConnections);
    }

    public static SilentDnsServer start() throws IOException {
        return new SilentDnsServer(InetAddress.getByName(DEFAULT_ADDRESS));
    }

    /** Whether this process may bind port 53 and run a process in a mount namespace of its own. */
    public static boolean canRun() {
        return "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare"));
    }

    public InetAddress address() {
        return address;
    }

    /** Queries received (UDP datagrams and TCP connections), none answered. */
    public int queries() {
        return queries.get();
    }

    /** A resolv.conf naming this server alone, written to {@code file}. */
    public Path resolvConf(Path file) throws IOException {
        Files.writeString(file, "nameserver " + address.getHostAddress() + "\n", StandardCharsets.US_ASCII);
        return file;
    }

    private void takeDatagrams() {
        byte[] buffer = new byte[4096];
        while (!udp.isClosed()) {
            try {
                udp.receive(new DatagramPacket(buffer, buffer.length));
                queries.incrementAndGet();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void holdConnections() {
        while (!tcp.isClosed()) {
            try {
                held.add(tcp.accept());
                queries.incrementAndGet();
            } catch (IOException e) {
                return;
            }
        }
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
            for (Socket socket : held) {
                socket.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
