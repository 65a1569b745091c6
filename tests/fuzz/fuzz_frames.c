/*
 * fuzz_frames.c - pcap input and the packet path.  A capture file is read
 * with libpcap, as `sfnic replay` does, and every frame goes into the
 * eswitch through the uplink's input ring, in switchdev mode with rules
 * that push, pop, mirror, chain and redirect.  Afterwards every buffer must
 * be back in its pool.  Each frame's key is also extracted from a copy of
 * exactly its length (no read past the frame).
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/dp/dp.h"
#include "fuzz_consume.h"


static struct dp *setup(void)
{
	char err[128] = "";
	struct dp *dp = dp_create(&(struct dp_config){ .workers = 1, .host_buffers = 512,
						       .sf_buffers = 256 }, err, sizeof(err));
	struct esw_rule_spec s = { .dev = DP_VPORT_UPLINK, .prio = 1, .handle = 1, .nact = 2 };

	if (!dp)
		abort();
	dp_set_switchdev(dp, true);
	dp_port_add(dp, 0x8000);
	dp_port_set_xmit(dp, 0x8000, false, consume, NULL);
	dp_port_set_xmit(dp, DP_VPORT_UPLINK, true, consume, NULL);
	/* chain 0: tagged frames lose their tag and go to chain 1. */
	s.mask.eth_type = 0xffff;
	s.key.eth_type = 0x8100;
	s.act[0] = (struct esw_action){ .type = ESW_ACT_VLAN_POP };
	s.act[1] = (struct esw_action){ .type = ESW_ACT_GOTO, .ctl = ESW_CTL_GOTO, .ctl_chain = 1 };
	dp_rule_add(dp, &s);
	/* chain 1: everything is pushed, mirrored to the SF, redirected to it. */
	s = (struct esw_rule_spec){ .dev = DP_VPORT_UPLINK, .chain = 1, .prio = 1, .handle = 1,
				    .nact = 3 };
	s.act[0] = (struct esw_action){ .type = ESW_ACT_VLAN_PUSH, .vlan_id = 7 };
	s.act[1] = (struct esw_action){ .type = ESW_ACT_MIRROR, .arg = 0x8000 };
	s.act[2] = (struct esw_action){ .type = ESW_ACT_REDIRECT, .ctl = ESW_CTL_STOLEN, .arg = 0x8000 };
	dp_rule_add(dp, &s);
	/* chain 0, IPv4 UDP: dropped. */
	s = (struct esw_rule_spec){ .dev = DP_VPORT_UPLINK, .prio = 2, .handle = 1, .nact = 1 };
	s.mask.eth_type = 0xffff;
	s.key.eth_type = 0x0800;
	s.mask.ip_proto = 0xff;
	s.key.ip_proto = 17;
	s.act[0] = (struct esw_action){ .type = ESW_ACT_DROP, .ctl = ESW_CTL_DROP };
	dp_rule_add(dp, &s);
	/* chain 0, IPv6 TCP to ports 1000-2000, first fragments or none:
	 * redirected (the range's prefixes, extension headers, ip_flags). */
	s = (struct esw_rule_spec){ .dev = DP_VPORT_UPLINK, .prio = 1, .handle = 2, .nact = 1,
				    .dst_port_min = 1000, .dst_port_max = 2000 };
	s.mask.eth_type = 0xffff;
	s.key.eth_type = 0x86dd;
	s.mask.ip_proto = 0xff;
	s.key.ip_proto = 6;
	s.mask.ip_flags = ESW_IPF_FIRSTFRAG;
	s.key.ip_flags = 0;
	s.act[0] = (struct esw_action){ .type = ESW_ACT_REDIRECT, .ctl = ESW_CTL_STOLEN, .arg = 0x8000 };
	if (dp_rule_add(dp, &s))
		abort();
	return dp;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp *dp;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	FILE *f;
	pcap_t *p;

	if (!dp)
		dp = setup();
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	p = pcap_fopen_offline(f, errbuf);
	if (!p) {
		fclose(f);
		return 0;
	}
	while (pcap_next_ex(p, &h, &pkt) == 1) {
		const uint8_t *fr[1] = { pkt };
		uint16_t len[1] = { (uint16_t)(h->caplen > 2048 ? 2048 : h->caplen) };

		uint8_t *exact = malloc(len[0] ? len[0] : 1);
		struct esw_key k;

		/* The key straight from a buffer of exactly the frame's size:
		 * a read past its end is an ASan report, not a pool's slack. */
		memcpy(exact, pkt, len[0]);
		esw_key_extract(exact, len[0], &k);
		free(exact);
		if (dp_inject(dp, DP_VPORT_UPLINK, false, fr, len, 1) != 1)
			abort();
		while (dp_poll_once(dp, 0))
			;
	}
	pcap_close(p);
	if (dp_inflight(dp))
		abort();        /* a buffer did not come home */
	return 0;
}
