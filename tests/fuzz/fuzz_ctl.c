/*
 * fuzz_ctl.c - the ctl channel's request handling (ctl_msg_handle(), the
 * code behind sfnicctl.sock after framing) with hostile messages: random
 * types, versions, scopes, lengths (out_len up to and past 2 MiB), command
 * payloads of every opcode, umem registrations with good and bad memfds,
 * unregistrations of any id, from root, the daemon's user and a group
 * member.  Each reply must be well formed; the context is closed at the end
 * and must leave nothing behind (ASan's leak check).
 *
 * Input: byte 0 picks the peer; then messages, each [u8 flags][u16 len]
 * [len bytes]: the bytes are the message (the header's size is set to len,
 * as the framing guarantees); flags bit 0 sends a memfd with it (bit 1:
 * sealed against shrinking, bit 2: shorter than a page), bits 3-4 force the
 * type (INFO, RPC, UMEM_REG, UMEM_UNREG), bit 5 forces a valid version,
 * bit 6 stretches an RPC's out_len by the next byte << 14 (to ~4 MiB).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/ctl/ctl_internal.h"
#include "../../src/dev/dev.h"

static int make_memfd(uint8_t flags)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, flags & 4 ? 100 : 65536) ||
	    ((flags & 2) && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK))) {
		close(fd);
		return -1;
	}
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uid_t peers[] = { 0, 1000, 2000 };
	struct dev *d;
	struct ctl_uctx u;
	struct ucred cred = { .pid = 1 };
	char err[256];

	if (size < 1)
		return 0;
	d = dev_create(8, 4);
	if (!d)
		return 0;
	cred.uid = peers[data[0] % 3];
	data++;
	size--;
	if (ctl_uctx_open(&u, d, &cred, 1000, err, sizeof(err))) {
		dev_destroy(d);
		return 0;
	}
	while (size >= 3) {
		uint8_t flags = data[0];
		size_t len = data[1] | (size_t)data[2] << 8;
		struct ctl_msg_hdr *h;
		struct ctl_reply rep;
		uint8_t *msg;
		int fd = -1;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (len < sizeof(*h))
			len = sizeof(*h);       /* the framing never hands over less */
		/* Exact-size copies: ASan catches any read past the message. */
		msg = calloc(1, len);
		memcpy(msg, data, len <= size ? len : size);
		h = (struct ctl_msg_hdr *)msg;
		h->size = (uint32_t)len;
		if (flags & 0x18)
			h->type = (uint16_t)((flags >> 3) & 3) + 1;
		if (flags & 0x20) {
			h->version = CTL_PROTO_VERSION;
			h->err = 0;
		}
		if ((flags & 0x40) && h->type == CTL_MSG_RPC && len >= sizeof(*h) + sizeof(struct ctl_rpc_req)) {
			struct ctl_rpc_req *r = (struct ctl_rpc_req *)(h + 1);

			r->in_len = (uint32_t)(len - sizeof(*h) - sizeof(*r));
			r->out_len = (uint32_t)(size > len ? data[len] : 0) << 14 | 8;
		}
		if (flags & 1)
			fd = make_memfd(flags);
		if (ctl_msg_handle(&u, msg, len, fd, &rep) == 0) {
			const struct ctl_msg_hdr *r = rep.buf;

			if (!r || rep.len < sizeof(*r) || r->size != rep.len || r->seq != h->seq ||
			    r->type != h->type || rep.len > CTL_MSG_MAX)
				abort();
			free(rep.buf);
		}
		free(msg);
		data += len <= size ? len : size;
		size -= len <= size ? len : size;
	}
	ctl_uctx_close(&u);
	dev_destroy(d);
	return 0;
}
