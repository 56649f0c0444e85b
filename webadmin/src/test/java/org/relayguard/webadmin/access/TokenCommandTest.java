package org.relayguard.webadmin.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;

import org.apache.james.jwt.JwtConfiguration;
import org.apache.james.jwt.JwtTokenVerifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.common.collect.ImmutableList;

class TokenCommandTest {
    @TempDir
    Path root;

    private JwtTokenVerifier jamesVerifier() throws Exception {
        String publicKey = Files.readString(root.resolve(WebAdminKeys.PUBLIC_KEY), StandardCharsets.US_ASCII);
        return JwtTokenVerifier.create(new JwtConfiguration(ImmutableList.of(publicKey)));
    }

    @Test
    void makeIfAbsentShouldWriteAPrivateKeyOnlyItsOwnerReads() throws Exception {
        assertThat(WebAdminKeys.makeIfAbsent(root)).isTrue();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve(WebAdminKeys.PRIVATE_KEY))))
            .isEqualTo("rw-------");
        assertThat(root.resolve(WebAdminKeys.PUBLIC_KEY)).exists();
    }

    @Test
    void makeIfAbsentShouldKeepAnExistingPair() throws Exception {
        WebAdminKeys.makeIfAbsent(root);
        String before = Files.readString(root.resolve(WebAdminKeys.PUBLIC_KEY));

        assertThat(WebAdminKeys.makeIfAbsent(root)).isFalse();
        assertThat(Files.readString(root.resolve(WebAdminKeys.PUBLIC_KEY))).isEqualTo(before);
    }

    @Test
    void tokenShouldBeAcceptedByJamesAsAnAdmin() throws Exception {
        WebAdminKeys.makeIfAbsent(root);
        String token = TokenCommand.token(WebAdminKeys.readPrivateKey(root.resolve(WebAdminKeys.PRIVATE_KEY)),
            "operator", Instant.now(), Duration.ofHours(1));

        JwtTokenVerifier verifier = jamesVerifier();
        assertThat(verifier.verifyAndExtractLogin(token)).contains("operator");
        assertThat(verifier.hasAttribute("admin", true, token)).isTrue();
    }

    @Test
    void expiredTokenShouldBeRefusedByJames() throws Exception {
        WebAdminKeys.makeIfAbsent(root);
        String token = TokenCommand.token(WebAdminKeys.readPrivateKey(root.resolve(WebAdminKeys.PRIVATE_KEY)),
            "operator", Instant.now().minus(Duration.ofHours(2)), Duration.ofHours(1));

        assertThat(jamesVerifier().verifyAndExtractLogin(token)).isEmpty();
    }

    @Test
    void tokenOfAnotherKeyShouldBeRefusedByJames(@TempDir Path otherRoot) throws Exception {
        WebAdminKeys.makeIfAbsent(root);
        WebAdminKeys.makeIfAbsent(otherRoot);
        String token = TokenCommand.token(WebAdminKeys.readPrivateKey(otherRoot.resolve(WebAdminKeys.PRIVATE_KEY)),
            "operator", Instant.now(), Duration.ofHours(1));

        assertThat(jamesVerifier().verifyAndExtractLogin(token)).isEmpty();
    }
}
