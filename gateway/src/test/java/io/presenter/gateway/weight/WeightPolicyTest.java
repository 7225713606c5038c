package io.presenter.gateway.weight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WeightPolicyTest {

    private static final int CAPACITY = 1000;
    private static final int UNPUBLISHED = WeightPolicy.UNPUBLISHED;

    /** max 200, threshold 8, CPU target 0.8, no smoothing: each sample's load is the load. */
    private static WeightPolicy unsmoothed() {
        return new WeightPolicy(200, 8, 0.8, 1.0);
    }

    private static LoadSample connections(int active) {
        return new LoadSample(active, CAPACITY, 0, 0);
    }

    private static LoadSample cpu(double processCpu) {
        return new LoadSample(0, CAPACITY, processCpu, 0);
    }

    @ParameterizedTest(name = "{0} connections, process CPU {1} -> load {2}")
    @CsvSource({
            "0,    0.0,  0.0",
            "250,  0.0,  0.25",
            "1000, 0.0,  1.0",
            "3000, 0.0,  1.0",   // beyond capacity is still full, not "more than full"
            "0,    0.4,  0.5",   // CPU counts against its target, not against 100%
            "0,    0.8,  1.0",
            "0,    1.0,  1.0",
            "500,  0.2,  0.5",   // the worse term wins
            "100,  0.6,  0.75",
    })
    void loadIsTheWorseOfConnectionsAndCpuClampedToOne(int active, double processCpu, double load) {
        assertThat(unsmoothed().load(new LoadSample(active, CAPACITY, processCpu, 0.99))).isCloseTo(load, within(1e-9));
    }

    @Test
    void systemCpuIsNotPartOfTheLoad() {
        assertThat(unsmoothed().load(new LoadSample(0, CAPACITY, 0, 1.0))).isZero();
    }

    @ParameterizedTest(name = "load {0} -> weight {1}")
    @CsvSource({
            "0,    200",
            "250,  150",
            "500,  100",
            "997,  1",     // round(200 * 0.003) = 1
            "999,  1",     // round(200 * 0.001) = 0, floored to 1
            "1000, 1",     // full: still 1 while serving
    })
    void weightIsMaxTimesIdleShareWithAFloorOfOne(int active, int weight) {
        assertThat(unsmoothed().next(connections(active), UNPUBLISHED)).isEqualTo(weight);
    }

    @Test
    void roundsToTheNearestWeight() {
        // 200 * (1 - 0.002) = 199.6 -> 200; 200 * (1 - 0.003) = 199.4 -> 199
        assertThat(new WeightPolicy(200, 1, 0.8, 1).next(connections(2), UNPUBLISHED)).isEqualTo(200);
        assertThat(new WeightPolicy(200, 1, 0.8, 1).next(connections(3), UNPUBLISHED)).isEqualTo(199);
    }

    @Test
    void beforeAnySampleTheWeightIsMax() {
        WeightPolicy policy = unsmoothed();
        assertThat(policy.weight()).isEqualTo(200);
        assertThat(policy.smoothedLoad()).isNaN();
    }

    @Test
    void theFirstSampleIsTakenAsIsThenSmoothed() {
        WeightPolicy policy = new WeightPolicy(200, 1, 0.8, 0.5);
        policy.next(connections(1000), UNPUBLISHED);
        assertThat(policy.smoothedLoad()).isEqualTo(1.0);
        policy.next(connections(0), UNPUBLISHED);
        assertThat(policy.smoothedLoad()).isEqualTo(0.5);
        policy.next(connections(0), UNPUBLISHED);
        assertThat(policy.smoothedLoad()).isEqualTo(0.25);
        assertThat(policy.weight()).isEqualTo(150);
    }

    @Test
    void smoothingDampsASpike() {
        WeightPolicy policy = new WeightPolicy(200, 1, 0.8, 0.3);
        policy.next(connections(0), UNPUBLISHED);
        int weight = policy.next(connections(1000), 200);
        // One full-load sample moves the load by alpha only: 200 * (1 - 0.3) = 140, not 1.
        assertThat(weight).isEqualTo(140);
    }

    @Test
    void aStepInLoadConvergesGeometrically() {
        WeightPolicy policy = new WeightPolicy(200, 1, 0.8, 0.3);
        policy.next(connections(0), UNPUBLISHED);
        for (int i = 0; i < 10; i++) {
            policy.next(connections(500), 0);
        }
        // 0.5 * (1 - 0.7^10) = 0.4859
        assertThat(policy.smoothedLoad()).isCloseTo(0.5 * (1 - Math.pow(0.7, 10)), within(1e-9));
    }

    @Test
    void anyWeightIsAChangeFromNothingPublished() {
        assertThat(unsmoothed().next(connections(500), UNPUBLISHED)).isEqualTo(100);
    }

    @Test
    void changesBelowTheThresholdKeepThePublishedWeight() {
        WeightPolicy policy = unsmoothed();
        // 100 published; 130 connections -> 174 (a 74 step) is published, 140 -> 172 is not (2 < 8)
        assertThat(policy.next(connections(130), 100)).isEqualTo(174);
        assertThat(policy.next(connections(140), 174)).isEqualTo(174);
        assertThat(policy.next(connections(160), 174)).isEqualTo(174); // 168: 6 < 8
        assertThat(policy.next(connections(165), 174)).isEqualTo(174); // 167: 7 < 8
        assertThat(policy.next(connections(170), 174)).isEqualTo(166); // 166: 8, published
        // Creeping back up by less than the threshold per sample never adds up to a change.
        assertThat(policy.next(connections(140), 166)).isEqualTo(166); // 172: 6 < 8
    }

    @ParameterizedTest(name = "published {0}, new {1} -> {2}")
    @CsvSource({
            "100, 100, 100",
            "100, 107, 100",   // +7 < 8
            "100, 108, 108",   // +8 = threshold
            "100, 93,  100",   // -7
            "100, 92,  92",    // -8
            "195, 200, 200",   // reaching max is always published
            "5,   1,   1",     // reaching the floor is always published
            "200, 195, 200",   // leaving max by less than the threshold is not
            "1,   5,   1",     // nor leaving the floor
    })
    void hysteresis(int published, int candidate, int expected) {
        WeightPolicy policy = unsmoothed();
        int active = (int) Math.round((1 - candidate / 200.0) * CAPACITY);
        assertThat(policy.weight()).isEqualTo(200);
        assertThat(policy.next(connections(active), published)).isEqualTo(expected);
    }

    @Test
    void anIdlePresenterReturnsToTheMaximumWeight() {
        // The reported case: 192 published, idle CPU of 2% (load 0.025 -> 195): 3 below the
        // threshold and not max, so without the idle band 192 stuck for good.
        WeightPolicy policy = unsmoothed();
        assertThat(policy.next(cpu(0.02), 192)).isEqualTo(200);
        // Smoothed: a presenter loaded to half and then idle again climbs all the way back.
        WeightPolicy smoothed = new WeightPolicy(200, 8, 0.8, 0.3);
        int published = smoothed.next(connections(500), UNPUBLISHED);
        assertThat(published).isEqualTo(100);
        for (int sample = 0; sample < 30; sample++) {
            published = smoothed.next(new LoadSample(0, CAPACITY, 0.02, 0.1), published);
        }
        assertThat(published).isEqualTo(200);
    }

    @Test
    void aLoadJustAboveTheIdleBandIsNotMax() {
        // 0.04 of load -> 192: 8 below max is a real step, outside the band.
        assertThat(unsmoothed().next(connections(40), UNPUBLISHED)).isEqualTo(192);
    }

    @Test
    void drainForcesZeroAndSticks() {
        WeightPolicy policy = unsmoothed();
        assertThat(policy.next(connections(0), UNPUBLISHED)).isEqualTo(200);
        policy.drain();
        assertThat(policy.draining()).isTrue();
        assertThat(policy.weight()).isZero();
        // Zero even though 200 -> 0 ignores nothing and the presenter is idle: no way back.
        assertThat(policy.next(connections(0), 200)).isZero();
        assertThat(policy.next(connections(0), 0)).isZero();
        assertThat(policy.next(connections(1000), 0)).isZero();
    }

    @Test
    void drainIsPublishedEvenWhenTheStepIsBelowTheThreshold() {
        WeightPolicy policy = new WeightPolicy(200, 50, 0.8, 1);
        policy.drain();
        assertThat(policy.next(connections(1000), 1)).isZero();
    }

    @Test
    void aSmallMaxStillFloorsAtOne() {
        WeightPolicy policy = new WeightPolicy(1, 1, 0.8, 1);
        assertThat(policy.next(connections(0), UNPUBLISHED)).isEqualTo(1);
        assertThat(policy.next(connections(1000), 1)).isEqualTo(1);
    }

    @Test
    void rejectsKnobsOutsideTheirRange() {
        assertThatThrownBy(() -> new WeightPolicy(256, 8, 0.8, 0.3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightPolicy(0, 1, 0.8, 0.3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightPolicy(200, 0, 0.8, 0.3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightPolicy(200, 201, 0.8, 0.3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightPolicy(200, 8, 0, 0.3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightPolicy(200, 8, 0.8, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightPolicy(200, 8, 0.8, 1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void followsTheSettings() {
        WeightPolicy policy = WeightPolicy.of(WeightSettings.defaults().withPolicy(4, 100, 0.5, 1));
        assertThat(policy.next(cpu(0.25), UNPUBLISHED)).isEqualTo(50);
    }
}
