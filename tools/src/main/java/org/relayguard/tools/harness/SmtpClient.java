package org.relayguard.tools.harness;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * A plain SMTP client on a raw socket, so that it can do what a mail library cannot: bind a chosen
 * loopback source address (which the demo hosts file names as a Microsoft 365 host) and send the
 * HAProxy PROXY v1 line that makes James see a Microsoft source address. It starts TLS on request
 * ({@link #startTls}), checking the server's certificate as Exchange Online's connector does.
 */
public final class SmtpClient implements AutoCloseable {
    private Socket socket;
    private BufferedReader in;
    private OutputStream out;
    private Optional<SSLSession> tls = Optional.empty();

    public static SmtpClient connect(int port, Optional<String> sourceAddress, Optional<String> proxiedSource) throws IOException {
        Socket socket = new Socket();
        if (sourceAddress.isPresent()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(sourceAddress.get()), 0));
        }
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
        socket.setSoTimeout(30_000);
        // What mail servers do: a reply is awaited after every flush, so Nagle's algorithm would
        // only hold the last segment back until the server's delayed ACK (40 ms on Linux).
        socket.setTcpNoDelay(true);
        SmtpClient client = new SmtpClient(socket);
        if (proxiedSource.isPresent()) {
            boolean ipv6 = proxiedSource.get().contains(":");
            client.write("PROXY " + (ipv6 ? "TCP6 " : "TCP4 ") + proxiedSource.get() + (ipv6 ? " ::1" : " 127.0.0.1") + " 40000 " + port);
        }
        client.expect(220);
        return client;
    }

    private SmtpClient(Socket socket) throws IOException {
        use(socket);
    }

    private void use(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        // The message and the final dot leave in one flush, as from a buffered mail client.
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    /**
     * EHLO, STARTTLS and the TLS handshake, as Exchange Online's connector with "Always use TLS" and
     * certificate validation does: the server's chain must lead to one of {@code trust}'s
     * authorities and its certificate must name {@code serverName} (RFC 6125, as for HTTPS). The
     * session then starts over: the next {@link #send} says EHLO again (RFC 3207).
     *
     * @return the negotiated protocol, such as {@code TLSv1.3}
     */
    public String startTls(SSLContext trust, String serverName) throws IOException {
        return startTls(trust, Optional.of(serverName));
    }

    /** As {@link #startTls(SSLContext, String)}; without a name, only the chain is checked (the demo, on 127.0.0.1). */
    public String startTls(SSLContext trust, Optional<String> serverName) throws IOException {
        Reply ehlo = command("EHLO client.example").expect(250);
        if (!ehlo.text.contains("STARTTLS")) {
            throw new IOException("the server offers no STARTTLS: " + ehlo);
        }
        command("STARTTLS").expect(220);
        SSLSocket secure = (SSLSocket) trust.getSocketFactory().createSocket(socket, serverName.orElse(null), socket.getPort(), true);
        if (serverName.isPresent()) {
            SSLParameters parameters = secure.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setServerNames(List.of(new SNIHostName(serverName.get())));
            secure.setSSLParameters(parameters);
        }
        secure.startHandshake();
        use(secure);
        tls = Optional.of(secure.getSession());
        return secure.getSession().getProtocol();
    }

    /**
     * After STARTTLS, one TLS record of the client's own making (a handshake message the JDK would
     * not send, such as a TLS 1.1 ClientHello), and the first record the server answers.
     */
    public byte[] startTlsRaw(byte[] clientRecord) throws IOException {
        command("EHLO client.example").expect(250);
        command("STARTTLS").expect(220);
        OutputStream raw = socket.getOutputStream();
        raw.write(clientRecord);
        raw.flush();
        java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
        byte[] header = new byte[5];
        in.readFully(header);
        byte[] record = new byte[5 + (((header[3] & 0xff) << 8) | (header[4] & 0xff))];
        System.arraycopy(header, 0, record, 0, 5);
        in.readFully(record, 5, record.length - 5);
        return record;
    }

    /** The TLS session, once {@link #startTls} succeeded. */
    public Optional<SSLSession> tls() {
        return tls;
    }

    /** Sends one complete mail and returns the reply to the end of DATA. */
    public Reply send(String mailFrom, List<String> rcptTo, String message) throws IOException {
        return send(mailFrom, "", rcptTo, message);
    }

    /**
     * Sends one complete mail with ESMTP parameters on MAIL FROM (such as {@code XOORG=contoso.com};
     * empty for none) and returns the reply to the end of DATA.
     */
    public Reply send(String mailFrom, String mailParameters, List<String> rcptTo, String message) throws IOException {
        return send(mailFrom, mailParameters, rcptTo, message.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends one complete mail, its bytes as they are but for line ends and dot-stuffing. */
    public Reply send(String mailFrom, List<String> rcptTo, byte[] message) throws IOException {
        return send(mailFrom, "", rcptTo, message);
    }

    public Reply send(String mailFrom, String mailParameters, List<String> rcptTo, byte[] message) throws IOException {
        ehlo();
        return transaction(mailFrom, mailParameters, rcptTo, message);
    }

    public void ehlo() throws IOException {
        command("EHLO client.example").expect(250);
    }

    /** MAIL, RCPT and DATA in the session as it stands (no new EHLO); returns the reply to the end of DATA. */
    public Reply transaction(String mailFrom, String mailParameters, List<String> rcptTo, String message) throws IOException {
        return transaction(mailFrom, mailParameters, rcptTo, message.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * One mail transaction (MAIL, RCPT, DATA) on a session that has said EHLO, as a client that
     * sends several mails over one connection does; returns the reply to the end of DATA.
     */
    public Reply transaction(String mailFrom, List<String> rcptTo, byte[] message) throws IOException {
        return transaction(mailFrom, "", rcptTo, message);
    }

    public Reply transaction(String mailFrom, String mailParameters, List<String> rcptTo, byte[] message) throws IOException {
        command("MAIL FROM:<" + mailFrom + ">" + (mailParameters.isEmpty() ? "" : " " + mailParameters)).expect(250);
        for (String rcpt : rcptTo) {
            command("RCPT TO:<" + rcpt + ">").expect(250);
        }
        command("DATA").expect(354);
        out.write(dataLines(message));
        return command(".");
    }

    /**
     * One mail transaction by CHUNKING (RFC 3030) on a session that has said EHLO: MAIL, RCPT, then
     * the message's bytes exactly as given (no line-end conversion, no dot-stuffing: BDAT has
     * neither) in BDAT chunks of {@code chunkSize} bytes, the last one marked {@code LAST}
     * ({@code BDAT 0 LAST} for an empty message). Returns the reply to the first chunk that is
     * refused, else to the last one.
     */
    public Reply transactionByBdat(String mailFrom, String mailParameters, List<String> rcptTo, byte[] message, int chunkSize) throws IOException {
        command("MAIL FROM:<" + mailFrom + ">" + (mailParameters.isEmpty() ? "" : " " + mailParameters)).expect(250);
        for (String rcpt : rcptTo) {
            command("RCPT TO:<" + rcpt + ">").expect(250);
        }
        int offset = 0;
        do {
            int length = Math.min(chunkSize, message.length - offset);
            byte[] chunk = java.util.Arrays.copyOfRange(message, offset, offset + length);
            offset += length;
            Reply reply = bdat(chunk, offset == message.length);
            if (offset == message.length || reply.code != 250) {
                return reply;
            }
        } while (true);
    }

    /** One BDAT command and its chunk in one write ({@code LAST} when it ends the message); the reply to it. */
    public Reply bdat(byte[] chunk, boolean last) throws IOException {
        out.write(("BDAT " + chunk.length + (last ? " LAST" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(chunk);
        out.flush();
        return readReply();
    }

    /** Writes bytes as they are (pipelined commands, chunks); read the replies with {@link #reply()}. */
    public void writeRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next reply of the server. */
    public Reply reply() throws IOException {
        return readReply();
    }

    /**
     * The DATA lines of a message as a real SMTP client writes them: every line end (CRLF, LF, or a
     * bare CR as in old Mac files) becomes CRLF, the last line is ended, and a line starting with a
     * dot gets a second one (RFC 5321 dot-stuffing). Other bytes, 8-bit ones included, are kept.
     */
    public static byte[] dataLines(byte[] message) {
        ByteArrayOutputStream data = new ByteArrayOutputStream(message.length + message.length / 20 + 2);
        boolean lineStart = true;
        for (int i = 0; i < message.length; i++) {
            byte b = message[i];
            if (b == '\r' || b == '\n') {
                if (b == '\r' && i + 1 < message.length && message[i + 1] == '\n') {
                    i++;
                }
                data.write('\r');
                data.write('\n');
                lineStart = true;
                continue;
            }
            if (lineStart && b == '.') {
                data.write('.');
            }
            data.write(b);
            lineStart = false;
        }
        if (!lineStart || message.length == 0) {
            data.write('\r');
            data.write('\n');
        }
        return data.toByteArray();
    }

    /** DATA and the message, after MAIL and RCPT the test wrote itself; returns the reply to the end of DATA. */
    public Reply data(String message) throws IOException {
        command("DATA").expect(354);
        out.write(dataLines(message.getBytes(StandardCharsets.UTF_8)));
        return command(".");
    }

    public Reply command(String line) throws IOException {
        write(line);
        return readReply();
    }

    private void write(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private SmtpClient expect(int code) throws IOException {
        readReply().expect(code);
        return this;
    }

    private Reply readReply() throws IOException {
        StringBuilder text = new StringBuilder();
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed by server after: " + text);
            }
            text.append(line).append('\n');
        } while (line.length() > 3 && line.charAt(3) == '-');
        return new Reply(Integer.parseInt(line.substring(0, 3)), text.toString().trim());
    }

    @Override
    public void close() throws IOException {
        try {
            write("QUIT");
        } catch (IOException ignored) {
            // the server may already have closed the connection
        }
        socket.close();
    }

    public static final class Reply {
        public final int code;
        public final String text;

        Reply(int code, String text) {
            this.code = code;
            this.text = text;
        }

        public Reply expect(int expected) throws IOException {
            if (code != expected) {
                throw new IOException("expected " + expected + " but server said: " + text);
            }
            return this;
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
