/*
 * dl_health_rep.c - what each reporter detects, shows and fixes.
 *
 *   fw        device commands failing by the device's fault (INT_ERR or
 *             injected), or slower than DLH_CMD_STUCK_NS.  Recover: the
 *             device must answer a NOP again.
 *   fw_fatal  a worker whose heartbeat stands still while it is not asleep
 *             (hung), a state store write that failed.  Recover: the
 *             device is reloaded from its durable state (faults cleared,
 *             workers released, the store written again; then the SF ports
 *             and eswitch rules the store holds, which is what was
 *             acknowledged, are what the device runs: missing ones are
 *             created, ones the store lacks deleted).
 *   tx        a port whose input has frames waiting and a consumer index
 *             that does not move; or whose netdev (a TAP) has frames the
 *             host transmitted waiting in the kernel's queue (its fd is
 *             readable) while the datapath takes nothing from the port and
 *             its devlink rate refused no read (a shaped queue waits on
 *             purpose), its worker is not stuck (fw_fatal's) and its pool
 *             can refill (rx's).  Recover: the queue is reset (polled
 *             again, its worker woken); the frames that waited go on, none
 *             is lost (what the kernel's queue could not hold meanwhile it
 *             dropped, counted in the netdev's tx_dropped, as a NIC's full
 *             TX ring does).  The other direction cannot stop: a frame
 *             written to a TAP is taken by the kernel at once or refused at
 *             once (EIO while the netdev is down: drops.no_consumer, an
 *             administrative state, not a fault).
 *   rx        a zero-copy consumer of the port that loses frames while
 *             giving none back.  Recover: the stuck consumer is dropped
 *             (its queue closed, every buffer it held comes home).
 *             Also a page pool of the port (the function side's pool of a
 *             worker queue: frames crossing into the port's trust domain
 *             are copied into it, its netdev reads into it) that cannot
 *             refill: refused allocations (alloc_empty, cap_hit) rise
 *             while none succeeds, two ticks in a row.  Who can
 *             hold that pool's buffers is a read-only tap of the port's
 *             region (an exclusive queue has a pool of its own, a memif
 *             client copies): recover drops the taps that hold frames, and
 *             fails, staying in error, when none does.
 */
#include "dl_health.h"
#include "../memif/memif.h"
#include "../zc/zc.h"

#include <string.h>
#include <time.h>

static struct dl_health *dev_h(struct health_reporter *r) { return r->priv; }

void dlh_report(struct dl_health *h, struct health_reporter *r, const char *handle,
		const char *msg)
{
	struct health_err err = { { 0 } };
	int ret = health_report(r, msg, (void *)msg, &err);

	util_log(UTIL_WARN, "health: %s reporter %s: %s%s%s", handle, r->ops->name, msg,
		 ret == -ECANCELED ? " (auto-recovery aborted)" : ret ? "; recovery failed: " : "",
		 ret && ret != -ECANCELED ? err.msg : "");
	dlh_notify(h, r);
}

static void now_str(json_t *fmsg)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_set_new(fmsg, "time_ns", json_integer((json_int_t)ts.tv_sec * 1000000000 +
							  ts.tv_nsec));
}

/* ---- fw ---- */

static int fw_diagnose(struct health_reporter *r, json_t *fmsg, struct health_err *err)
{
	struct dl_health *h = dev_h(r);
	const char *op = dev_opcode_str(h->last_opcode);

	(void)err;
	json_object_set_new(fmsg, "command_failures", json_integer((json_int_t)h->cmd_failures));
	json_object_set_new(fmsg, "last_error", json_string(h->fw_error[0] ? h->fw_error : "none"));
	if (h->last_opcode)
		json_object_set_new(fmsg, "last_command", json_pack("{s:s,s:i,s:s,s:I,s:I}",
			"opcode", op ? op : "?", "status", h->last_status,
			"status_name", dev_status_str(h->last_status),
			"syndrome", (json_int_t)h->last_syndrome,
			"latency_ms", (json_int_t)(h->last_latency_ns / 1000000)));
	json_object_set_new(fmsg, "event_queue_depth",
			    json_integer((json_int_t)dev_eq_depth(h->dl->dev)));
	return 0;
}

