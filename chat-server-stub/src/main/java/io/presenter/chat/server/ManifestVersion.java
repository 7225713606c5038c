package io.presenter.chat.server;

import picocli.CommandLine.IVersionProvider;

/** The version Maven wrote into the jar's manifest ("dev" when run from classes). */
public final class ManifestVersion implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = ManifestVersion.class.getPackage().getImplementationVersion();
        return new String[] {"presenter " + (version == null ? "dev" : version)};
    }
}
