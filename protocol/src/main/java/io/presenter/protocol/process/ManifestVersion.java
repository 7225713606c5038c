package io.presenter.protocol.process;

import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Every command's {@code --version}: its name and the version Maven wrote into the jar's manifest
 * ("dev" when run from classes), e.g. {@code presenter lifecycle-hook 0.1.0}.
 */
public final class ManifestVersion implements IVersionProvider {

    /** The command this provider answers for; picocli injects it. */
    @Spec
    CommandSpec spec;

    @Override
    public String[] getVersion() {
        return new String[] {spec.qualifiedName() + " " + of(spec.userObject().getClass())};
    }

    /** The manifest version of the jar {@code type} was loaded from. */
    public static String of(Class<?> type) {
        String version = type.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
