/**
 * What every Presenter process shares beyond the wire: how its command line reads durations and
 * says its version, the plain answers of its admin HTTP port, and the removal of the temporary
 * directories it made. The gateway, the chat-server stub, the load harness and the demo all use
 * these, so there is one copy of each; picocli is an optional dependency of this module, needed
 * only by the command-line classes.
 */
package io.presenter.protocol.process;
