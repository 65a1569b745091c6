/*
 * health.h - devlink health reporters: the kernel's net/devlink/health.c
 * semantics, without the transport.
 *
 * A reporter watches one kind of fault of one object (the device's
 * firmware, a port's TX or RX queues).  Its driver calls health_report()
 * when it sees the fault; the reporter counts the error, goes to state
 * error, stores a dump (auto_dump, and only if none is stored yet: the
 * first error's picture is the one worth keeping) and, with auto_recover,
 * calls the driver's recover op unless that is aborted: when the previous
 * state was not healthy (the last error was never recovered) or the last
 * recovery is less than grace_period + burst_period ago (a fault that comes
 * straight back is not fixed by recovering it in a loop).  A successful
 * recovery counts, stamps the time and returns the state to healthy.
 *
 * Diagnose and dump output are "fmsg" trees, here jansson objects: the op
 * fills the object it is given (name -> value, nested objects and arrays),
 * which is what devlink prints (text or JSON).  The dump is kept with its
 * wall-clock time until health_dump_clear().
 *
 * Threads: a reporter belongs to the control thread; nothing here locks.
 * Errors are values: calls return 0 or -errno with a one-line message in
 * err (when err is not NULL), in devlink's words; nothing prints.
 */
#ifndef SFNIC_HEALTH_H
#define SFNIC_HEALTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct health_err {
	char msg[256];
};

struct health_reporter;

/* What a reporter's driver provides; any op may be NULL (devlink then
 * answers EOPNOTSUPP, and show leaves out the fields that need it). */
struct health_ops {
	const char *name;       /* "fw", "fw_fatal", "tx", "rx" */
	/* Fixes the fault.  ctx is what health_report() was given (NULL for a
	 * recover the user asked for).  Returns 0 or -errno (+ err). */
	int (*recover)(struct health_reporter *r, void *ctx, struct health_err *err);
	/* Fills fmsg with a snapshot of the object.  ctx as for recover. */
	int (*dump)(struct health_reporter *r, json_t *fmsg, void *ctx, struct health_err *err);
	/* Fills fmsg with the object's current state. */
	int (*diagnose)(struct health_reporter *r, json_t *fmsg, struct health_err *err);
	/* `health test`: makes the driver report a test error. */
	int (*test)(struct health_reporter *r, struct health_err *err);
};

enum health_state { HEALTH_HEALTHY = 0, HEALTH_ERROR = 1 };

/* Settings, as `health set` changes them (durable in the caller's store). */
struct health_cfg {
	uint64_t grace_period_ms;
	uint64_t burst_period_ms;
	bool auto_recover;
	bool auto_dump;
};

struct health_reporter {
	const struct health_ops *ops;
	void *priv;             /* the driver's */
	enum health_state state;
	uint64_t error_count, recovery_count;
	struct health_cfg cfg;
	uint64_t last_recovery_ms;      /* health_now_ms() of the last recovery; 0 none */
	json_t *dump;                   /* the stored dump (owned), or NULL */
	uint64_t dump_real_ns;          /* CLOCK_REALTIME when it was taken */
	char last_msg[128];             /* the message of the last report */
};

/* The clock of grace and burst periods (CLOCK_MONOTONIC ms); tests may
 * replace it. */
extern uint64_t (*health_now_ms)(void);
/* The clock of dump timestamps (CLOCK_REALTIME ns); tests may replace it. */
extern uint64_t (*health_real_ns)(void);

/* Initialises r for ops/priv, healthy, with the kernel's defaults:
 * grace and burst 0, auto_recover on when there is a recover op, auto_dump
 * on when there is a dump op. */
void health_init(struct health_reporter *r, const struct health_ops *ops, void *priv);

/* Frees the stored dump.  r may be reused after health_init(). */
void health_fini(struct health_reporter *r);

/*
 * The driver saw the fault: counts it, state error, stores msg as the last
 * message, auto-dumps and auto-recovers as described above.  Returns 0
 * (recovered, or nothing more to do), -ECANCELED (auto-recovery aborted: the
 * reporter stays in error until recovered by hand), or the recover op's
 * error.  The caller notifies monitors after every report, as the kernel
 * does.
 */
int health_report(struct health_reporter *r, const char *msg, void *ctx, struct health_err *err);

/* `health recover`: 0 without calling the op when healthy; -EOPNOTSUPP
 * without a recover op; else the op's result (success counts a recovery
 * and returns the state to healthy). */
int health_recover(struct health_reporter *r, struct health_err *err);

/* `health diagnose`: a new object (owned by the caller) in *out, filled by
 * the diagnose op.  -EOPNOTSUPP without one. */
int health_diagnose(struct health_reporter *r, json_t **out, struct health_err *err);

/* `health dump show`: the stored dump, taking one first if none is stored;
 * *out is a new reference (the caller decrefs it).  -EOPNOTSUPP without a
 * dump op. */
int health_dump_get(struct health_reporter *r, json_t **out, struct health_err *err);

/* `health dump clear`: forgets the stored dump.  -EOPNOTSUPP without a dump
 * op. */
int health_dump_clear(struct health_reporter *r, struct health_err *err);

/* `health test`: -EOPNOTSUPP without a test op, else the op's result. */
int health_test(struct health_reporter *r, struct health_err *err);

/* `health set`: a field the request does not name is NULL.  Checks all
 * fields before changing any: grace, burst or auto_recover without a
 * recover op and auto_dump without a dump op are -EOPNOTSUPP; a burst
 * period above 0 with a grace period of 0 (given or in effect) is -EINVAL
 * "Cannot set burst period without a grace period."  On success *r's cfg
 * holds the new settings. */
int health_set(struct health_reporter *r, const uint64_t *grace_ms, const uint64_t *burst_ms,
	       const bool *auto_recover, const bool *auto_dump, struct health_err *err);

/* The reporter as `health show -j` lists it: {"reporter": NAME, "state",
 * "error", "recover", ["last_dump_date", "last_dump_time"], ["grace_period",
 * "burst_period", "auto_recover"], ["auto_dump"]} (fields present under
 * the kernel's conditions; dates in local time).  New object. */
json_t *health_show_json(const struct health_reporter *r);

/* "healthy" or "error". */
const char *health_state_str(enum health_state s);

#endif