static int fw_dump(struct health_reporter *r, json_t *fmsg, void *ctx, struct health_err *err)
{
	(void)ctx;
	now_str(fmsg);
	return fw_diagnose(r, fmsg, err);
}

static int fw_recover(struct health_reporter *r, void *ctx, struct health_err *err)
{
	struct dl_health *h = dev_h(r);
	struct dev_cmd_in_hdr in = { .opcode = DEV_CMD_NOP };
	struct dev_cmd_out_hdr out;
	uint8_t st;

	(void)ctx;
	h->busy = true;
	st = dl_cmd(h->dl, &in, sizeof(in), &out, sizeof(out));
	h->busy = false;
	if (st != DEV_STAT_OK) {
		snprintf(err->msg, sizeof(err->msg), "the device still fails commands "
			 "(NOP: status %s syndrome 0x%08x)", dev_status_str(st), out.syndrome);
		return -EIO;
	}
	return 0;
}

static int fw_test(struct health_reporter *r, struct health_err *err)
{
	struct dl_health *h = dev_h(r);

	(void)err;
	dlh_report(h, r, h->dl->handle, "test error");
	return 0;
}

const struct health_ops dlh_fw_ops = {
	.name = "fw", .recover = fw_recover, .dump = fw_dump, .diagnose = fw_diagnose,
	.test = fw_test,
};

/* ---- fw_fatal ---- */

static int fatal_diagnose(struct health_reporter *r, json_t *fmsg, struct health_err *err)
{
	struct dl_health *h = dev_h(r);
	struct dp *dp = dl_datapath(h->dl);
	json_t *ws = json_array();

	(void)err;
	json_object_set_new(fmsg, "last_error",
			    json_string(h->fatal_error[0] ? h->fatal_error : "none"));
	for (unsigned w = 0; dp && w < dp_nqueues(dp); w++) {
		struct dp_worker_health wh;

		if (dp_worker_health(dp, w, &wh))
			break;
		json_array_append_new(ws, json_pack("{s:i,s:I,s:b,s:b}", "worker", (int)w,
			"heartbeat", (json_int_t)wh.heartbeat, "sleeping", wh.sleeping,
			"stuck", h->beat_stuck[w] >= DLH_STUCK_TICKS));
	}
	json_object_set_new(fmsg, "workers", ws);
	json_object_set_new(fmsg, "store_write_failures",
			    json_integer((json_int_t)store_failures(h->dl->st)));
	return 0;
}

static int fatal_dump(struct health_reporter *r, json_t *fmsg, void *ctx, struct health_err *err)
{
	(void)ctx;
	now_str(fmsg);
	return fatal_diagnose(r, fmsg, err);
}

static int fatal_recover(struct health_reporter *r, void *ctx, struct health_err *err)
{
	struct dl_health *h = dev_h(r);
	struct dl *dl = h->dl;
	struct dev_set_fault_in in = { .hdr.opcode = DEV_CMD_SET_FAULT,
				       .hdr.op_mod = DEV_FAULT_CLEAR };
	struct dev_set_fault_out out;
	struct dl_err derr = { { 0 } };
	unsigned created, deleted, added, removed;
	int ret;

	(void)ctx;
	/* Reset: every injected fault of the device goes, hung workers are
	 * released, the store writes again. */
	h->busy = true;
	(void)dl_cmd(dl, &in, sizeof(in), &out, sizeof(out));
	h->busy = false;
	dl_process_events(dl);
	store_fail_next(dl->st, 0);
	if (store_begin(dl->st) || store_kv_set(dl->st, "health.probe", 1) ||
	    store_commit(dl->st)) {
		store_rollback(dl->st);
		snprintf(err->msg, sizeof(err->msg), "the state store still fails: %s",
			 store_errmsg(dl->st));
		return -EIO;
	}
	h->store_failures = store_failures(dl->st);
	/* Reload from durable state: what the store holds was acknowledged,
	 * what it does not was not (a deletion whose store write failed put
	 * the device ahead of it). */
	ret = dl_port_reload(dl, &created, &deleted, &derr);
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "%s", derr.msg);
		return ret;
	}
	ret = dl_filter_reload(dl, &added, &removed);
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "cannot reload the eswitch rules: %s",
			 strerror(-ret));
		return ret;
	}
	if (created || deleted || added || removed)
		util_log(UTIL_INFO, "%s: reloaded from durable state: %u SF ports created, %u "
			 "deleted, %u rules added, %u deleted", dl->handle, created, deleted, added,
			 removed);
	memset(h->beat_stuck, 0, sizeof(h->beat_stuck));
	return 0;
}

