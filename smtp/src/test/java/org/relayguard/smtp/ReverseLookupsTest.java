package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReverseLookupsTest {
    private static final InetAddress CLIENT = address("192.0.2.7");

    private final AtomicInteger lookups = new AtomicInteger();
    private final CountDownLatch answer = new CountDownLatch(1);
    private ReverseLookups reverseLookups;

    @AfterEach
    void tearDown() {
        answer.countDown();
        if (reverseLookups != null) {
            reverseLookups.close();
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private ReverseLookups start(Duration timeout, Duration cacheTtl, UnaryOperator<String> resolver) {
        return start(2, timeout, cacheTtl, resolver);
    }

    private ReverseLookups start(int threads, Duration timeout, Duration cacheTtl, UnaryOperator<String> resolver) {
        reverseLookups = new ReverseLookups(threads, timeout, cacheTtl, literal -> {
            lookups.incrementAndGet();
            return resolver.apply(literal);
        });
        return reverseLookups;
    }

    private String stalled(String literal) {
        try {
            answer.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "mail.example.net";
    }

    @Test
    void nameOfShouldGiveTheNameTheResolverGives() throws Exception {
        start(Duration.ofSeconds(5), Duration.ofMinutes(5), literal -> "mail.example.net");

        ReverseLookups.Answer name = reverseLookups.nameOf(CLIENT).get(5, TimeUnit.SECONDS);

        assertThat(name.name).isEqualTo("mail.example.net");
        assertThat(name.timedOut).isFalse();
    }

    @Test
    void nameOfShouldGiveTheIpLiteralWhenTheResolverDoesNotAnswerWithinTheTimeout() throws Exception {
        start(Duration.ofMillis(200), Duration.ofMinutes(5), this::stalled);

        ReverseLookups.Answer name = reverseLookups.nameOf(CLIENT).get(5, TimeUnit.SECONDS);

        assertThat(name.name).isEqualTo("192.0.2.7");
        assertThat(name.timedOut).isTrue();
    }

    @Test
    void nameOfShouldGiveTheIpLiteralWhenTheResolverFails() throws Exception {
        start(Duration.ofSeconds(5), Duration.ofMinutes(5), literal -> {
            throw new IllegalStateException("resolver broken");
        });

        assertThat(reverseLookups.nameOf(CLIENT).get(5, TimeUnit.SECONDS).name).isEqualTo("192.0.2.7");
    }

    @Test
    void nameOfShouldLookAnAddressUpOnceForConnectionsThatWaitForIt() throws Exception {
        start(Duration.ofSeconds(5), Duration.ofMinutes(5), this::stalled);
        var first = reverseLookups.nameOf(CLIENT);
        var second = reverseLookups.nameOf(CLIENT);
        answer.countDown();

        assertThat(first.get(5, TimeUnit.SECONDS).name).isEqualTo("mail.example.net");
        assertThat(second.get(5, TimeUnit.SECONDS).name).isEqualTo("mail.example.net");
        assertThat(lookups).hasValue(1);
    }

    @Test
    void nameOfShouldAnswerAtOnceFromTheCacheWithinItsTtl() throws Exception {
        start(Duration.ofSeconds(5), Duration.ofMinutes(5), literal -> "mail.example.net");
        reverseLookups.nameOf(CLIENT).get(5, TimeUnit.SECONDS);

        var again = reverseLookups.nameOf(CLIENT);

        assertThat(again).isDone();
        assertThat(again.get().name).isEqualTo("mail.example.net");
        assertThat(lookups).hasValue(1);
    }

    @Test
    void nameOfShouldLookUpAgainPastTheCacheTtl() throws Exception {
        start(Duration.ofSeconds(5), Duration.ofMillis(100), literal -> "mail.example.net");
        reverseLookups.nameOf(CLIENT).get(5, TimeUnit.SECONDS);
        Thread.sleep(300);

        reverseLookups.nameOf(CLIENT).get(5, TimeUnit.SECONDS);

        assertThat(lookups).hasValue(2);
    }

    @Test
    void aTimedOutLookupShouldStillServeTheNextConnectionsOnceItCame() throws Exception {
        start(Duration.ofMillis(100), Duration.ofMinutes(5), this::stalled);
        assertThat(reverseLookups.nameOf(CLIENT).get(5, TimeUnit.SECONDS).timedOut).isTrue();
        answer.countDown();
        Thread.sleep(200);

        assertThat(reverseLookups.nameOf(CLIENT).get(5, TimeUnit.SECONDS).name).isEqualTo("mail.example.net");
        assertThat(lookups).hasValue(1);
    }

    /** The attacker's network stalls, everyone else's answers at once. */
    private String stalledFor198(String literal) {
        return literal.startsWith("198.51.100.") ? stalled(literal) : "mail.example.net";
    }

    @Test
    void oneNetworkWhoseLookupsStallShouldNotTakeTheThreadsOfAnother() throws Exception {
        start(8, Duration.ofSeconds(5), Duration.ofMinutes(5), this::stalledFor198);
        for (int i = 1; i <= 50; i++) {
            reverseLookups.nameOf(address("198.51.100." + i));
        }

        ReverseLookups.Answer name = reverseLookups.nameOf(CLIENT).get(5, TimeUnit.SECONDS);

        assertThat(name.name).isEqualTo("mail.example.net");
        assertThat(name.timedOut).isFalse();
        // The stalled network's lookups start on pool threads of their own, maybe after the client's
        // answer came: wait for them to start, then see that no more than its share did.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (lookups.get() < ReverseLookups.MAX_PER_NETWORK + 1 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(100);
        assertThat(lookups).as("lookups started").hasValue(ReverseLookups.MAX_PER_NETWORK + 1);
    }

    @Test
    void anAddressPastItsNetworksShareShouldGetNoNameAtOnceAndNoneRemembered() throws Exception {
        start(8, Duration.ofSeconds(5), Duration.ofMinutes(5), this::stalledFor198);
        for (int i = 1; i <= ReverseLookups.MAX_PER_NETWORK; i++) {
            reverseLookups.nameOf(address("198.51.100." + i));
        }

        var pastTheShare = reverseLookups.nameOf(address("198.51.100.99"));

        assertThat(pastTheShare).isDone();
        assertThat(pastTheShare.get().name).isEqualTo("198.51.100.99");
        assertThat(pastTheShare.get().timedOut).isTrue();
        answer.countDown();
        Thread.sleep(200);
        assertThat(reverseLookups.nameOf(address("198.51.100.99")).get(5, TimeUnit.SECONDS).name)
            .as("looked up once the network's lookups ended").isEqualTo("mail.example.net");
    }

    @Test
    void networkShouldBeTheIpv4Slash24AndTheIpv6Slash48() {
        assertThat(ReverseLookups.network(address("198.51.100.7"))).isEqualTo(ReverseLookups.network(address("198.51.100.200")));
        assertThat(ReverseLookups.network(address("198.51.100.7"))).isNotEqualTo(ReverseLookups.network(address("198.51.101.7")));
        assertThat(ReverseLookups.network(address("2001:db8:1::1"))).isEqualTo(ReverseLookups.network(address("2001:db8:1:ffff::2")));
        assertThat(ReverseLookups.network(address("2001:db8:1::1"))).isNotEqualTo(ReverseLookups.network(address("2001:db8:2::1")));
    }
}
