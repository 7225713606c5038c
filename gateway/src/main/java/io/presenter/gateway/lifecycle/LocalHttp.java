package io.presenter.gateway.lifecycle;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;

/** The HTTP client both local services (instance metadata, the presenter's admin port) are asked with. */
final class LocalHttp {

    private LocalHttp() {}

    /** HTTP/1.1 (IMDS and the JDK's admin server), no redirects: a local service never sends one. */
    static HttpClient client(Duration connectTimeout) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** {@code base} as a directory, so relative paths resolve below it rather than beside it. */
    static URI directory(URI base) {
        String s = base.toString();
        return URI.create(s.endsWith("/") ? s : s + "/");
    }
}
