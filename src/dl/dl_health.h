/*
 * dl_health.h - the devlink layer's health reporters (issue 12), shared by
 * dl_health.c (registry, requests, durable settings, notifications) and
 * dl_health_rep.c (the reporters: what they detect, diagnose, dump and
 * how they recover).
 *
 * Reporters, as mlx5 has them: the device's `fw` (command failures that
 * are the device's fault, a stuck command) and `fw_fatal` (the device can
 * no longer serve: a worker stopped making progress, the state store
 * failed); every PF and SF port's `tx` (the port's input stopped being
 * taken: its inject ring, or its netdev's queue) and `rx` (a consumer of what the port receives stopped draining).
 * Detection runs in the control thread's tick from counters the datapath
 * keeps anyway; a condition must hold for DLH_STUCK_TICKS ticks in a row
 * (the threshold), and is reported once per episode.
 */
#ifndef SFNIC_DL_HEALTH_H
#define SFNIC_DL_HEALTH_H

#include "dl_internal.h"
#include "../dp/dp.h"
#include "../health/health.h"

#define DLH_STUCK_TICKS 2       /* ticks (1 s) without progress = stuck;
				 * a zero-copy consumer gets one more */
#define DLH_CMD_STUCK_NS 1000000000ull  /* a device command slower than 1 s */
#define DLH_ZC_QUEUES 16

/* What the rx reporter tracks of one zero-copy queue between ticks. */
struct dlh_zq {
	uint32_t queue;
	int pid;
	uint64_t returned;      /* frames given back so far (delivered - held) */
	uint64_t overruns;
	uint32_t outstanding;   /* frames it holds */
	unsigned stuck;         /* ticks in a row with frames lost, none back */
};

struct dlh_port {
	uint32_t index;
	struct dl_health *h;
	struct health_reporter tx, rx;
	/* tx: the port's input (inject ring), and its netdev's queues: frames
	 * taken and reads the devlink rate refused at the last tick */
	uint32_t in_consumed;
	unsigned in_stuck;
	uint64_t host_taken, host_deferred;
	unsigned host_stuck;
	/* rx: zero-copy consumers */
	struct dlh_zq zq[DLH_ZC_QUEUES];
	unsigned nzq;
	int stuck_queue, stuck_pid;     /* the consumer reported (-1: none) */
	/* rx: the SF's memif client (S2C rings) */
	uint64_t memif_sent, memif_full;
	unsigned memif_stuck;
	bool memif_reported;            /* recovery drops the memif client */
	/* rx: the page pools the port receives into (one per worker queue):
	 * successful allocations, refused ones (empty or at the cap) and
	 * no_buffer drops at the last tick */
	uint64_t pool_ok[DP_MAX_WORKERS], pool_fail[DP_MAX_WORKERS], pool_nobuf[DP_MAX_WORKERS];
	uint8_t pool_stuck[DP_MAX_WORKERS];
	int pool_queue;                 /* the pool reported (-1: none) */
	uint64_t pool_ok_reported;      /* its successful allocations then */
	char last_error[160];
	struct dlh_port *next;
};

struct dl_health {
	struct dl *dl;
	struct health_reporter fw, fw_fatal;
	struct dlh_port *ports;
	void *by_index;         /* tsearch tree of the same ports, by index */
	bool busy;              /* a reporter's own command is running: not reported */
	/* fw */
	uint64_t cmd_failures;
	uint16_t last_opcode;
	uint8_t last_status;
	uint32_t last_syndrome;
	uint64_t last_latency_ns;
	char fw_error[160];
	/* fw_fatal */
	uint64_t beat[DP_MAX_WORKERS];
	unsigned beat_stuck[DP_MAX_WORKERS];
	uint64_t store_failures;
	char fatal_error[160];
};

/* dl_health_rep.c */
extern const struct health_ops dlh_fw_ops, dlh_fw_fatal_ops, dlh_tx_ops, dlh_rx_ops;
/* One tick's detection for the device and every port. */
void dlh_detect(struct dl_health *h);
/* A report, notified to monitors (and logged). */
void dlh_report(struct dl_health *h, struct health_reporter *r, const char *handle,
		const char *msg);

/* dl_health.c */
/* The reporter's handle ("sfnic/sfnic0" or "sfnic/sfnic0/32768"). */
void dlh_handle(struct dl_health *h, const struct health_reporter *r, char *buf, size_t len);
/* Tells monitors about r's state. */
void dlh_notify(struct dl_health *h, struct health_reporter *r);

#endif
