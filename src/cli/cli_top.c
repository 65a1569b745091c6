/*
 * cli_top.c - `sfnic top`: ports, SFs, rules and page pools with rates
 * per second, sorted by traffic, redrawn every -d seconds, as top(1) is
 * for processes.
 *
 * Each refresh asks the daemon twice (`port show` with stats, and every
 * rule: "filter.list") and divides the counters' growth since the last
 * refresh by the time between the two answers.  The first frame has no
 * earlier sample, so its rates read "-".
 *
 * The screen is plain ANSI (VT100) sequences, not ncurses: the view is a
 * full redraw once a refresh into the alternate screen (home, each line
 * cleared to its end, the rest cleared), which every terminal emulator
 * and tmux understand; ncurses would add a library and a terminfo lookup
 * to draw the same thing.  Keys are read from stdin in non-canonical mode:
 * q quits, space refreshes now.  -b (or stdout not a terminal) prints
 * frames one after another with no control sequences, every row of every
 * table, for scripts; -n stops after that many frames.
 */
#include "cli.h"
#include "sfnic/sfnic.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct sample {
	json_t *ports;          /* port.show result with stats */
	json_t *rules;          /* filter.list result */
	json_t *rule_by_key;    /* "dev chain pref handle" -> the rule's stats */
	double t;               /* CLOCK_MONOTONIC seconds */
};

/* One line of a table, with the figure it is sorted by. */
struct row {
	double key, key2;
	char name[64];          /* ties sort by name */
	char text[256];
};

struct table {
	struct row *v;
	size_t n, cap;
};

static volatile sig_atomic_t stop_sig, winch;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		winch = 1;
	else
		stop_sig = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t u64(const json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));

	return v > 0 ? (uint64_t)v : 0;
}

static uint64_t u64_2(const json_t *o, const char *k1, const char *k2)
{
	return u64(json_object_get(o, k1), k2);
}

/* Human figures: 1234567 -> "1.23M"; "-" when there is no rate yet. */
static const char *human(char *buf, size_t len, double v, bool valid)
{
	static const char *const unit[] = { "", "K", "M", "G", "T" };
	int u = 0;

	if (!valid)
		return "-";
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f%s", v < 10 ? 2 : v < 100 ? 1 : 0, v, unit[u]);
	return buf;
}

static void sample_free(struct sample *s)
{
	json_decref(s->ports);
	json_decref(s->rules);
	json_decref(s->rule_by_key);
	memset(s, 0, sizeof(*s));
}

static int ask(struct ctx *c, json_t *req, json_t **result)
{
	json_t *reply = NULL;
	int ret = sfnic_request(c->client, req, &reply);

	json_decref(req);
	if (ret) {
		fprintf(stderr, "sfnicd connection failed: %s\n", strerror(-ret));
		return ret;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *msg = json_string_value(json_object_get(reply, "msg"));

		fprintf(stderr, "Error: %s\n", msg ? msg : "the daemon refused");
		json_decref(reply);
		return -EIO;
	}
	*result = json_incref(json_object_get(reply, "result"));
	json_decref(reply);
	return 0;
}

static void rule_key(const json_t *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s %llu %llu %llu", json_string_value(json_object_get(r, "dev")),
		 (unsigned long long)u64(r, "chain"), (unsigned long long)u64(r, "pref"),
		 (unsigned long long)u64(json_object_get(r, "options"), "handle"));
}

/* The first action's stats (every action of a rule counts the same). */
static const json_t *rule_stats(const json_t *r)
{
	return json_object_get(json_array_get(json_object_get(json_object_get(r, "options"), "actions"), 0),
			       "stats");
}

static int sample_take(struct ctx *c, struct sample *s)
{
	json_t *r;
	size_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	if ((ret = ask(c, json_pack("{s:s,s:b}", "cmd", "port.show", "stats", 1), &s->ports)) ||
	    (ret = ask(c, json_pack("{s:s}", "cmd", "filter.list"), &s->rules)))
		return ret;
	s->t = now_s();
	s->rule_by_key = json_object();
	json_array_foreach(s->rules, i, r) {
		char k[128];

		rule_key(r, k, sizeof(k));
		json_object_set(s->rule_by_key, k, (json_t *)rule_stats(r));
	}
	return 0;
}

