/**
 * The fleet's control plane in ZooKeeper: every presenter registers an ephemeral node with its
 * state and load ({@link io.presenter.gateway.fleet.PresenterMembership}, whose state comes from the
 * same {@link io.presenter.gateway.fleet.Readiness} as {@code /ready}); one presenter, elected with
 * a Curator {@code LeaderLatch} ({@link io.presenter.gateway.fleet.FleetLeadership}), writes every
 * presenter's Route53 weight in one batch per interval
 * ({@link io.presenter.gateway.fleet.FleetWeightWriter}), zeroes the records of presenters that are
 * not ready, draining or gone, and deletes those of the gone after a grace period.
 * {@link io.presenter.gateway.fleet.FleetLoop} is the one loop every presenter runs. See
 * {@code deploy/route53.md}.
 */
package io.presenter.gateway.fleet;
