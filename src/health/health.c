/*
 * health.c - devlink health reporters: report, recover, dump, diagnose, set.
 *
 * Follows net/devlink/health.c line for line where it decides something
 * (devlink_health_report(), devlink_health_reporter_recover(),
 * devlink_health_do_dump()), so that counts and states match what the
 * kernel's selftests expect of netdevsim's dummy reporter.
 */
#include "health.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t (*health_now_ms)(void) = mono_ms;
uint64_t (*health_real_ns)(void) = real_ns;

static int errf(struct health_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int errf(struct health_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

const char *health_state_str(enum health_state s)
{
	return s == HEALTH_HEALTHY ? "healthy" : "error";
}

void health_init(struct health_reporter *r, const struct health_ops *ops, void *priv)
{
	memset(r, 0, sizeof(*r));
	r->ops = ops;
	r->priv = priv;
	r->cfg.auto_recover = ops->recover != NULL;
	r->cfg.auto_dump = ops->dump != NULL;
}

void health_fini(struct health_reporter *r)
{
	json_decref(r->dump);
	r->dump = NULL;
}

/* Takes a dump unless one is stored (devlink_health_do_dump): the first
 * error's picture is kept until the user clears it. */
static int do_dump(struct health_reporter *r, void *ctx, struct health_err *err)
{
	json_t *fmsg;
	int ret;

	if (!r->ops->dump)
		return 0;
	if (r->dump)
		return 0;
	fmsg = json_object();
	if (!fmsg)
		return errf(err, ENOMEM, "out of memory");
	ret = r->ops->dump(r, fmsg, ctx, err);
	if (ret) {
		json_decref(fmsg);
		return ret;
	}
	r->dump = fmsg;
	r->dump_real_ns = health_real_ns();
	return 0;
}

static int do_recover(struct health_reporter *r, void *ctx, struct health_err *err)
{
	int ret;

	if (r->state == HEALTH_HEALTHY)
		return 0;
	if (!r->ops->recover)
		return errf(err, EOPNOTSUPP, "Reporter \"%s\" has no recover operation",
			    r->ops->name);
	ret = r->ops->recover(r, ctx, err);
	if (ret)
		return ret;
	r->recovery_count++;
	r->last_recovery_ms = health_now_ms();
	r->state = HEALTH_HEALTHY;
	return 0;
}

int health_report(struct health_reporter *r, const char *msg, void *ctx, struct health_err *err)
{
	enum health_state prev = r->state;
	uint64_t until;

	r->error_count++;
	r->state = HEALTH_ERROR;
	snprintf(r->last_msg, sizeof(r->last_msg), "%s", msg ? msg : "");
	/* Abort if the previous error was not recovered, or the last
	 * recovery is too recent: within the grace period, or the burst
	 * period that follows it. */
	until = r->last_recovery_ms + r->cfg.grace_period_ms + r->cfg.burst_period_ms;
	if (r->cfg.auto_recover &&
	    (prev != HEALTH_HEALTHY ||
	     (r->last_recovery_ms && r->recovery_count && health_now_ms() < until)))
		return errf(err, ECANCELED, "reporter \"%s\": auto-recovery aborted (%s)",
			    r->ops->name, prev != HEALTH_HEALTHY ? "not recovered from the "
			    "previous error" : "within the grace period");
	if (r->cfg.auto_dump)
		(void)do_dump(r, ctx, NULL);    /* a failed dump does not stop recovery */
	if (!r->cfg.auto_recover)
		return 0;
	return do_recover(r, ctx, err);
}

int health_recover(struct health_reporter *r, struct health_err *err)
{
	return do_recover(r, NULL, err);
}

int health_diagnose(struct health_reporter *r, json_t **out, struct health_err *err)
{
	json_t *fmsg;
	int ret;

	if (!r->ops->diagnose)
		return errf(err, EOPNOTSUPP, "Reporter \"%s\" has no diagnose operation",
			    r->ops->name);
	fmsg = json_object();
	if (!fmsg)
		return errf(err, ENOMEM, "out of memory");
	if ((ret = r->ops->diagnose(r, fmsg, err))) {
		json_decref(fmsg);
		return ret;
	}
	*out = fmsg;
	return 0;
}

int health_dump_get(struct health_reporter *r, json_t **out, struct health_err *err)
{
	int ret;

	if (!r->ops->dump)
		return errf(err, EOPNOTSUPP, "Reporter \"%s\" has no dump operation",
			    r->ops->name);
	if ((ret = do_dump(r, NULL, err)))
		return ret;
	*out = json_incref(r->dump);
	return 0;
}

int health_dump_clear(struct health_reporter *r, struct health_err *err)
{
	if (!r->ops->dump)
		return errf(err, EOPNOTSUPP, "Reporter \"%s\" has no dump operation",
			    r->ops->name);
	json_decref(r->dump);
	r->dump = NULL;
	r->dump_real_ns = 0;
	return 0;
}

int health_test(struct health_reporter *r, struct health_err *err)
{
	if (!r->ops->test)
		return errf(err, EOPNOTSUPP, "Reporter \"%s\" has no test operation",
			    r->ops->name);
	return r->ops->test(r, err);
}

int health_set(struct health_reporter *r, const uint64_t *grace_ms, const uint64_t *burst_ms,
	       const bool *auto_recover, const bool *auto_dump, struct health_err *err)
{
	uint64_t grace = grace_ms ? *grace_ms : r->cfg.grace_period_ms;

	if ((grace_ms || burst_ms || auto_recover) && !r->ops->recover)
		return errf(err, EOPNOTSUPP, "Reporter \"%s\" has no recover operation",
			    r->ops->name);
	if (auto_dump && !r->ops->dump)
		return errf(err, EOPNOTSUPP, "Reporter \"%s\" has no dump operation",
			    r->ops->name);
	if (burst_ms && *burst_ms && !grace)
		return errf(err, EINVAL, "Cannot set burst period without a grace period.");
	if (grace_ms)
		r->cfg.grace_period_ms = *grace_ms;
	if (burst_ms)
		r->cfg.burst_period_ms = *burst_ms;
	/* A grace period of 0 switches the burst period off too
	 * (devlink-health(8)). */
	if (!r->cfg.grace_period_ms)
		r->cfg.burst_period_ms = 0;
	if (auto_recover)
		r->cfg.auto_recover = *auto_recover;
	if (auto_dump)
		r->cfg.auto_dump = *auto_dump;
	return 0;
}

json_t *health_show_json(const struct health_reporter *r)
{
	json_t *o = json_pack("{s:s,s:s,s:I,s:I}", "reporter", r->ops->name,
			      "state", health_state_str(r->state),
			      "error", (json_int_t)r->error_count,
			      "recover", (json_int_t)r->recovery_count);

	if (r->dump) {
		time_t t = (time_t)(r->dump_real_ns / 1000000000ull);
		struct tm tm;
		char d[32], h[32];

		localtime_r(&t, &tm);
		strftime(d, sizeof(d), "%Y-%m-%d", &tm);
		strftime(h, sizeof(h), "%H:%M:%S", &tm);
		json_object_set_new(o, "last_dump_date", json_string(d));
		json_object_set_new(o, "last_dump_time", json_string(h));
	}
	if (r->ops->recover) {
		json_object_set_new(o, "grace_period", json_integer((json_int_t)r->cfg.grace_period_ms));
		json_object_set_new(o, "burst_period", json_integer((json_int_t)r->cfg.burst_period_ms));
		json_object_set_new(o, "auto_recover", json_boolean(r->cfg.auto_recover));
	}
	if (r->ops->dump)
		json_object_set_new(o, "auto_dump", json_boolean(r->cfg.auto_dump));
	return o;
}
