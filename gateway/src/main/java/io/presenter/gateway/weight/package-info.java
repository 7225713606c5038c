/**
 * Route53 weighted-DNS weights: each presenter turns its own load into the weight of its own
 * weighted record, so resolvers send new clients to idle presenters, and a draining presenter sets
 * its weight to 0 before it leaves.
 *
 * <p>{@link io.presenter.gateway.weight.WeightPublishing} is the entry point: it samples a
 * {@link io.presenter.gateway.weight.LoadProbe} on a jittered schedule, asks the
 * {@link io.presenter.gateway.weight.WeightPolicy} whether the weight should change, and has the
 * {@link io.presenter.gateway.weight.Route53WeightPublisher} UPSERT the record on its own thread.
 * See {@code deploy/route53.md} for the formula, the knobs and the fleet-wide API budget.
 */
package io.presenter.gateway.weight;
