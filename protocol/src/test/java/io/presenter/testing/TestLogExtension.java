package io.presenter.testing;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log file per test class: {@code <module>/target/test-logs/<test class>.log}.
 *
 * <p>In the test JVMs surefire starts, {@code logback-test-files.xml} sends every log event to the
 * file appender named {@value #APPENDER} and nothing to the console, so that {@code mvn verify}
 * prints only Maven's progress, test summaries and what tests print themselves. Before each top-level test class this
 * extension points that appender at the class's own file (events of threads the previous class
 * left behind land there too), and a failing test or lifecycle method gets the file's path added
 * to its exception as a suppressed {@link LogFile}, so the failure report names the log. Registered
 * for every test class in every module, like {@link LeakCheckExtension}.
 */
public final class TestLogExtension
        implements BeforeAllCallback, TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

    static final String APPENDER = "TEST_LOG";

    /** The directory surefire passes; logback-test-files.xml uses the same property and default. */
    public static Path directory() {
        return Path.of(System.getProperty("test.log.dir", "target/test-logs")).toAbsolutePath();
    }

    /** The log file of a test class (of its top-level class, for nested ones). */
    public static Path file(Class<?> testClass) {
        Class<?> top = testClass;
        while (top.getEnclosingClass() != null) {
            top = top.getEnclosingClass();
        }
        return directory().resolve(top.getName() + ".log");
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        FileAppender<?> appender = appender();
        if (appender == null) {
            return;
        }
        String file = file(context.getRequiredTestClass()).toString();
        if (file.equals(appender.getFile())) {
            return; // a nested class of the class already logging there
        }
        try {
            // openFile swaps the stream under the appender's lock: no event is lost or split.
            appender.openFile(file);
            appender.setFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the test log " + file, e);
        }
        Logger log = LoggerFactory.getLogger(TestLogExtension.class);
        log.info("=== {}", context.getRequiredTestClass().getName());
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw withLogFile(context, throwable);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw withLogFile(context, throwable);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw withLogFile(context, throwable);
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw withLogFile(context, throwable);
    }

    @Override
    public void handleAfterAllMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw withLogFile(context, throwable);
    }

    private static Throwable withLogFile(ExtensionContext context, Throwable throwable) {
        if (!(throwable instanceof TestAbortedException) && appender() != null) {
            throwable.addSuppressed(new LogFile(file(context.getRequiredTestClass())));
        }
        return throwable;
    }

    private static FileAppender<?> appender() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext logback)) {
            return null;
        }
        Appender<?> appender = logback.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(APPENDER);
        return appender instanceof FileAppender<?> file ? file : null;
    }

    /** Not an error: carries the path of the failed test's log into the failure report. */
    public static final class LogFile extends Exception {
        private static final long serialVersionUID = 1L;

        LogFile(Path file) {
            super("the full log of this test class: " + file, null, false, false);
        }
    }
}
