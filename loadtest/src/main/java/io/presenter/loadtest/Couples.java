package io.presenter.loadtest;

/**
 * Who is who: client {@code i} is user {@code 2 * (offset + i / 2) + i % 2} in couple
 * {@code offset + i / 2}, so clients 2k and 2k+1 are the two members of one couple, and two runs
 * (or two worker processes) with non-overlapping offsets never share a couple or a user.
 */
record Couples(long coupleOffset) {

    static int partnerIndex(int client) {
        return client ^ 1;
    }

    long coupleId(int client) {
        return coupleOffset + client / 2;
    }

    long userId(int client) {
        return 2 * coupleId(client) + client % 2;
    }
}