static void table_add(struct table *t, double key, double key2, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void table_add(struct table *t, double key, double key2, const char *name, const char *fmt, ...)
{
	va_list ap;
	struct row *r;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct row *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return;
		t->v = v;
		t->cap = cap;
	}
	r = &t->v[t->n++];
	r->key = key;
	r->key2 = key2;
	snprintf(r->name, sizeof(r->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	if (x->key2 != y->key2)
		return x->key2 < y->key2 ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Growth per second of o[k1][k2] since prev (NULL: no rate). */
static double per_s(const json_t *o, const json_t *prev, const char *k1, const char *k2, double dt)
{
	uint64_t a = u64_2(o, k1, k2), b = u64_2(prev, k1, k2);

	return prev && dt > 0 && a >= b ? (double)(a - b) / dt : 0;
}

static uint64_t drops_sum(const json_t *st)
{
	const char *k;
	json_t *v;
	uint64_t n = 0;

	json_object_foreach(json_object_get(st, "drops"), k, v)
		n += json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
	return n;
}

struct frame {
	struct table ports, rules, pools;
	unsigned sfs, active, attached;
	uint64_t rx_total_pps, tx_total_pps;
};

/* One side of a port: its row and its pools' rows. */
static void port_rows(struct frame *f, const char *h, const char *netdev, const char *side,
		      const char *state, const json_t *st, const json_t *pst, double dt)
{
	bool ok = pst != NULL;
	double rxp = per_s(st, pst, "rx", "packets", dt), txp = per_s(st, pst, "tx", "packets", dt);
	double rxb = per_s(st, pst, "rx", "bytes", dt), txb = per_s(st, pst, "tx", "bytes", dt);
	uint64_t d = drops_sum(st), pd = drops_sum(pst);
	double dps = ok && dt > 0 && d >= pd ? (double)(d - pd) / dt : 0;
	char a[16], b[16], cc[16], e[16], g[16], name[80];
	json_t *q;
	size_t i;

	snprintf(name, sizeof(name), "%s %s", h, side);
	table_add(&f->ports, rxb + txb, rxp + txp, name,
		  "%-20s %-16s %-11s %-15s %8s %9s %8s %9s %8s",
		  h, netdev ? netdev : "-", side, state, human(a, sizeof(a), rxp, ok),
		  human(b, sizeof(b), rxb * 8, ok), human(cc, sizeof(cc), txp, ok),
		  human(e, sizeof(e), txb * 8, ok), human(g, sizeof(g), dps, ok));
	json_array_foreach(json_object_get(st, "queues"), i, q) {
		const json_t *pp = json_object_get(q, "page_pool"), *ppp = NULL, *pq;
		size_t k;
		char qn[96], h1[16], h2[16], h3[16];
		double alloc, slow, recyc;

		if (!pp)
			continue;
		json_array_foreach(json_object_get(pst, "queues"), k, pq)
			if (u64(pq, "queue") == u64(q, "queue"))
				ppp = json_object_get(pq, "page_pool");
		alloc = ppp && dt > 0 ? ((double)(u64(pp, "alloc_fast") + u64(pp, "alloc_slow")) -
					  (double)(u64(ppp, "alloc_fast") + u64(ppp, "alloc_slow"))) / dt : 0;
		slow = ppp && dt > 0 ? ((double)u64(pp, "alloc_slow") - (double)u64(ppp, "alloc_slow")) / dt : 0;
		recyc = ppp && dt > 0 ? ((double)(u64(pp, "recycle_cached") + u64(pp, "recycle_ring")) -
					  (double)(u64(ppp, "recycle_cached") + u64(ppp, "recycle_ring"))) / dt : 0;
		snprintf(qn, sizeof(qn), "%s %s %04llu", h, side, (unsigned long long)u64(q, "queue"));
		table_add(&f->pools, alloc, (double)u64(pp, "inflight"), qn,
			  "%-20s %-11s %3llu %9s %9s %9s %8llu %8llu %8llu", h, side,
			  (unsigned long long)u64(q, "queue"), human(h1, sizeof(h1), alloc, ppp != NULL),
			  human(h2, sizeof(h2), slow, ppp != NULL), human(h3, sizeof(h3), recyc, ppp != NULL),
			  (unsigned long long)u64(pp, "inflight"), (unsigned long long)u64(pp, "hold"),
			  (unsigned long long)u64(pp, "max_buffers"));
	}
}

static void frame_build(struct frame *f, const struct sample *s, const struct sample *prev)
{
	double dt = prev && prev->ports ? s->t - prev->t : 0;
	const json_t *pports = prev ? json_object_get(prev->ports, "port") : NULL;
	const char *h;
	json_t *p, *r;
	size_t i;

	json_object_foreach(json_object_get(s->ports, "port"), h, p) {
		const char *fl = json_string_value(json_object_get(p, "flavour"));
		const char *nd = json_string_value(json_object_get(p, "netdev"));
		const json_t *pp = pports ? json_object_get(pports, h) : NULL;
		json_t *fn = json_object_get(p, "function"), *st;
		char state[32] = "-";

		if (fl && !strcmp(fl, "pcisf")) {
			const char *a = json_string_value(json_object_get(fn, "state"));
			const char *o = json_string_value(json_object_get(fn, "opstate"));

			f->sfs++;
			f->active += a && !strcmp(a, "active");
			f->attached += o && !strcmp(o, "attached");
			snprintf(state, sizeof(state), "%s/%s", a ? a : "?", o ? o : "?");
		}
		if ((st = json_object_get(p, "stats")))
			port_rows(f, h, nd, "vport", state, st,
				  prev ? json_object_get(pp, "stats") : NULL, dt);
		if ((st = json_object_get(p, "rep_stats")))
			port_rows(f, h, nd, "representor", "-", st,
				  prev ? json_object_get(pp, "rep_stats") : NULL, dt);
	}
	json_array_foreach(s->rules, i, r) {
		const json_t *st = rule_stats(r), *pst = NULL;
		char k[128], a[16], b[16];
		double pk = 0, by = 0;

		rule_key(r, k, sizeof(k));
		if (prev && prev->rule_by_key && (pst = json_object_get(prev->rule_by_key, k)) && dt > 0) {
			pk = ((double)u64(st, "packets") - (double)u64(pst, "packets")) / dt;
			by = ((double)u64(st, "bytes") - (double)u64(pst, "bytes")) / dt;
		}
		table_add(&f->rules, by, pk, k, "%-16s %5llu %5llu %#8llx %9s %9s %12llu",
			  json_string_value(json_object_get(r, "dev")),
			  (unsigned long long)u64(r, "chain"), (unsigned long long)u64(r, "pref"),
			  (unsigned long long)u64(json_object_get(r, "options"), "handle"),
			  human(a, sizeof(a), pk, pst != NULL), human(b, sizeof(b), by * 8, pst != NULL),
			  (unsigned long long)u64(st, "packets"));
	}
	qsort(f->ports.v, f->ports.n, sizeof(struct row), row_cmp);
	qsort(f->rules.v, f->rules.n, sizeof(struct row), row_cmp);
	qsort(f->pools.v, f->pools.n, sizeof(struct row), row_cmp);
}

static void frame_free(struct frame *f)
{
	free(f->ports.v);
	free(f->rules.v);
	free(f->pools.v);
}

/* ---- output ---- */

struct screen {
	bool tty;
	unsigned rows, cols;    /* 0: unlimited (batch) */
	unsigned used;
};

/* One line: cut to the width, cleared to its end on a terminal. */
static void line(struct screen *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line(struct screen *sc, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (sc->rows && sc->used >= sc->rows)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (sc->cols && strlen(buf) > sc->cols)
		buf[sc->cols] = 0;
	fputs(buf, stdout);
	fputs(sc->tty ? "\033[K\n" : "\n", stdout);
	sc->used++;
}

static void section(struct screen *sc, const char *title, const char *head, const struct table *t,
		    unsigned max)
{
	line(sc, "%s", "");
	line(sc, "%s (%zu)", title, t->n);
	line(sc, "%s", head);
	for (size_t i = 0; i < t->n && (!max || i < max); i++)
		line(sc, "%s", t->v[i].text);
	if (max && t->n > max)
		line(sc, "  ... %zu more", t->n - max);
}

static void frame_print(struct screen *sc, const struct frame *f, double delay)
{
	char ts[32];
	time_t now = time(NULL);
	unsigned pmax = 0, rmax = 0, qmax = 0;

	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
	sc->used = 0;
	if (sc->tty)
		fputs("\033[H", stdout);
	line(sc, "sfnic top - %s, every %.1f s   (q quits)", ts, delay);
	line(sc, "SFs: %u, %u active, %u attached   ports: %zu   rules: %zu   pools: %zu", f->sfs,
	     f->active, f->attached, f->ports.n, f->rules.n, f->pools.n);
	if (sc->rows) {
		/* Two lines of header, four per table of its own; rows shared
		 * 2:1:1 among ports, rules and pools, each at least 2. */
		unsigned left = sc->rows > 16 ? sc->rows - 16 : 6;

		pmax = left / 2 > 2 ? left / 2 : 2;
		rmax = left / 4 > 2 ? left / 4 : 2;
		qmax = left - pmax - rmax > 2 ? left - pmax - rmax : 2;
	}
	section(sc, "PORTS (sorted by bit/s)",
		"PORT                 NETDEV           SIDE        STATE            RX pps  RX bit/s   TX pps  TX bit/s  DROP/s",
		&f->ports, pmax);
	section(sc, "RULES (sorted by bit/s)",
		"DEV              CHAIN  PREF   HANDLE     pkt/s     bit/s      PACKETS", &f->rules, rmax);
	section(sc, "PAGE POOLS (sorted by allocations/s)",
		"PORT                 SIDE          Q   alloc/s    slow/s recycle/s INFLIGHT     HOLD      MAX",
		&f->pools, qmax);
	if (sc->tty)
		fputs("\033[J", stdout);
	else
		fputs("\n", stdout);
	fflush(stdout);
}

/* ---- the loop ---- */

static int parse_opts(struct ctx *c, double *delay, long *iters, bool *batch)
{
	const char *o;

	while ((o = cli_next(c))) {
		const char *v;
		char *end;

		if (!strcmp(o, "-b")) {
			*batch = true;
			continue;
		}
		if (strcmp(o, "-d") && strcmp(o, "-n"))
			return cli_usage_err("Option \"%s\" is unknown: sfnic top [ -b ] [ -d SECS ] [ -n ITERATIONS ]", o);
		if (!(v = cli_next(c)))
			return cli_usage_err("Option \"%s\" needs a value", o);
		if (!strcmp(o, "-d")) {
			*delay = strtod(v, &end);
			if (*end || !*v || !isfinite(*delay) || *delay < 0.1 || *delay > 3600)
				return cli_usage_err("Invalid delay \"%s\": seconds from 0.1 to 3600", v);
		} else {
			*iters = strtol(v, &end, 10);
			if (*end || !*v || *iters < 1)
				return cli_usage_err("Invalid iteration count \"%s\"", v);
		}
	}
	return 0;
}

int cli_cmd_top(struct ctx *c)
{
	double delay = 1.0;
	long iters = 0;
	bool batch = false, raw = false;
	struct sample cur = { 0 }, prev = { 0 };
	struct termios saved;
	struct screen sc = { 0 };
	int ret;

	if ((ret = parse_opts(c, &delay, &iters, &batch)) || (ret = cli_connect(c)))
		return ret;
	sc.tty = !batch && isatty(STDOUT_FILENO);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGWINCH, on_signal);
	if (sc.tty && isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved)) {
		struct termios t = saved;

		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		raw = !tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	if (sc.tty)
		fputs("\033[?1049h\033[?25l\033[H\033[2J", stdout);   /* alternate screen */
	for (long n = 0; !stop_sig && (!iters || n < iters); n++) {
		struct frame f = { 0 };
		double until;

		if ((ret = sample_take(c, &cur)))
			break;
		if (sc.tty) {
			struct winsize ws;

			if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
				sc.rows = ws.ws_row;
				sc.cols = ws.ws_col;
			} else {
				sc.rows = 24;
				sc.cols = 80;
			}
			if (winch) {
				winch = 0;
				fputs("\033[2J", stdout);
			}
		}
		frame_build(&f, &cur, prev.ports ? &prev : NULL);
		frame_print(&sc, &f, delay);
		frame_free(&f);
		sample_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		if (iters && n + 1 >= iters)
			break;
		/* Wait out the delay; a key may end it early. */
		until = now_s() + delay;
		while (!stop_sig) {
			double left = until - now_s();
			struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
			char k;

			if (left <= 0)
				break;
			if (poll(&pfd, raw ? 1 : 0, (int)(left * 1000) + 1) > 0 &&
			    read(STDIN_FILENO, &k, 1) == 1) {
				if (k == 'q' || k == 'Q')
					stop_sig = 1;
				else if (k == ' ')
					break;
			}
		}
	}
	sample_free(&cur);
	sample_free(&prev);
	if (sc.tty)
		fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return ret;
}
