package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class LogThrottleTest {
    private final AtomicLong now = new AtomicLong();
    private final LogThrottle throttle = new LogThrottle(Duration.ofMinutes(1), now::get);

    @Test
    void admitShouldLetTheFirstEventOfAnAddressBeLogged() {
        assertThat(throttle.admit("192.0.2.1")).isEqualTo(OptionalLong.of(0));
    }

    @Test
    void admitShouldLeaveOutTheOtherEventsOfThatAddressWithinTheMinute() {
        throttle.admit("192.0.2.1");
        now.addAndGet(Duration.ofSeconds(59).toNanos());

        assertThat(throttle.admit("192.0.2.1")).isEmpty();
        assertThat(throttle.admit("192.0.2.1")).isEmpty();
    }

    @Test
    void admitShouldCountTheEventsLeftOutInTheNextLoggedOne() {
        throttle.admit("192.0.2.1");
        for (int i = 0; i < 1000; i++) {
            throttle.admit("192.0.2.1");
        }
        now.addAndGet(Duration.ofMinutes(1).toNanos());

        assertThat(throttle.admit("192.0.2.1")).isEqualTo(OptionalLong.of(1000));
        assertThat(throttle.admit("192.0.2.1")).isEmpty();
    }

    @Test
    void admitShouldCountEachAddressOnItsOwn() {
        throttle.admit("192.0.2.1");

        assertThat(throttle.admit("192.0.2.2")).isEqualTo(OptionalLong.of(0));
    }
}
