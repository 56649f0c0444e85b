package org.relayguard.smtp.chunking;

import org.apache.james.protocols.netty.AbstractChannelPipelineFactory;
import org.apache.james.protocols.netty.ChannelHandlerFactory;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

/**
 * Makes one {@link ChunkingFramer} per connection, with James's line limit. The Relay Guard
 * server's SMTP server uses it in place of James's framer; a stock James 3.8.1 never does, and
 * then {@link BdatCmdHandler} offers no CHUNKING.
 */
public class ChunkingFramerFactory implements ChannelHandlerFactory {
    @Override
    public ChannelHandler create(ChannelPipeline pipeline) {
        return new ChunkingFramer(AbstractChannelPipelineFactory.MAX_LINE_LENGTH);
    }
}
