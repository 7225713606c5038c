/**
 * The shard ring: which chat server owns a couple, agreed on by every presenter and chat server
 * from the same ZooKeeper membership.
 *
 * <h2>Using it</h2>
 * A chat server registers itself and keeps a view of the ring, to answer wrong-shard; a presenter
 * only keeps the view:
 * <pre>{@code
 * ZooKeeperConfig config = ZooKeeperConfig.of("zk1:2181,zk2:2181,zk3:2181");
 * CuratorFramework client = ZooKeeperClients.start(config, meterRegistry);
 *
 * // chat server
 * MemberRegistration registration = new MemberRegistration(client, config.basePath(),
 *         RingMember.active("chat-7", "10.0.3.7", 7100, 7443));
 * registration.start();
 * ...
 * registration.drain();   // before shutdown: no new couples, open streams go on
 * registration.close();   // leaves the ring
 *
 * // presenter (and chat server)
 * ZooKeeperShardDirectory directory =
 *         new ZooKeeperShardDirectory(client, config.basePath(), meterRegistry);
 * directory.start();
 * RingSnapshot ring = directory.ring();
 * Optional<RingMember> owner = ring.owner(coupleId);  // empty only if there are no members
 * long ringVersion = ring.version();                   // goes into the open-stream frame
 * }</pre>
 *
 * <h2>ZooKeeper layout</h2>
 * <pre>
 * &lt;chroot&gt;                     optional, from the connect string ("zk1:2181/chroot")
 *   &lt;basePath&gt;                 default /presenter; a container node, created on demand
 *     members                  a container node, created on demand; its pzxid is part of the version
 *       &lt;memberId&gt;             EPHEMERAL, one per chat server, data below
 * </pre>
 * A member id is {@code [A-Za-z0-9][A-Za-z0-9._-]*}, at most 128 characters. The member node
 * exists while the chat server's ZooKeeper session lives; Curator's {@code PersistentNode}
 * creates it again after a session loss, and deleting it by hand makes the chat server re-create
 * it (to remove a server for good, stop it, or drain it).
 *
 * <h2>Authentication and ACLs</h2>
 * {@link io.presenter.ring.ZooKeeperConfig#withAuth} gives a client digest credentials and the
 * fleet's ACL ({@link io.presenter.ring.FleetAcl}; which node gets what: {@link
 * io.presenter.ring.FleetAclProvider}); a daemon then calls {@link
 * io.presenter.ring.FleetAccessCheck#verify} for its {@link io.presenter.ring.FleetRole} before
 * it serves. With ACLs on, the base path and {@code members} are persistent nodes created at
 * startup rather than containers. Off by default.
 *
 * <h2>Member node data, format 1</h2>
 * UTF-8 {@link java.util.Properties} text, written in this order:
 * <pre>
 * format=1
 * host=10.0.3.7          address presenters connect to (printable ASCII, no '/' or '\')
 * muxPort=7100           mux listener, for presenters
 * directPort=7443        direct TLS listener, for clients without a presenter
 * weight=1               0-100; 160 ring points per unit; 0 takes no new couples
 * state=ACTIVE           ACTIVE or DRAINING
 * </pre>
 * Readers ignore comments and unknown keys and accept {@code key = value} and a lower-case state,
 * so that a later format 1 writer may add keys. Change a member through its chat server
 * ({@link io.presenter.ring.MemberRegistration}); a hand edit in {@code zkCli} lasts only until the
 * chat server's next write. A node whose data is not a valid format 1 member is
 * skipped, logged and counted in {@code presenter.ring.member.rejected}; it never stops the
 * others from being read.
 *
 * <h2>Ring</h2>
 * Ketama-style consistent hashing with virtual nodes. All positions are 64-bit values compared
 * as signed longs.
 * <ul>
 *   <li>Point {@code i} (0-based, below {@code 160 * weight}) of member {@code m} is at the first
 *       8 bytes, big-endian, of SHA-256 over the UTF-8 bytes of {@code m + "#" + i} ({@code i} in
 *       decimal).</li>
 *   <li>Couple {@code c} is at SplitMix64's output function of {@code c}:
 *       {@code z = (c ^ (c >>> 30)) * 0xbf58476d1ce4e5b9L; z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
 *       z ^ (z >>> 31)}.</li>
 *   <li>The owner is the member of the first point at or after the couple's position, wrapping
 *       past the largest point to the smallest. If two members' points share a position, the
 *       member with the smaller id ({@link String#compareTo}) has it.</li>
 *   <li>Only members that are ACTIVE with weight above 0 own new couples; if there are none, all
 *       members do (each with weight at least 1); with no members there is no owner. DRAINING
 *       members remain in the member list. See {@link io.presenter.ring.RingSnapshot}.</li>
 * </ul>
 * {@code RingHashTest} and {@code RingSnapshotTest} hold known outputs; another implementation
 * (a chat server in another language) can check itself against them.
 *
 * <h2>Version</h2>
 * {@code max(pzxid of members, max mzxid of the member nodes)}: the ZooKeeper transaction id of
 * the last join, leave, drain or weight change. ZooKeeper zxids only grow, across leader
 * elections too (the epoch is their high 32 bits), so every observer of the same membership has
 * the same version and every change gives a higher one. See
 * {@link io.presenter.ring.ZooKeeperShardDirectory}.
 */
package io.presenter.ring;
