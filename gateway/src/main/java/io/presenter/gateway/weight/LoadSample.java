package io.presenter.gateway.weight;

/**
 * One look at this presenter's load.
 *
 * @param activeConnections client connections open now
 * @param capacity connections at which the connection term counts as full load (at least 1)
 * @param processCpu this process's share of the whole machine's CPU, 0 to 1
 * @param systemCpu the whole machine's CPU use, 0 to 1; logged with weight changes so an operator
 *     can see a noisy neighbour, not part of the weight (the presenter can only shed its own load)
 */
public record LoadSample(int activeConnections, int capacity, double processCpu, double systemCpu) {

    public LoadSample {
        if (activeConnections < 0) {
            throw new IllegalArgumentException("activeConnections " + activeConnections);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        if (!(processCpu >= 0 && processCpu <= 1) || !(systemCpu >= 0 && systemCpu <= 1)) {
            throw new IllegalArgumentException("cpu must be 0 to 1: process " + processCpu + ", system " + systemCpu);
        }
    }

    /** No connections and no CPU: what a presenter that just started looks like. */
    public static LoadSample idle(int capacity) {
        return new LoadSample(0, capacity, 0, 0);
    }
}
