package org.relayguard.webadmin;

import java.io.UnsupportedEncodingException;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.webadmin.utils.ErrorResponder;
import org.apache.james.webadmin.utils.ErrorResponder.ErrorType;
import org.eclipse.jetty.http.HttpStatus;

import spark.HaltException;

/** What the Relay Guard routes share: the repository path in the URL, the repositories behind it, the error answers. */
final class Quarantines {
    private Quarantines() {
    }

    /** Decoded as James's /mailRepositories routes decode it, so that the same path works for both. */
    static MailRepositoryPath path(String encodedPath) {
        try {
            return MailRepositoryPath.fromEncoded(encodedPath);
        } catch (UnsupportedEncodingException | IllegalArgumentException e) {
            throw badRequest("'" + encodedPath + "' is not a URL-encoded repository path");
        }
    }

    static List<MailRepository> repositories(MailRepositoryStore store, MailRepositoryPath path) {
        List<MailRepository> repositories;
        try {
            repositories = store.getByPath(path).collect(Collectors.toList());
        } catch (MailRepositoryStore.MailRepositoryStoreException e) {
            throw serverError(e, "Error while opening repository '%s'", path.asString());
        }
        if (repositories.isEmpty()) {
            throw notFound("The repository '%s' does not exist", path.asString());
        }
        return repositories;
    }

    static HaltException notFound(String message, Object... arguments) {
        return ErrorResponder.builder()
            .statusCode(HttpStatus.NOT_FOUND_404)
            .type(ErrorType.NOT_FOUND)
            .message(message, arguments)
            .haltError();
    }

    static HaltException badRequest(String message) {
        return ErrorResponder.builder()
            .statusCode(HttpStatus.BAD_REQUEST_400)
            .type(ErrorType.INVALID_ARGUMENT)
            .message(message)
            .haltError();
    }

    static HaltException serverError(Exception cause, String message, Object... arguments) {
        return ErrorResponder.builder()
            .statusCode(HttpStatus.INTERNAL_SERVER_ERROR_500)
            .type(ErrorType.SERVER_ERROR)
            .cause(cause)
            .message(message, arguments)
            .haltError();
    }
}