static int fatal_test(struct health_reporter *r, struct health_err *err)
{
	struct dl_health *h = dev_h(r);

	(void)err;
	dlh_report(h, r, h->dl->handle, "test error");
	return 0;
}

const struct health_ops dlh_fw_fatal_ops = {
	.name = "fw_fatal", .recover = fatal_recover, .dump = fatal_dump,
	.diagnose = fatal_diagnose, .test = fatal_test,
};

/* ---- port tx ---- */

static struct dlh_port *port_h(struct health_reporter *r) { return r->priv; }

static int tx_diagnose(struct health_reporter *r, json_t *fmsg, struct health_err *err)
{
	struct dlh_port *hp = port_h(r);
	struct dp *dp = dl_datapath(hp->h->dl);
	struct dp_input_health ih = { 0 };
	struct dp_qstats st = { 0 };

	(void)err;
	if (!dp || dp_input_health(dp, hp->index, false, &ih)) {
		json_object_set_new(fmsg, "queue", json_string("absent"));
	} else {
		json_object_set_new(fmsg, "input", json_pack("{s:I,s:I,s:i,s:b,s:b}",
			"pending", (json_int_t)ih.pending, "consumer_index", (json_int_t)ih.consumed,
			"worker", (int)ih.owner, "polled", !ih.stalled,
			"stuck", hp->in_stuck >= DLH_STUCK_TICKS));
		if (ih.host_queues)
			json_object_set_new(fmsg, "netdev", json_pack("{s:i,s:i,s:I,s:I,s:b}",
				"queues", (int)ih.host_queues, "queues_waiting", (int)ih.host_waiting,
				"taken", (json_int_t)ih.taken, "rate_deferred", (json_int_t)ih.deferred,
				"stuck", hp->host_stuck >= DLH_STUCK_TICKS));
	}
	for (unsigned q = 0; dp && q < dp_nqueues(dp); q++) {
		struct dp_qstats qs;
		bool has_pool;
		struct pp_stats ps;

		if (dp_queue_stats(dp, hp->index, false, q, &qs, &ps, &has_pool) == 0) {
			st.rx_packets += qs.rx_packets;
			st.tx_packets += qs.tx_packets;
		}
	}
	json_object_set_new(fmsg, "sent_packets", json_integer((json_int_t)st.rx_packets));
	json_object_set_new(fmsg, "last_error",
			    json_string(r->last_msg[0] ? r->last_msg : "none"));
	return 0;
}

static int tx_dump(struct health_reporter *r, json_t *fmsg, void *ctx, struct health_err *err)
{
	(void)ctx;
	now_str(fmsg);
	return tx_diagnose(r, fmsg, err);
}

static int tx_recover(struct health_reporter *r, void *ctx, struct health_err *err)
{
	struct dlh_port *hp = port_h(r);
	struct dp *dp = dl_datapath(hp->h->dl);

	(void)ctx;
	/* Reset the queue: polled again from where it stopped. */
	(void)err;
	if (dp)
		(void)dp_fault_stall_input(dp, hp->index, false, false);  /* -ENODEV: no queue */
	hp->in_stuck = hp->host_stuck = 0;
	return 0;
}

const struct health_ops dlh_tx_ops = {
	.name = "tx", .recover = tx_recover, .dump = tx_dump, .diagnose = tx_diagnose,
};

/* ---- port rx ---- */

/* The SF's memif server, or NULL. */
static struct memif_srv *memif_of(struct dlh_port *hp)
{
	struct dl_port *p = dl_port_by_index(hp->h->dl, hp->index);

	return p && p->aux ? p->aux->memif : NULL;
}

