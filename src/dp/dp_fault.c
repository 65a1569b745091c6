/*
 * dp_fault.c - injected datapath faults (a stalled port input, a hung
 * worker) and the read-only view the health reporters take of progress.
 *
 * Nothing here runs on the packet path: the workers test one flag per
 * port per pass (stalled) and one per loop (hang), and store their
 * heartbeat; the control thread reads those with relaxed loads, which is
 * all a once-a-tick "has it moved?" needs.
 */
#include "dp_internal.h"
#include "../sched/sched.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <urcu-qsbr.h>

int dp_fault_stall_input(struct dp *dp, uint32_t vport, bool rep, bool on)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);

	if (!p)
		return -ENODEV;
	atomic_store_explicit(&p->stalled, on, memory_order_relaxed);
	if (!on)
		dp_worker_wake(&dp->w[p->owner]);       /* its frames wait */
	return 0;
}

int dp_fault_hang_worker(struct dp *dp, unsigned w, bool on)
{
	if (w >= dp->nw)
		return -EINVAL;
	atomic_store_explicit(&dp->w[w].hang, on, memory_order_relaxed);
	dp_worker_wake(&dp->w[w]);      /* a sleeping worker hangs when it wakes */
	return 0;
}

/* The starving holder is a tap that holds everything: the pools already
 * park what a tap holds and look again when they run short, so the fault
 * costs the packet path nothing and ends as a tap does. */
static void unstarve(struct dp_port *p)
{
	if (!p->starve)
		return;
	pp_region_tap_del(p->region, p->starve_slot);
	synchronize_rcu();      /* allocators may still read the flags */
	free(p->starve);
	p->starve = NULL;
}

int dp_fault_starve_pools(struct dp *dp, uint32_t vport, bool on)
{
	struct dp_port *p = dp_port_get(dp, vport, false);
	uint32_t n;
	int slot;

	if (!p)
		return -ENODEV;
	if (!on || p->starve) {
		if (!on)
			unstarve(p);
		return 0;
	}
	if (dp_port_ensure_pools(dp, p))
		return -ENOMEM;
	n = pp_region_nbufs(p->region);
	p->starve = malloc(n);
	if (!p->starve)
		return -ENOMEM;
	memset((void *)p->starve, 1, n);
	slot = pp_region_tap_add(p->region, p->starve);
	if (slot < 0) {
		free(p->starve);
		p->starve = NULL;
		return slot;
	}
	p->starve_slot = slot;
	return 0;
}

void dp_fault_port_free(struct dp_port *p)
{
	unstarve(p);
}

static void unstall(struct dp *dp, struct dp_port *p)
{
	if (atomic_load_explicit(&p->stalled, memory_order_relaxed)) {
		atomic_store_explicit(&p->stalled, false, memory_order_relaxed);
		dp_worker_wake(&dp->w[p->owner]);
	}
}

void dp_fault_clear(struct dp *dp)
{
	for (unsigned w = 0; w < dp->nw; w++)
		(void)dp_fault_hang_worker(dp, w, false);
	/* Every port, the uplink's and the PF's too, is in the chunks. */
	for (unsigned c = 0; c < DP_VPORT_CHUNKS; c++) {
		struct dp_port *_Atomic *chunk = atomic_load_explicit(&dp->chunks[c],
								      memory_order_acquire);

		for (unsigned i = 0; chunk && i < (1u << DP_VPORT_CHUNK_SHIFT); i++) {
			struct dp_port *p = atomic_load_explicit(&chunk[i], memory_order_acquire);

			if (p) {
				unstarve(p);
				unstall(dp, p);
				if (p->peer)
					unstall(dp, p->peer);
			}
		}
	}
}

void dp_fault_hang_wait(struct dp_worker *w)
{
	/* A hung worker passes no frames, but it must not hold the control
	 * thread's grace periods hostage: offline while it is "hung". */
	rcu_thread_offline();
	while (atomic_load_explicit(&w->hang, memory_order_relaxed) &&
	       !atomic_load_explicit(&w->dp->stop, memory_order_acquire))
		usleep(1000);
	rcu_thread_online();
}

int dp_worker_health(struct dp *dp, unsigned w, struct dp_worker_health *out)
{
	if (w >= dp->nw)
		return -EINVAL;
	out->heartbeat = atomic_load_explicit(&dp->w[w].heartbeat, memory_order_relaxed);
	out->sleeping = atomic_load_explicit(&dp->w[w].sleeping, memory_order_relaxed);
	out->hang = atomic_load_explicit(&dp->w[w].hang, memory_order_relaxed);
	return 0;
}

int dp_input_health(struct dp *dp, uint32_t vport, bool rep, struct dp_input_health *out)
{
	struct dp_port *p = dp_port_get(dp, vport, rep);
	struct dp_spsc *in;

	if (!p)
		return -ENODEV;
	in = atomic_load_explicit(&p->in, memory_order_acquire);
	out->consumed = in ? atomic_load_explicit(&in->tail, memory_order_acquire) : 0;
	out->pending = in ? atomic_load_explicit(&in->head, memory_order_acquire) - out->consumed
			  : 0;
	out->stalled = atomic_load_explicit(&p->stalled, memory_order_relaxed);
	out->owner = p->owner;
	out->host_queues = out->host_waiting = 0;
	out->taken = 0;
	for (unsigned w = 0; w < dp->nw; w++) {
		const struct dp_backend *be = atomic_load_explicit(&p->q[w].be,
								   memory_order_acquire);
		struct pollfd pfd;

		out->taken += p->q[w].st.rx_packets;
		if (!be || be->fd < 0 || !be->rx_burst)
			continue;
		/* The control thread attaches and detaches backends: the fd is
		 * open while it looks.  One poll per queue and tick. */
		out->host_queues++;
		pfd = (struct pollfd){ .fd = be->fd, .events = POLLIN };
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN))
			out->host_waiting++;
	}
	{
		/* Trees are freed by this thread after a grace period: the
		 * leaf is alive while it reads. */
		struct sched_obj *so = atomic_load_explicit(&p->sched, memory_order_acquire);

		out->deferred = so ? atomic_load_explicit(&so->deferred, memory_order_relaxed) : 0;
	}
	return 0;
}
