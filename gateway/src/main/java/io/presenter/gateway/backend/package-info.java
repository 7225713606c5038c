/**
 * The presenter's side of the mux: a pool of long-lived connections per chat server and event
 * loop, and the router that opens a couple's stream at its owner on the ring.
 */
package io.presenter.gateway.backend;
