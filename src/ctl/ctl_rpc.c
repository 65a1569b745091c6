/*
 * ctl_rpc.c - the ctl channel's requests: user contexts, INFO, RPC with
 * fwctl's scope rules, umem registration.
 *
 * Every check that can refuse a request runs before the device is called,
 * so that an errno always means "not delivered" (fwctl's rule), and the
 * device's own checks stay a second line behind them.
 */
#include "ctl_internal.h"
#include "../dev/dev.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(CTL_CAP_SCOPE(CTL_SCOPE_DEBUG_WRITE_FULL) ==
	       DEV_UCTX_CAP_SCOPE(DEV_SCOPE_DEBUG_WRITE_FULL), "one capability bit per scope");
_Static_assert((int)CTL_SCOPE_DEBUG_WRITE == (int)DEV_SCOPE_DEBUG_WRITE, "fwctl's values");

uint32_t ctl_user_cap(uid_t peer, uid_t daemon_uid)
{
	uint32_t all = CTL_CAP_SCOPE(CTL_SCOPE_CONFIGURATION) |
		       CTL_CAP_SCOPE(CTL_SCOPE_DEBUG_READ_ONLY) |
		       CTL_CAP_SCOPE(CTL_SCOPE_DEBUG_WRITE) |
		       CTL_CAP_SCOPE(CTL_SCOPE_DEBUG_WRITE_FULL);

	if (peer == 0)
		return all;
	/* The daemon's user already owns the device's state on disk and in
	 * memory; full write stays with root (fwctl's CAP_SYS_RAWIO). */
	if (peer == daemon_uid)
		return all & ~CTL_CAP_SCOPE(CTL_SCOPE_DEBUG_WRITE_FULL);
	return CTL_CAP_SCOPE(CTL_SCOPE_CONFIGURATION) | CTL_CAP_SCOPE(CTL_SCOPE_DEBUG_READ_ONLY);
}

/* Runs a driver-only command (uid 0) with fixed-size in and out. */
static uint8_t driver_cmd(struct dev *d, void *in, size_t inlen, void *out, size_t outlen)
{
	((struct dev_cmd_in_hdr *)in)->uid = 0;
	return dev_cmd_exec(d, in, inlen, out, outlen);
}

int ctl_uctx_open(struct ctl_uctx *u, struct dev *d, const struct ucred *cred,
		  uid_t daemon_uid, char *err, size_t errlen)
{
	struct dev_create_uctx_in in = { .hdr.opcode = DEV_CMD_CREATE_UCTX };
	struct dev_create_uctx_out out;
	struct dev_query_uctx_out q;
	struct dev_cmd_in_hdr qin = { .opcode = DEV_CMD_QUERY_UCTX };
	uint8_t st;

	memset(u, 0, sizeof(*u));
	u->dev = d;
	u->cred = *cred;
	u->ucap = ctl_user_cap(cred->uid, daemon_uid);
	in.cap = u->ucap;
	in.os_uid = (uint32_t)cred->uid;
	in.os_pid = (uint32_t)cred->pid;
	st = driver_cmd(d, &in, sizeof(in), &out, sizeof(out));
	if (st != DEV_STAT_OK) {
		snprintf(err, errlen, "CREATE_UCTX: %s, syndrome 0x%x", dev_status_str(st),
			 out.hdr.syndrome);
		return st == DEV_STAT_EXCEED_LIM ? -EUSERS : -dev_status_to_errno(st);
	}
	u->uid = out.uid;
	u->cap = out.cap;
	u->dev_cap = DEV_UCTX_CAP_ALL;
	/* The device's own view of what it supports; asked as the context. */
	qin.uid = u->uid;
	if (dev_cmd_exec(d, &qin, sizeof(qin), &q, sizeof(q)) == DEV_STAT_OK)
		u->dev_cap = q.dev_uctx_cap;
	return 0;
}

static void umem_release(struct ctl_uctx *u, unsigned i)
{
	struct dev_destroy_umem_in in = { .hdr.opcode = DEV_CMD_DESTROY_UMEM,
					  .umem_id = u->umems[i].id };
	struct dev_cmd_out_hdr out;

	/* The device stops writing before the memory goes. */
	driver_cmd(u->dev, &in, sizeof(in), &out, sizeof(out));
	munmap(u->umems[i].addr, u->umems[i].len);
	u->umems[i] = u->umems[--u->n_umems];
}

