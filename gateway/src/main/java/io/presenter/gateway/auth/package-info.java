/**
 * The auth stage: the client's first packet, under a cap and a deadline, decides which chat server
 * the client's bytes go to; then the stage swaps itself for the relay.
 */
package io.presenter.gateway.auth;
