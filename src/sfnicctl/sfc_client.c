/*
 * sfc_client.c - sfnicctl's side of the ctl channel (ctl_proto.h): one
 * request, one reply, in order, over a blocking stream socket.
 */
#include "sfnicctl.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(struct sfc *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct sfc *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -err;
}

int sfc_connect(struct sfc *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[4096], path[4200];

	util_run_dir(c->run_dir, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, CTL_SOCK_NAME);
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(c, ENAMETOOLONG, "socket path %s is too long", path);
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		if (e == EACCES || e == EPERM)
			return fail(c, e, "cannot connect to %s: %s (not in the socket's group?)",
				    path, strerror(e));
		return fail(c, e, "cannot connect to %s: %s (is sfnicd running?)", path,
			    strerror(e));
	}
	return 0;
}

void sfc_close(struct sfc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int send_all(struct sfc *c, const struct iovec *iov0, int niov, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov[3];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)niov };

	memcpy(iov, iov0, sizeof(*iov) * (size_t)niov);
	if (fd >= 0)
		util_msg_attach_fds(&mh, cbuf, sizeof(cbuf), &fd, 1);
	while (mh.msg_iovlen) {
		ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		mh.msg_control = NULL;          /* the descriptor went with the first bytes */
		mh.msg_controllen = 0;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int recv_all(struct sfc *c, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(c->fd, (char *)buf + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

/*
 * Sends type with body parts a and b (and fd), reads the reply.  Returns 0
 * with *rep (malloc'd, header included) when the daemon accepted the
 * request, or -errno: the daemon's (with its reason) or the transport's.
 */
static int call(struct sfc *c, uint16_t type, const void *a, size_t alen, const void *b,
		size_t blen, int fd, struct ctl_msg_hdr **rep)
{
	struct ctl_msg_hdr h = { .size = (uint32_t)(sizeof(h) + alen + blen), .type = type,
				 .version = CTL_PROTO_VERSION, .seq = ++c->seq };
	struct iovec iov[3] = { { &h, sizeof(h) }, { (void *)a, alen }, { (void *)b, blen } };
	struct ctl_msg_hdr rh, *r;
	int ret;

	*rep = NULL;
	if (c->fd < 0 && (ret = sfc_connect(c)))
		return ret;
	if ((ret = send_all(c, iov, blen ? 3 : alen ? 2 : 1, fd)) ||
	    (ret = recv_all(c, &rh, sizeof(rh)))) {
		/* The daemon may have said why before it closed. */
		if (ret == -EPIPE || ret == -ECONNRESET)
			return fail(c, ECONNRESET, "the daemon closed the connection");
		return fail(c, -ret, "sfnicctl.sock: %s", strerror(-ret));
	}
	if (rh.size < sizeof(rh) || rh.size > CTL_MSG_MAX || rh.seq != h.seq)
		return fail(c, EPROTO, "the daemon's reply is malformed");
	r = malloc(rh.size + 1);
	if (!r)
		return fail(c, ENOMEM, "out of memory");
	*r = rh;
	if ((ret = recv_all(c, r + 1, rh.size - sizeof(rh)))) {
		free(r);
		return fail(c, -ret, "sfnicctl.sock: %s", strerror(-ret));
	}
	if (r->err) {
		const char *why = (const char *)(r + 1);

		((char *)r)[rh.size] = 0;
		if (rh.size > sizeof(rh) && *why)
			ret = fail(c, (int)r->err, "%s (%s)", strerror((int)r->err), why);
		else
			ret = fail(c, (int)r->err, "%s", strerror((int)r->err));
		free(r);
		return ret;
	}
	*rep = r;
	return 0;
}

int sfc_info(struct sfc *c, struct ctl_info *info)
{
	struct ctl_msg_hdr *r;
	int ret = call(c, CTL_MSG_INFO, NULL, 0, NULL, 0, -1, &r);

	if (ret)
		return ret;
	if (r->size < sizeof(*r) + sizeof(*info)) {
		free(r);
		return fail(c, EPROTO, "INFO: short reply");
	}
	memcpy(info, r + 1, sizeof(*info));
	free(r);
	return 0;
}

int sfc_rpc(struct sfc *c, int scope, const void *in, size_t inlen, void *out, size_t outlen)
{
	struct ctl_rpc_req req = { .in_len = (uint32_t)inlen, .out_len = (uint32_t)outlen };
	struct ctl_rpc_rep rr;
	struct ctl_msg_hdr *r;
	int ret;

	if (scope < 0) {
		const struct dev_cmd_in_hdr *h = in;

		scope = inlen >= sizeof(*h) ? sfc_op_default_scope(h->opcode, h->op_mod)
					    : CTL_SCOPE_CONFIGURATION;
	}
	if (inlen > UINT32_MAX || outlen > UINT32_MAX)
		return fail(c, EMSGSIZE, "%s", strerror(EMSGSIZE));
	req.scope = (uint32_t)scope;
	if ((ret = call(c, CTL_MSG_RPC, &req, sizeof(req), in, inlen, -1, &r)))
		return ret;
	if (r->size < sizeof(*r) + sizeof(rr) ||
	    (memcpy(&rr, r + 1, sizeof(rr)), rr.out_len > outlen) ||
	    r->size != sizeof(*r) + sizeof(rr) + rr.out_len) {
		free(r);
		return fail(c, EPROTO, "RPC: malformed reply");
	}
	memset(out, 0, outlen);
	memcpy(out, (uint8_t *)(r + 1) + sizeof(rr), rr.out_len);
	free(r);
	return 0;
}

int sfc_cmd(struct sfc *c, const void *in, size_t inlen, void *out, size_t outlen)
{
	const struct dev_cmd_in_hdr *ih = in;
	const struct dev_cmd_out_hdr *oh = out;
	int ret = sfc_rpc(c, c->scope, in, inlen, out, outlen);

	if (ret) {
		char why[SFC_ERRLEN];

		snprintf(why, sizeof(why), "%s", c->err);
		return fail(c, -ret, "%s: %s", sfc_op_name(ih->opcode), why);
	}
	if (oh->status != DEV_STAT_OK)
		return fail(c, EREMOTEIO, "%s: device status %s (0x%02x), syndrome 0x%08x",
			    sfc_op_name(ih->opcode), dev_status_str(oh->status), oh->status,
			    oh->syndrome);
	return 0;
}

int sfc_umem_reg(struct sfc *c, size_t len, struct sfc_umem *u)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct ctl_umem_reg_req req;
	struct ctl_umem_reg_rep rr;
	struct ctl_msg_hdr *r;
	int fd, ret;

	len = (len + page - 1) / page * page;
	req.len = len;
	fd = memfd_create("sfnicctl-umem", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)len) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL)) {
		ret = fail(c, errno, "umem: memfd: %s", strerror(errno));
		goto out;
	}
	u->addr = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (u->addr == MAP_FAILED) {
		ret = fail(c, errno, "umem: mmap: %s", strerror(errno));
		goto out;
	}
	u->len = len;
	if ((ret = call(c, CTL_MSG_UMEM_REG, &req, sizeof(req), NULL, 0, fd, &r))) {
		char why[SFC_ERRLEN];

		munmap(u->addr, len);
		snprintf(why, sizeof(why), "%s", c->err);
		ret = fail(c, -ret, "umem registration: %s", why);
		goto out;
	}
	if (r->size != sizeof(*r) + sizeof(rr)) {
		free(r);
		munmap(u->addr, len);
		ret = fail(c, EPROTO, "UMEM_REG: malformed reply");
		goto out;
	}
	memcpy(&rr, r + 1, sizeof(rr));
	free(r);
	u->id = rr.umem_id;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

int sfc_umem_unreg(struct sfc *c, struct sfc_umem *u)
{
	struct ctl_umem_unreg_req req = { .umem_id = u->id };
	struct ctl_msg_hdr *r;
	int ret = call(c, CTL_MSG_UMEM_UNREG, &req, sizeof(req), NULL, 0, -1, &r);

	free(r);
	munmap(u->addr, u->len);
	u->addr = NULL;
	return ret;
}