void ctl_uctx_close(struct ctl_uctx *u)
{
	struct dev_destroy_uctx_in in = { .hdr.opcode = DEV_CMD_DESTROY_UCTX };
	struct dev_cmd_out_hdr out;

	if (!u->uid)
		return;
	while (u->n_umems)
		umem_release(u, u->n_umems - 1);
	in.uid = u->uid;
	driver_cmd(u->dev, &in, sizeof(in), &out, sizeof(out));
	u->uid = 0;
}

/* Allocates a reply of type/seq from h with a body of body bytes (zeroed). */
static void *reply_new(const struct ctl_msg_hdr *h, size_t body, struct ctl_reply *rep)
{
	struct ctl_msg_hdr *r = calloc(1, sizeof(*r) + body);

	if (!r)
		return NULL;
	r->size = (uint32_t)(sizeof(*r) + body);
	r->type = h->type;
	r->version = CTL_PROTO_VERSION;
	r->seq = h->seq;
	rep->buf = r;
	rep->len = r->size;
	return r + 1;
}

int ctl_reply_err(const struct ctl_msg_hdr *h, uint32_t err, const char *reason,
		  struct ctl_reply *rep)
{
	size_t n = reason ? strnlen(reason, CTL_REASON_MAX - 1) + 1 : 0;
	char *body = reply_new(h, n, rep);

	if (!body)
		return -ENOMEM;
	((struct ctl_msg_hdr *)rep->buf)->err = err;
	if (n)
		memcpy(body, reason, n - 1);
	return 0;
}

