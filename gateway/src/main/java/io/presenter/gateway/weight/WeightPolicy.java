package io.presenter.gateway.weight;

/**
 * Turns load samples into the weight this presenter should have in DNS. Pure and single-threaded:
 * the weight loop owns one and calls it from its own thread; tests call it directly.
 *
 * <p>The formula, per sample:
 * <pre>
 *   load     = clamp(max(connections / capacity, processCpu / cpuTarget), 0, 1)
 *   smoothed = smoothing * load + (1 - smoothing) * smoothed     (the first sample is taken as is)
 *   weight   = max(1, round(max * (1 - smoothed)))               (0 once draining)
 * </pre>
 * The worse of the two terms wins: a presenter is full when either its connection budget or its
 * CPU is used up, whichever comes first (handshake storms are CPU-bound, idle long-lived
 * connections are memory/fd-bound).
 *
 * <p>The floor of 1 while serving: Route53 treats a weighted group whose records are all 0 as if
 * they were all equal, so a fully loaded presenter at 0 beside draining ones at 0 would get the
 * same share as them. At 1 it still gets a trickle (1/sum of weights), and every draining
 * presenter's 0 keeps meaning "none".
 *
 * <p>Hysteresis: the published weight changes only when the new weight differs from it by at least
 * {@code threshold}, or when the new weight reaches an end of the range (1 or {@code max}), so a
 * presenter that becomes idle or full is always published as such even if the step is small. Each
 * change is a Route53 API call and a DNS update for the whole fleet, so wobbles must not be.
 *
 * <p>The idle band: a weight within {@code threshold} of {@code max} counts as {@code max}. Without
 * it an idle presenter never got back to the top: its idle CPU (a few percent) kept the candidate at
 * e.g. 196, which is neither {@code max} nor a threshold step away from a published 192, so 192
 * stuck for good. With it, any load below {@code threshold / max} is "idle" and published as
 * {@code max}.
 *
 * <p>Drain: {@link #drain()} makes the weight 0 from then on; there is no way back, because a
 * draining presenter is on its way out.
 */
public final class WeightPolicy {

    /** The published weight before anything was published: any weight is a change from it. */
    public static final int UNPUBLISHED = -1;

    private final int max;
    private final int threshold;
    private final double cpuTarget;
    private final double smoothing;
    private double smoothedLoad = Double.NaN;
    private boolean draining;

    public WeightPolicy(int max, int threshold, double cpuTarget, double smoothing) {
        if (max < 1 || max > WeightSettings.ROUTE53_MAX_WEIGHT || threshold < 1 || threshold > max
                || !(cpuTarget > 0 && cpuTarget <= 1) || !(smoothing > 0 && smoothing <= 1)) {
            throw new IllegalArgumentException("max " + max + ", threshold " + threshold + ", cpuTarget "
                    + cpuTarget + ", smoothing " + smoothing);
        }
        this.max = max;
        this.threshold = threshold;
        this.cpuTarget = cpuTarget;
        this.smoothing = smoothing;
    }

    public static WeightPolicy of(WeightSettings settings) {
        return new WeightPolicy(settings.max(), settings.threshold(), settings.cpuTarget(), settings.smoothing());
    }

    /** The instantaneous load of one sample, 0 (idle) to 1 (full or beyond). */
    public double load(LoadSample sample) {
        double connections = (double) sample.activeConnections() / sample.capacity();
        double cpu = sample.processCpu() / cpuTarget;
        return Math.min(1, Math.max(0, Math.max(connections, cpu)));
    }

    /**
     * Feeds one sample and returns the weight that should be in DNS, given the weight that is:
     * either {@code published} (no change worth publishing) or the new weight.
     *
     * @param published the weight last published successfully, or {@link #UNPUBLISHED}
     */
    public int next(LoadSample sample, int published) {
        double load = load(sample);
        smoothedLoad = Double.isNaN(smoothedLoad) ? load : smoothing * load + (1 - smoothing) * smoothedLoad;
        int candidate = weight();
        return changes(published, candidate) ? candidate : published;
    }

    /** The weight for the current smoothed load, before hysteresis; {@code max} before any sample. */
    public int weight() {
        if (draining) {
            return 0;
        }
        double load = Double.isNaN(smoothedLoad) ? 0 : smoothedLoad;
        int weight = (int) Math.max(1, Math.round(max * (1 - load)));
        return max - weight < threshold ? max : weight;
    }

    private boolean changes(int published, int candidate) {
        if (candidate == published) {
            return false;
        }
        return published == UNPUBLISHED
                || draining
                || Math.abs(candidate - published) >= threshold
                || candidate == 1
                || candidate == max;
    }

    /** From now on the weight is 0. */
    public void drain() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    /** The smoothed load, 0 to 1; NaN before the first sample. */
    public double smoothedLoad() {
        return smoothedLoad;
    }
}
