package org.jcasync.server;

import java.io.IOException;

/** What a server does with a request once it is authorized: the chunk or index protocol. */
@FunctionalInterface
public interface Service {
    /**
     * Answers one request; may block (each request has its own virtual thread).
     *
     * @throws HttpStatusException to end the request with that status and message
     * @throws IOException any other failure: 500 with its message
     */
    Reply serve(Call call) throws IOException;
}
