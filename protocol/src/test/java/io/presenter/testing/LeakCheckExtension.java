package io.presenter.testing;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reports a leaked buffer.
 *
 * <p>Registered for every test through JUnit's extension auto-detection (see
 * {@code META-INF/services}); surefire runs with {@code -Dio.netty.leakDetection.level=paranoid}, so
 * every buffer is tracked. Netty only notices a leak when the leaked object has been collected and
 * another resource is tracked afterwards, so {@link #afterAll} forces a few GC cycles and allocates
 * tracked buffers to drain the detector's reference queue before it looks.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback {

    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        LEAKS.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<String> found = collectLeaks();
        if (!found.isEmpty()) {
            throw new AssertionError("Netty reported " + found.size() + " leak(s) in "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", found));
        }
    }

    /**
     * Collects garbage, makes the detectors poll their queues, and returns (and forgets) every leak
     * reported since the last call.
     */
    public static List<String> collectLeaks() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            // Allocating tracked buffers makes the detectors poll their reference queues.
            PooledByteBufAllocator.DEFAULT.directBuffer(16).release();
            UnpooledByteBufAllocator.DEFAULT.heapBuffer(16).release();
            // Not synchronisation: gives the JVM's reference-handler thread a moment to enqueue
            // the referents the GC just cleared; more rounds only make detection more certain.
            Thread.sleep(20);
        }
        List<String> found = List.copyOf(LEAKS);
        LEAKS.clear();
        return found;
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(
                Class<T> resource, int samplingInterval, long maxActive) {
            return new ResourceLeakDetector<>(resource, samplingInterval) {
                @Override
                protected void reportTracedLeak(String resourceType, String records) {
                    LEAKS.add("LEAK: " + resourceType + records);
                    super.reportTracedLeak(resourceType, records);
                }

                @Override
                protected void reportUntracedLeak(String resourceType) {
                    LEAKS.add("LEAK: " + resourceType + " (untraced)");
                    super.reportUntracedLeak(resourceType);
                }
            };
        }
    }
}