/* A memif client's S2C rings (what the SF receives), summed. */
static bool memif_sums(struct memif_srv *m, struct memif_srv_info *info, uint64_t *sent,
		       uint64_t *full)
{
	struct memif_qstats q[MEMIF_MAX_QUEUE_PAIRS];
	unsigned n = memif_srv_info(m, info, q, MEMIF_MAX_QUEUE_PAIRS);

	*sent = *full = 0;
	for (unsigned k = 0; k < n && k < MEMIF_MAX_QUEUE_PAIRS; k++) {
		*sent += q[k].tx_packets;
		*full += q[k].ring_full;
	}
	return info->connected;
}

static void memif_diagnose(struct dlh_port *hp, json_t *fmsg)
{
	struct memif_srv *m = memif_of(hp);
	struct memif_srv_info info;
	uint64_t sent, full;

	if (!m || !memif_sums(m, &info, &sent, &full))
		return;
	json_object_set_new(fmsg, "memif", json_pack("{s:s,s:i,s:I,s:I,s:b}",
		"client", info.client_name, "pid", (int)info.pid, "delivered", (json_int_t)sent,
		"ring_full", (json_int_t)full, "stuck", hp->memif_stuck > DLH_STUCK_TICKS));
}

/* The pools the port receives into, one per worker queue, with their
 * no_buffer drops; whether each is seen as unable to refill. */
static void pools_diagnose(struct dlh_port *hp, json_t *fmsg)
{
	struct dp *dp = dl_datapath(hp->h->dl);
	json_t *ps = json_array();

	for (unsigned q = 0; dp && q < dp_nqueues(dp) && q < DP_MAX_WORKERS; q++) {
		struct dp_qstats st;
		struct pp_stats pp;
		bool has;
		json_t *j;

		if (dp_queue_stats(dp, hp->index, false, q, &st, &pp, &has))
			break;
		if (!has)
			continue;
		j = dl_pool_json(&pp);
		json_object_set_new(j, "queue", json_integer(q));
		json_object_set_new(j, "no_buffer_drops",
				    json_integer((json_int_t)st.drops[DP_DROP_NO_BUFFER]));
		json_object_set_new(j, "cannot_refill", json_boolean(
			(int)q == hp->pool_queue || hp->pool_stuck[q] >= DLH_STUCK_TICKS));
		json_array_append_new(ps, j);
	}
	json_object_set_new(fmsg, "page_pools", ps);
}

static int rx_diagnose(struct health_reporter *r, json_t *fmsg, struct health_err *err)
{
	struct dlh_port *hp = port_h(r);
	struct zc_queue_info q[DLH_ZC_QUEUES];
	unsigned n = zc_srv_queues(hp->h->dl->zc, hp->index, q, DLH_ZC_QUEUES);
	json_t *qs = json_array();

	(void)err;
	for (unsigned i = 0; i < n && i < DLH_ZC_QUEUES; i++) {
		bool stuck = (int)q[i].queue == hp->stuck_queue && q[i].pid == hp->stuck_pid;

		json_array_append_new(qs, json_pack("{s:i,s:s,s:i,s:I,s:I,s:I,s:b}",
			"queue", (int)q[i].queue, "consumer",
			q[i].mode == SFNIC_ZC_EXCLUSIVE ? "zero-copy" : "tap", "pid", (int)q[i].pid,
			"delivered", (json_int_t)q[i].st.rx_frames,
			"in_flight", (json_int_t)q[i].st.outstanding,
			"overruns", (json_int_t)q[i].st.overruns, "stuck", stuck));
	}
	json_object_set_new(fmsg, "queues", qs);
	pools_diagnose(hp, fmsg);
	memif_diagnose(hp, fmsg);
	json_object_set_new(fmsg, "last_error",
			    json_string(hp->last_error[0] ? hp->last_error : "none"));
	return 0;
}

static int rx_dump(struct health_reporter *r, json_t *fmsg, void *ctx, struct health_err *err)
{
	(void)ctx;
	now_str(fmsg);
	return rx_diagnose(r, fmsg, err);
}

/* A pool that cannot refill: the taps of the port that hold its frames
 * are dropped (their frames go back to the pool).  Fails when none holds
 * any: nothing here can give the pool its buffers back. */
