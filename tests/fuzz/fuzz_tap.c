/*
 * fuzz_tap.c - what a container can hand the daemon through its SF netdev:
 * frames behind virtio-net headers (a process with CAP_NET_RAW in the
 * container can write any header with PACKET_VNET_HDR).  Each input is a
 * list of records [u16 length][struct virtio_net_hdr][frame]; they are
 * written to a datagram socket that stands for the TAP, read by the SF's
 * TAP backend, and redirected by a rule to the uplink, which takes only
 * complete frames (checksums filled in, GSO frames cut into segments).
 * Every segment must lie inside its buffer and every buffer must go home.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/dp/dp.h"
#include "../../src/nd/nd.h"
#include "fuzz_consume.h"


#define SF 0x8000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp *dp;
	static struct nd_tap *tap;
	static int peer;

	if (!dp) {
		char err[128] = "";
		int sv[2];
		struct esw_rule_spec s = { .dev = SF, .prio = 1, .handle = 1, .nact = 1 };

		dp = dp_create(&(struct dp_config){ .workers = 1, .host_buffers = 256,
						    .sf_buffers = 128, .gso = true }, err, sizeof(err));
		if (!dp || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv))
			abort();
		int big = 1 << 22;

		setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
		peer = sv[1];
		tap = nd_tap_wrap(sv[0], "fuzz0", true);
		dp_set_switchdev(dp, true);
		dp_port_add(dp, SF);
		dp_port_set_backend(dp, SF, false, nd_tap_backend(tap, 0), nd_tap_ctx(tap, 0));
		dp_port_set_xmit(dp, DP_VPORT_UPLINK, false, consume, NULL);
		s.act[0] = (struct esw_action){ .type = ESW_ACT_REDIRECT, .ctl = ESW_CTL_STOLEN, .arg = DP_VPORT_UPLINK };
		if (dp_rule_add(dp, &s))
			abort();
	}
	while (size >= 2) {
		size_t len = (size_t)(data[0] | data[1] << 8) % 70000;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (len && send(peer, data, len, 0) < 0)
			break;
		data += len;
		size -= len;
	}
	while (dp_poll_once(dp, 0))
		;
	if (dp_inflight(dp))
		abort();
	return 0;
}
