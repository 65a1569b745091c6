/*
 * zc_ring.c - the rings memfd shared with an application.
 */
#include "zc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void ring_init(struct zc_ring *r, void *map, uint64_t off, uint32_t size)
{
	r->hdr = (struct sfnic_zc_ring_hdr *)((uint8_t *)map + off);
	r->entries = (uint8_t *)r->hdr + sizeof(struct sfnic_zc_ring_hdr);
	r->size = size;
	r->mask = size ? size - 1 : 0;
	r->local = 0;
}

static uint64_t page_up(uint64_t n)
{
	return (n + 4095) & ~(uint64_t)4095;
}

int zc_rings_create(struct zc_rings *r, const char *name, uint32_t size, uint32_t tx_size)
{
	const uint64_t hdr = sizeof(struct sfnic_zc_ring_hdr);
	uint64_t len[4] = { hdr + size * sizeof(struct sfnic_zc_desc), hdr + size * 4ull,
			    hdr + tx_size * sizeof(struct sfnic_zc_desc), hdr + tx_size * 4ull };
	uint64_t at = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 4; i++) {
		r->off[i] = at;
		at += page_up(len[i]);
	}
	r->size = at;
	r->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->fd < 0)
		return -errno;
	/* Sealed at its size: an application cannot shrink the file under
	 * the daemon's mapping (SIGBUS) or grow it. */
	if (ftruncate(r->fd, (off_t)r->size) ||
	    fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		ret = -errno;
		goto fail;
	}
	r->map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		ret = -errno;
		r->map = NULL;
		goto fail;
	}
	ring_init(&r->rx, r->map, r->off[0], size);
	ring_init(&r->fill, r->map, r->off[1], size);
	ring_init(&r->tx, r->map, r->off[2], tx_size);
	ring_init(&r->comp, r->map, r->off[3], tx_size);
	return 0;
fail:
	close(r->fd);
	r->fd = -1;
	return ret;
}

void zc_rings_destroy(struct zc_rings *r)
{
	if (r->map)
		munmap(r->map, r->size);
	if (r->fd >= 0)
		close(r->fd);
	r->map = NULL;
	r->fd = -1;
}

void zc_ring_signal(struct zc_ring *r, int efd)
{
	uint64_t one = 1;

	/* Pairs with the application's fence between setting the flag and
	 * looking at the ring once more before it sleeps.  On x86-64 a locked
	 * add to the stack is that full barrier at a fraction of MFENCE's
	 * cost (what Linux's smp_mb() uses); it runs once per burst. */
#if defined(__x86_64__)
	__asm__ __volatile__("lock; addl $0,-4(%%rsp)" ::: "memory", "cc");
#else
	atomic_thread_fence(memory_order_seq_cst);
#endif
	if (!(atomic_load_explicit(&r->hdr->flags, memory_order_relaxed) & SFNIC_ZC_RING_NEED_WAKEUP))
		return;
	if (write(efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, it is signalled */
	}
}
