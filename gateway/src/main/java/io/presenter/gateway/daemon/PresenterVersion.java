package io.presenter.gateway.daemon;

import picocli.CommandLine.IVersionProvider;

/** The version Maven wrote into the jar's manifest ("dev" when run from classes). */
public final class PresenterVersion implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = PresenterVersion.class.getPackage().getImplementationVersion();
        return new String[] {"presenter " + (version == null ? "dev" : version)};
    }
}
