package org.relayguard.server.smtp;

import javax.inject.Inject;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.lib.handler.ProtocolHandlerLoader;
import org.apache.james.protocols.netty.ChannelHandlerFactory;
import org.apache.james.smtpserver.netty.SMTPServer;
import org.apache.james.smtpserver.netty.SMTPServerFactory;
import org.apache.james.smtpserver.netty.SmtpMetricsImpl;
import org.apache.james.utils.ClassName;
import org.apache.james.utils.GuiceGenericLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import com.google.inject.Scopes;

/**
 * James's SMTP server factory whose listeners cut their input with the extension's CHUNKING frame
 * decoder ({@value #FRAMER_FACTORY}, in the {@code relayguard-smtp} jar of
 * {@code extensions-jars/}, loaded like the handlers of {@code smtpserver.xml}), so that a
 * {@code BDAT} chunk's bytes are never read as lines. Without that jar the listeners keep James's
 * framer, and the BDAT handler then offers no CHUNKING.
 */
public class ChunkingSmtpServerFactory extends SMTPServerFactory {
    static final String FRAMER_FACTORY = "org.relayguard.smtp.chunking.ChunkingFramerFactory";
    private static final Logger LOGGER = LoggerFactory.getLogger(ChunkingSmtpServerFactory.class);

    /** Binds this factory in place of James's (used through {@code overrideWith}). */
    public static final Module MODULE = new AbstractModule() {
        @Override
        protected void configure() {
            bind(SMTPServerFactory.class).to(ChunkingSmtpServerFactory.class);
            bind(ChunkingSmtpServerFactory.class).in(Scopes.SINGLETON);
        }
    };

    private final GuiceGenericLoader extensions;

    @Inject
    public ChunkingSmtpServerFactory(DNSService dns, ProtocolHandlerLoader loader, FileSystem fileSystem,
                                     MetricFactory metricFactory, GuiceGenericLoader extensions) {
        super(dns, loader, fileSystem, metricFactory);
        this.extensions = extensions;
    }

    @Override
    protected SMTPServer createServer() {
        ChannelHandlerFactory framer = framerFactory();
        if (framer == null) {
            return super.createServer();
        }
        return new ChunkingSmtpServer(smtpMetrics, framer);
    }

    private ChannelHandlerFactory framerFactory() {
        try {
            return extensions.instantiate(new ClassName(FRAMER_FACTORY));
        } catch (ClassNotFoundException e) {
            LOGGER.warn("{} is not in extensions-jars/: the SMTP listeners keep James's line framer and offer no CHUNKING", FRAMER_FACTORY);
            return null;
        } catch (RuntimeException e) {
            throw new IllegalStateException("Cannot create the SMTP frame decoder " + FRAMER_FACTORY, e);
        }
    }

    /** James's SMTP server with another frame decoder. */
    static final class ChunkingSmtpServer extends SMTPServer {
        private final ChannelHandlerFactory framer;

        ChunkingSmtpServer(SmtpMetricsImpl metrics, ChannelHandlerFactory framer) {
            super(metrics);
            this.framer = framer;
        }

        @Override
        protected ChannelHandlerFactory createFrameHandlerFactory() {
            return framer;
        }
    }
}