static int refuse(const struct ctl_msg_hdr *h, struct ctl_reply *rep, uint32_t err,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int refuse(const struct ctl_msg_hdr *h, struct ctl_reply *rep, uint32_t err,
		  const char *fmt, ...)
{
	char reason[CTL_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return ctl_reply_err(h, err, reason, rep);
}

static const char *scope_name(uint32_t s)
{
	static const char *const names[] = { "configuration", "debug_read_only", "debug_write",
					     "debug_write_full" };

	return s <= CTL_SCOPE_MAX ? names[s] : "unknown";
}

static int do_info(struct ctl_uctx *u, const struct ctl_msg_hdr *h, size_t body,
		   struct ctl_reply *rep)
{
	struct dev_query_hca_cap_in in = { .hdr.opcode = DEV_CMD_QUERY_HCA_CAP,
					   .hdr.op_mod = DEV_CAP_GENERAL };
	struct dev_query_hca_cap_out out;
	struct ctl_info *info;

	if (body)
		return refuse(h, rep, EINVAL, "INFO takes no body");
	info = reply_new(h, sizeof(*info), rep);
	if (!info)
		return -ENOMEM;
	snprintf(info->device_type, sizeof(info->device_type), "%s", CTL_DEVICE_TYPE);
	in.hdr.uid = u->uid;
	info->if_version = dev_cmd_exec(u->dev, &in, sizeof(in), &out, sizeof(out)) == DEV_STAT_OK
				   ? out.cap.if_version : DEV_CMD_IF_VERSION;
	info->uctx_uid = u->uid;
	info->uctx_cap = u->cap;
	info->dev_uctx_cap = u->dev_cap;
	info->ucap = u->ucap;
	info->os_uid = (uint32_t)u->cred.uid;
	info->os_pid = (uint32_t)u->cred.pid;
	info->max_rpc = CTL_MAX_RPC;
	info->max_umem = CTL_UMEM_MAX;
	return 0;
}

/* The process name of pid, for the taint line ("?" if it is gone). */
static void comm_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	snprintf(buf, len, "?");
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static int do_rpc(struct ctl_uctx *u, const struct ctl_msg_hdr *h, const uint8_t *body,
		  size_t blen, struct ctl_reply *rep)
{
	struct ctl_rpc_req req;
	struct dev_cmd_in_hdr ih;
	struct ctl_rpc_rep *rr;
	uint8_t *in, *out;
	uint32_t pid, uid;
	bool was_tainted;
	int scope;

	if (blen < sizeof(req))
		return refuse(h, rep, EINVAL, "RPC: %zu bytes, below the request header", blen);
	memcpy(&req, body, sizeof(req));
	if (req.in_len > CTL_MAX_RPC || req.out_len > CTL_MAX_RPC)
		return refuse(h, rep, EMSGSIZE, "RPC: in %u, out %u bytes: at most %u each",
			      req.in_len, req.out_len, CTL_MAX_RPC);
	if (req.rsvd)
		return refuse(h, rep, EINVAL, "RPC: reserved field not zero");
	if (req.in_len != blen - sizeof(req))
		return refuse(h, rep, EINVAL, "RPC: in_len %u, but %zu bytes follow", req.in_len,
			      blen - sizeof(req));
	if (req.in_len < sizeof(struct dev_cmd_in_hdr) ||
	    req.out_len < sizeof(struct dev_cmd_out_hdr))
		return refuse(h, rep, EINVAL, "RPC: in %u, out %u bytes: below the command headers",
			      req.in_len, req.out_len);
	if (req.scope > CTL_SCOPE_MAX)
		return refuse(h, rep, EOPNOTSUPP, "RPC: unknown scope %u", req.scope);
	if (!(u->cap & CTL_CAP_SCOPE(req.scope)))
		return refuse(h, rep, EPERM, "scope %s is beyond this context's capabilities 0x%x",
			      scope_name(req.scope), u->cap);
	memcpy(&ih, body + sizeof(req), sizeof(ih));
	scope = dev_opcode_scope(ih.opcode, ih.op_mod);
	if (scope < 0)
		return refuse(h, rep, EPERM, "opcode 0x%04x is unknown to the device", ih.opcode);
	if (scope == DEV_SCOPE_DRIVER)
		return refuse(h, rep, EPERM, "opcode 0x%04x belongs to the driver", ih.opcode);
	if ((uint32_t)scope > req.scope)
		return refuse(h, rep, EPERM, "opcode 0x%04x needs scope %s, above %s", ih.opcode,
			      scope_name((uint32_t)scope), scope_name(req.scope));

	rr = reply_new(h, sizeof(*rr) + req.out_len, rep);
	/* The device must not read past in_len: an exact copy lets ASan see
	 * it, and the uid stamp must not write into the client's message. */
	in = malloc(req.in_len);
	if (!rr || !in) {
		free(in);
		free(rep->buf);
		rep->buf = NULL;
		return refuse(h, rep, ENOMEM, "RPC: out of memory");
	}
	memcpy(in, body + sizeof(req), req.in_len);
	/* "Enforce the user context for the command" (mlx5 fwctl). */
	((struct dev_cmd_in_hdr *)in)->uid = u->uid;
	out = (uint8_t *)(rr + 1);
	was_tainted = dev_tainted(u->dev, &uid, &pid);
	dev_cmd_exec(u->dev, in, req.in_len, out, req.out_len);
	free(in);
	rr->out_len = req.out_len;
	if (!was_tainted && dev_tainted(u->dev, &uid, &pid)) {
		char comm[32];

		comm_of((pid_t)pid, comm, sizeof(comm));
		util_log(UTIL_WARN, "ctl: %s(%u) uid %u: has requested full access to the physical "
			 "device (opcode 0x%04x, scope %s); device tainted", comm, pid, uid,
			 ih.opcode, scope_name(req.scope));
	}
	return 0;
}

static int do_umem_reg(struct ctl_uctx *u, const struct ctl_msg_hdr *h, const void *body,
		       size_t blen, int fd, struct ctl_reply *rep)
{
	struct dev_create_umem_in in = { .hdr.opcode = DEV_CMD_CREATE_UMEM };
	struct dev_create_umem_out out;
	long page = sysconf(_SC_PAGESIZE);
	struct ctl_umem_reg_req req;
	struct ctl_umem_reg_rep *rr;
	struct stat stb;
	int seals, ret;
	void *addr;
	uint8_t st;

	if (blen != sizeof(req))
		return refuse(h, rep, EINVAL, "UMEM_REG: %zu bytes, expected %zu", blen, sizeof(req));
	memcpy(&req, body, sizeof(req));
	if (fd < 0)
		return refuse(h, rep, EINVAL, "UMEM_REG: no memfd came with the request");
	if (!req.len || req.len > CTL_UMEM_MAX || req.len % (uint64_t)page) {
		ret = refuse(h, rep, req.len > CTL_UMEM_MAX ? EMSGSIZE : EINVAL,
			     "UMEM_REG: length %llu: a multiple of %ld bytes, at most %u",
			     (unsigned long long)req.len, page, CTL_UMEM_MAX);
		goto out;
	}
	if (u->n_umems == CTL_UMEMS_PER_UCTX) {
		ret = refuse(h, rep, ENOSPC, "UMEM_REG: this context has %u umems already",
			     CTL_UMEMS_PER_UCTX);
		goto out;
	}
	/* A client that shrinks its file under our mapping would make the
	 * daemon's next write there SIGBUS: the seal forbids it for good. */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
		ret = refuse(h, rep, EINVAL, "UMEM_REG: the descriptor must be a memfd sealed "
			     "with F_SEAL_SHRINK");
		goto out;
	}
	if (fstat(fd, &stb) || !S_ISREG(stb.st_mode) || (uint64_t)stb.st_size < req.len) {
		ret = refuse(h, rep, EINVAL, "UMEM_REG: the memfd is shorter than %llu bytes",
			     (unsigned long long)req.len);
		goto out;
	}
	addr = mmap(NULL, req.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		ret = refuse(h, rep, (uint32_t)errno, "UMEM_REG: mmap: %s", strerror(errno));
		goto out;
	}
	in.addr = (uint64_t)(uintptr_t)addr;
	in.len = req.len;
	in.owner_uid = u->uid;
	st = driver_cmd(u->dev, &in, sizeof(in), &out, sizeof(out));
	if (st != DEV_STAT_OK) {
		munmap(addr, req.len);
		ret = refuse(h, rep, (uint32_t)dev_status_to_errno(st),
			     "UMEM_REG: CREATE_UMEM: %s, syndrome 0x%x", dev_status_str(st),
			     out.hdr.syndrome);
		goto out;
	}
	u->umems[u->n_umems++] = (struct ctl_umem){ out.umem_id, addr, req.len };
	rr = reply_new(h, sizeof(*rr), rep);
	if (!rr) {
		umem_release(u, u->n_umems - 1);
		ret = -ENOMEM;
		goto out;
	}
	rr->umem_id = out.umem_id;
	rr->len = req.len;
	ret = 0;
out:
	close(fd);      /* the mapping keeps the memory */
	return ret;
}

static int do_umem_unreg(struct ctl_uctx *u, const struct ctl_msg_hdr *h, const void *body,
			 size_t blen, struct ctl_reply *rep)
{
	struct ctl_umem_unreg_req req;

	if (blen != sizeof(req))
		return refuse(h, rep, EINVAL, "UMEM_UNREG: %zu bytes, expected %zu", blen,
			      sizeof(req));
	memcpy(&req, body, sizeof(req));
	if (req.rsvd)
		return refuse(h, rep, EINVAL, "UMEM_UNREG: reserved field not zero");
	for (unsigned i = 0; i < u->n_umems; i++)
		if (u->umems[i].id == req.umem_id) {
			umem_release(u, i);
			return reply_new(h, 0, rep) ? 0 : -ENOMEM;
		}
	return refuse(h, rep, ENOENT, "UMEM_UNREG: umem %u is not this context's", req.umem_id);
}

int ctl_msg_handle(struct ctl_uctx *u, const void *msg, size_t len, int fd,
		   struct ctl_reply *rep)
{
	const uint8_t *body = (const uint8_t *)msg + sizeof(struct ctl_msg_hdr);
	size_t blen = len - sizeof(struct ctl_msg_hdr);
	struct ctl_msg_hdr h;

	rep->buf = NULL;
	rep->len = 0;
	memcpy(&h, msg, sizeof(h));
	if (h.type == CTL_MSG_UMEM_REG && h.version == CTL_PROTO_VERSION && !h.err)
		return do_umem_reg(u, &h, body, blen, fd, rep);
	if (fd >= 0)
		close(fd);
	if (fd >= 0)
		return refuse(&h, rep, EINVAL, "a descriptor came with a request that takes none");
	if (h.version != CTL_PROTO_VERSION)
		return refuse(&h, rep, EPROTO, "protocol version %u; this daemon speaks %u",
			      h.version, CTL_PROTO_VERSION);
	if (h.err)
		return refuse(&h, rep, EINVAL, "a request's err field must be zero");
	switch (h.type) {
	case CTL_MSG_INFO: return do_info(u, &h, blen, rep);
	case CTL_MSG_RPC: return do_rpc(u, &h, body, blen, rep);
	case CTL_MSG_UMEM_UNREG: return do_umem_unreg(u, &h, body, blen, rep);
	default: return refuse(&h, rep, EINVAL, "unknown request type %u", h.type);
	}
}
