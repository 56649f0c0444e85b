package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MaybeSender;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPConfiguration;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DiskSpaceGuardTest {
    private static final long MB = 1024 * 1024;

    private final AtomicLong free = new AtomicLong();
    private final AtomicLong now = new AtomicLong();
    private final AtomicInteger reads = new AtomicInteger();
    private RecordingMetricFactory metrics;
    private DiskSpaceGuard guard;

    @BeforeEach
    void setUp() {
        metrics = new RecordingMetricFactory();
        VolumeFreeSpace volume = new VolumeFreeSpace(() -> {
            reads.incrementAndGet();
            return free.get();
        }, now::get);
        guard = new DiskSpaceGuard(volume, new LowSpaceEpisodes(metrics));
    }

    private void init(String minFreeSpace) throws ConfigurationException {
        BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
        config.addProperty(DiskSpaceGuard.MIN_FREE_SPACE, minFreeSpace);
        guard.init(config);
    }

    private HookResult mail(Optional<Integer> declaredSize, long maxMessageSize) {
        SMTPSession session = mock(SMTPSession.class);
        SMTPConfiguration configuration = mock(SMTPConfiguration.class);
        when(configuration.getMaxMessageSize()).thenReturn(maxMessageSize);
        when(session.getConfiguration()).thenReturn(configuration);
        when(session.getAttachment(DiskSpaceGuard.DECLARED_SIZE, ProtocolSession.State.Transaction)).thenReturn(declaredSize);
        return guard.doMail(session, MaybeSender.nullSender());
    }

    private void later() {
        now.addAndGet(2_000_000_000L);
    }

    @Test
    void doMailShouldAnswer452WhenTheFreeSpaceIsBelowTheThreshold() throws Exception {
        init("16M");
        free.set(15 * MB);

        HookResult result = mail(Optional.empty(), 0);

        assertThat(result.getResult()).isEqualTo(HookReturnCode.denySoft());
        assertThat(result.getSmtpRetCode()).isEqualTo("452");
        assertThat(result.getSmtpDescription()).isEqualTo("4.3.1 Insufficient system storage");
        assertThat(metrics.countFor(LowSpaceEpisodes.REFUSED_METRIC)).isEqualTo(1);
    }

    @Test
    void doMailShouldAcceptAgainOnceTheSpaceIsBack() throws Exception {
        init("16M");
        free.set(MB);
        mail(Optional.empty(), 0);
        free.set(17 * MB);
        later();

        assertThat(mail(Optional.empty(), 0)).isEqualTo(HookResult.DECLINED);
    }

    @Test
    void doMailShouldRefuseADeclaredSizeThatWouldTakeTheVolumeBelowTheThreshold() throws Exception {
        init("16M");
        free.set(20 * MB);

        assertThat(mail(Optional.of((int) (5 * MB)), 0).getSmtpRetCode()).isEqualTo("452");
        assertThat(mail(Optional.of((int) (3 * MB)), 0)).isEqualTo(HookResult.DECLINED);
    }

    @Test
    void autoShouldBeTheLargerOfOneGigabyteAndOneAndAHalfTimesTheMessageSizeLimit() throws Exception {
        init("auto");

        assertThat(guard.threshold(150 * MB)).isEqualTo(1024 * MB);
        assertThat(guard.threshold(0)).isEqualTo(1024 * MB);
        assertThat(guard.threshold(1024 * MB)).isEqualTo(1536 * MB);
    }

    @Test
    void doMailShouldReadTheVolumeAtMostOnceASecond() throws Exception {
        init("1M");
        free.set(100 * MB);
        for (int i = 0; i < 1000; i++) {
            mail(Optional.empty(), 0);
        }
        assertThat(reads.get()).isEqualTo(1);

        later();
        mail(Optional.empty(), 0);
        assertThat(reads.get()).isEqualTo(2);
    }

    @Test
    void doMailShouldLetTheQueueDecideWhenTheVolumeCannotBeRead() throws Exception {
        init("16M");
        free.set(-1);

        assertThat(mail(Optional.empty(), 0)).isEqualTo(HookResult.DECLINED);
    }

    @Test
    void initShouldParseSizesWithUnits() throws Exception {
        assertThat(DiskSpaceGuard.parse("512")).contains(512L);
        assertThat(DiskSpaceGuard.parse("64k")).contains(64 * 1024L);
        assertThat(DiskSpaceGuard.parse(" 2G ")).contains(2048 * MB);
        assertThat(DiskSpaceGuard.parse("AUTO")).isEmpty();
    }

    @Test
    void badParametersStopStartUpNamingTheHandlerAndTheParameter() {
        for (String bad : new String[] {"", "-1", "1.5G", "2T", "lots", "99999999999999G"}) {
            assertThatThrownBy(() -> init(bad)).as(bad)
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("DiskSpaceGuard")
                .hasMessageContaining("minFreeSpace");
        }
    }
}
