/*
 * fuzz_cni_conf.c - sfnic-cni's config parser, which reads whatever a
 * runtime or an admin's conflist hands it on stdin, plus CNI_ARGS.
 *
 * Input: CNI_ARGS, a NUL byte, then the config text (the command is the
 * first byte's low two bits).  A refusal must carry a code and a message;
 * an accepted config must hold only what the parser promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/cni/cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	const uint8_t *nul = memchr(data, 0, size);
	struct cni_env e = { .containerid = "c1", .netns = "/run/netns/x", .ifname = "eth0" };
	struct cni_conf c;
	struct cni_err err = { 0 };
	char args[512];
	uint8_t mac[6];

	if (!null)
		null = fopen("/dev/null", "w");
	if (!size || !nul || (size_t)(nul - data) >= sizeof(args))
		return 0;
	e.cmd = (enum cni_cmd)(data[0] & 3);
	memcpy(args, data, (size_t)(nul - data));
	args[nul - data] = 0;
	e.args = args + 1;
	if (cni_conf_parse(&c, (const char *)nul + 1, size - (size_t)(nul - data) - 1, &e, &err)) {
		if (!err.code || !err.msg[0])
			abort();
		cni_err_print(&err, c.version, null);
	} else if (e.cmd != CNI_VERSION) {
		if (!c.name || !c.device || !c.data_dir || c.data_dir[0] != '/')
			abort();
		if (c.mtu && (c.mtu < 68 || c.mtu > 65521))
			abort();
		if (c.iface == CNI_IF_MEMIF && !c.memif_dir)
			abort();
		for (unsigned i = 0; i < c.npool; i++)
			if (c.pool[i][0] > c.pool[i][1] || !cni_conf_in_pool(&c, c.pool[i][0]))
				abort();
		if (c.has_ipam && (!c.ipam_type || strchr(c.ipam_type, '/')))
			abort();
		cni_mac_derive(&c, &e, mac);
		if ((mac[0] & 3) != 2)
			abort();
	}
	cni_conf_free(&c);
	return 0;
}
