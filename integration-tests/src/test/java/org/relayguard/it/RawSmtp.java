package org.relayguard.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * SMTP as a hostile or careless client speaks it: a plain socket from a chosen loopback source,
 * lines written when the test says, replies read one line at a time (or never). For the tests that
 * need what {@link org.relayguard.tools.harness.SmtpClient} will not do.
 */
final class RawSmtp {
    private RawSmtp() {
    }

    /** A connection to the listener on {@code port} from {@code source}, with 10 s to connect and 30 s per read. */
    static Socket connect(String source, int port) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
        socket.setSoTimeout(30_000);
        return socket;
    }

    /** Writes {@code lines} and a CRLF. */
    static void send(Socket socket, String lines) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write((lines + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** One reply line without its line end; empty at the end of the stream. */
    static String readLine(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }
}
