/**
 * Route53 weighted-DNS weights, the parts the fleet leader uses: the
 * {@link io.presenter.gateway.weight.WeightPolicy} that turns a presenter's
 * {@link io.presenter.gateway.weight.LoadSample} into its weight, the
 * {@link io.presenter.gateway.weight.LoadProbe} each presenter samples, the settings, and the
 * {@link io.presenter.gateway.weight.Route53WeightPublisher} that sends a batch of record changes
 * (or one presenter's own zero, when a draining presenter sees no leader) with retries and INSYNC
 * polling on its own thread. Who writes what, and when, is {@code io.presenter.gateway.fleet}. See
 * {@code deploy/route53.md} for the formula, the knobs and the API budget.
 */
package io.presenter.gateway.weight;
