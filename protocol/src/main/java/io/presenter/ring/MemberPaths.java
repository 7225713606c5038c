package io.presenter.ring;

import org.apache.curator.utils.ZKPaths;

/** Where members live under a base path: {@code <basePath>/members/<memberId>}. */
final class MemberPaths {

    private static final String MEMBERS = "members";

    private MemberPaths() {
    }

    static String members(String basePath) {
        return ZKPaths.makePath(basePath, MEMBERS);
    }

    static String member(String basePath, String memberId) {
        return ZKPaths.makePath(basePath, MEMBERS, memberId);
    }
}