static int pool_recover(struct dlh_port *hp, struct health_err *err)
{
	struct dp *dp = dl_datapath(hp->h->dl);
	struct zc_queue_info q[DLH_ZC_QUEUES];
	unsigned n = zc_srv_queues(hp->h->dl->zc, hp->index, q, DLH_ZC_QUEUES), dropped = 0;
	struct dp_qstats st;
	struct pp_stats ps;
	bool has = false;

	for (unsigned i = 0; i < n && i < DLH_ZC_QUEUES; i++)
		if (q[i].mode != SFNIC_ZC_EXCLUSIVE && q[i].st.outstanding &&
		    !zc_srv_close_queue(hp->h->dl->zc, hp->index, q[i].queue))
			dropped++;
	/* Nobody to drop: fine only if the pool has refilled since (an
	 * allocation succeeded). */
	if (!dropped && (!dp || dp_queue_stats(dp, hp->index, false, (unsigned)hp->pool_queue,
					       &st, &ps, &has) || !has ||
			 ps.alloc_fast + ps.alloc_slow == hp->pool_ok_reported)) {
		snprintf(err->msg, sizeof(err->msg), "page pool of queue %d has not refilled and no "
			 "consumer of the port holds its buffers: nothing to drop", hp->pool_queue);
		return -EBUSY;
	}
	hp->pool_queue = -1;
	memset(hp->pool_stuck, 0, sizeof(hp->pool_stuck));
	return 0;
}

static int rx_recover(struct health_reporter *r, void *ctx, struct health_err *err)
{
	struct dlh_port *hp = port_h(r);

	(void)ctx;
	if (hp->pool_queue >= 0) {
		int ret = pool_recover(hp, err);

		if (ret)
			return ret;
	}
	/* Drop the stuck consumer: its queue closes and its buffers come home. */
	if (hp->stuck_queue >= 0)
		(void)zc_srv_close_queue(hp->h->dl->zc, hp->index, (uint32_t)hp->stuck_queue);
	if (hp->memif_reported && memif_of(hp))
		(void)memif_srv_drop_client(memif_of(hp), "Stopped draining (devlink health)");
	hp->memif_reported = false;
	hp->memif_stuck = 0;
	hp->stuck_queue = hp->stuck_pid = -1;
	hp->nzq = 0;
	return 0;
}

const struct health_ops dlh_rx_ops = {
	.name = "rx", .recover = rx_recover, .dump = rx_dump, .diagnose = rx_diagnose,
};

/* ---- detection, once a tick ---- */

static void detect_workers(struct dl_health *h)
{
	struct dp *dp = dl_datapath(h->dl);
	char msg[160];

	for (unsigned w = 0; dp && w < dp_nqueues(dp) && w < DP_MAX_WORKERS; w++) {
		struct dp_worker_health wh;

		if (dp_worker_health(dp, w, &wh))
			break;
		if (!dp_worker_progressed(&wh, h->beat[w]))
			h->beat_stuck[w]++;
		else
			h->beat_stuck[w] = 0;
		h->beat[w] = wh.heartbeat;
		if (h->beat_stuck[w] == DLH_STUCK_TICKS) {
			snprintf(msg, sizeof(msg), "datapath worker %u stopped making progress "
				 "(heartbeat %llu)", w, (unsigned long long)wh.heartbeat);
			snprintf(h->fatal_error, sizeof(h->fatal_error), "%s", msg);
			dlh_report(h, &h->fw_fatal, h->dl->handle, msg);
		}
	}
	if (store_failures(h->dl->st) != h->store_failures) {
		h->store_failures = store_failures(h->dl->st);
		snprintf(msg, sizeof(msg), "state store write failed: %s",
			 store_last_failure(h->dl->st));
		snprintf(h->fatal_error, sizeof(h->fatal_error), "%s", msg);
		dlh_report(h, &h->fw_fatal, h->dl->handle, msg);
	}
}

static void detect_tx(struct dl_health *h, struct dlh_port *hp)
{
	struct dp *dp = dl_datapath(h->dl);
	struct dp_input_health ih;
	char hd[80], msg[160];

	if (!dp || dp_input_health(dp, hp->index, false, &ih))
		return;
	if (ih.pending && ih.consumed == hp->in_consumed)
		hp->in_stuck++;
	else
		hp->in_stuck = 0;
	hp->in_consumed = ih.consumed;
	if (hp->in_stuck == DLH_STUCK_TICKS) {
		snprintf(msg, sizeof(msg), "TX queue stopped: %u frames pending, consumer index %u "
			 "not moving (worker %u)", ih.pending, ih.consumed, ih.owner);
		dlh_handle(h, &hp->tx, hd, sizeof(hd));
		dlh_report(h, &hp->tx, hd, msg);
	}
	/* The netdev's queue: frames wait, none is taken, and neither the
	 * shaper nor a stuck worker nor a dry pool (reported by their own
	 * reporters) explains it. */
	if (ih.host_waiting && ih.taken == hp->host_taken && ih.deferred == hp->host_deferred &&
	    !(ih.owner < DP_MAX_WORKERS && (h->beat_stuck[ih.owner] || hp->pool_stuck[ih.owner])))
		hp->host_stuck++;
	else
		hp->host_stuck = 0;
	hp->host_taken = ih.taken;
	hp->host_deferred = ih.deferred;
	if (hp->host_stuck == DLH_STUCK_TICKS) {
		snprintf(msg, sizeof(msg), "TX queue stopped: the netdev's queue has frames waiting "
			 "(%u of %u queues), none taken for %d s (worker %u)", ih.host_waiting,
			 ih.host_queues, DLH_STUCK_TICKS, ih.owner);
		dlh_handle(h, &hp->tx, hd, sizeof(hd));
		dlh_report(h, &hp->tx, hd, msg);
	}
}

static struct dlh_zq *zq_find(struct dlh_port *hp, uint32_t queue, int pid)
{
	for (unsigned i = 0; i < hp->nzq; i++)
		if (hp->zq[i].queue == queue && hp->zq[i].pid == pid)
			return &hp->zq[i];
	return NULL;
}

static void detect_rx(struct dl_health *h, struct dlh_port *hp)
{
	struct zc_queue_info q[DLH_ZC_QUEUES];
	struct dlh_zq next[DLH_ZC_QUEUES];
	unsigned n = zc_srv_queues(h->dl->zc, hp->index, q, DLH_ZC_QUEUES), m = 0;
	char hd[80];

	for (unsigned i = 0; i < n && i < DLH_ZC_QUEUES; i++) {
		struct dlh_zq *old;
		uint64_t returned = q[i].st.rx_frames - q[i].st.outstanding;

		if (q[i].mode != SFNIC_ZC_EXCLUSIVE)
			continue;
		old = zq_find(hp, q[i].queue, q[i].pid);
		next[m] = (struct dlh_zq){ q[i].queue, q[i].pid, returned, q[i].st.overruns,
					   q[i].st.outstanding, 0 };
		/* Frames keep coming (held by the consumer, or lost for want of
		 * room) while it gives none back.  One tick more than other
		 * reporters wait: an application may hold a burst for a while. */
		if (old && returned == old->returned && q[i].st.outstanding &&
		    (q[i].st.overruns > old->overruns || q[i].st.outstanding > old->outstanding))
			next[m].stuck = old->stuck + 1;
		if (next[m].stuck == DLH_STUCK_TICKS + 1) {
			hp->stuck_queue = (int)q[i].queue;
			hp->stuck_pid = q[i].pid;
			snprintf(hp->last_error, sizeof(hp->last_error),
				 "zero-copy queue %u (pid %d) stopped returning buffers: %u in "
				 "flight, %llu frames overrun", q[i].queue, (int)q[i].pid,
				 q[i].st.outstanding, (unsigned long long)q[i].st.overruns);
			dlh_handle(h, &hp->rx, hd, sizeof(hd));
			dlh_report(h, &hp->rx, hd, hp->last_error);
		}
		m++;
	}
	memcpy(hp->zq, next, m * sizeof(next[0]));
	hp->nzq = m;
}

/* Frames of the port's region its read-only taps hold (what the pool
 * parks instead of handing out).  Only when a report is made. */
static uint32_t taps_hold(struct dl_health *h, struct dlh_port *hp)
{
	struct zc_queue_info q[DLH_ZC_QUEUES];
	unsigned n = zc_srv_queues(h->dl->zc, hp->index, q, DLH_ZC_QUEUES);
	uint32_t held = 0;

	for (unsigned i = 0; i < n && i < DLH_ZC_QUEUES; i++)
		if (q[i].mode != SFNIC_ZC_EXCLUSIVE)
			held += q[i].st.outstanding;
	return held;
}

/* A pool of the port that cannot refill: allocations refused (empty, or
 * at the cap) while none succeeds, DLH_STUCK_TICKS ticks in a row.  O(workers) per port:
 * dp_queue_stats() finds the port in the datapath's table. */
static void detect_pool(struct dl_health *h, struct dlh_port *hp)
{
	struct dp *dp = dl_datapath(h->dl);
	char hd[80];

	for (unsigned q = 0; dp && q < dp_nqueues(dp) && q < DP_MAX_WORKERS; q++) {
		struct dp_qstats st;
		struct pp_stats ps;
		bool has;
		uint64_t ok, refused, nobuf;

		if (dp_queue_stats(dp, hp->index, false, q, &st, &ps, &has))
			return;
		if (!has) {
			hp->pool_stuck[q] = 0;
			continue;
		}
		ok = ps.alloc_fast + ps.alloc_slow;
		refused = ps.alloc_empty + ps.cap_hit;
		nobuf = st.drops[DP_DROP_NO_BUFFER];
		/* Refused with none granted: what waits for a buffer (a frame
		 * to copy in, dropped as no_buffer; a netdev's next read, left
		 * in its queue) waits in vain. */
		if (ok == hp->pool_ok[q] && refused > hp->pool_fail[q]) {
			if (hp->pool_stuck[q] < UINT8_MAX)
				hp->pool_stuck[q]++;
		} else {
			hp->pool_stuck[q] = 0;
		}
		hp->pool_ok[q] = ok;
		hp->pool_fail[q] = refused;
		hp->pool_nobuf[q] = nobuf;
		if (hp->pool_stuck[q] == DLH_STUCK_TICKS) {
			uint32_t tapped = taps_hold(h, hp);

			hp->pool_queue = (int)q;
			hp->pool_ok_reported = ok;
			snprintf(hp->last_error, sizeof(hp->last_error),
				 "page pool of queue %u cannot refill: %u buffers in flight (%u held "
				 "by taps), cap %u; %llu frames dropped for no buffer", q,
				 ps.inflight + tapped, tapped, ps.max_buffers,
				 (unsigned long long)nobuf);
			dlh_handle(h, &hp->rx, hd, sizeof(hd));
			dlh_report(h, &hp->rx, hd, hp->last_error);
		}
	}
}

/* A memif client that gets frames (its S2C rings full) and takes none. */
static void detect_memif(struct dl_health *h, struct dlh_port *hp)
{
	struct memif_srv *m = memif_of(hp);
	struct memif_srv_info info;
	uint64_t sent, full;
	char hd[80];

	if (!m || !memif_sums(m, &info, &sent, &full)) {
		hp->memif_stuck = 0;
		return;
	}
	if (full > hp->memif_full && sent == hp->memif_sent)
		hp->memif_stuck++;
	else
		hp->memif_stuck = 0;
	hp->memif_sent = sent;
	hp->memif_full = full;
	if (hp->memif_stuck == DLH_STUCK_TICKS + 1) {
		hp->memif_reported = true;
		snprintf(hp->last_error, sizeof(hp->last_error),
			 "memif client %s (pid %d) stopped draining: %llu frames found its rings full",
			 info.client_name, (int)info.pid, (unsigned long long)full);
		dlh_handle(h, &hp->rx, hd, sizeof(hd));
		dlh_report(h, &hp->rx, hd, hp->last_error);
	}
}

void dlh_detect(struct dl_health *h)
{
	detect_workers(h);
	for (struct dlh_port *hp = h->ports; hp; hp = hp->next) {
		detect_pool(h, hp);     /* first: tx leaves a dry pool to rx */
		detect_tx(h, hp);
		detect_rx(h, hp);
		detect_memif(h, hp);
	}
}
