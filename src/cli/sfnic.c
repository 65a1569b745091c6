/*
 * sfnic - devlink's grammar for sfnicd: dev, port, resource, aux, monitor.
 *
 * Parsing stays here; meaning stays in the daemon.  The tool turns keywords
 * into a JSON request, so that the daemon (one place) decides what is valid
 * and answers with devlink's and mlx5's messages.  Keywords may be
 * abbreviated to any unambiguous prefix, as iproute2 allows.
 */
#include "cli.h"
#include "../util/util.h"
#include "sfnic/sfnic.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool matches(const char *arg, const char *word);
static const char *next(struct ctx *c);
static int usage_err(const char *fmt, const char *arg);
static int connect_once(struct ctx *c);
static int run(struct ctx *c, json_t *req);

bool cli_matches(const char *arg, const char *word)
{
	return matches(arg, word);
}

static bool matches(const char *arg, const char *word)
{
	size_t n = strlen(arg);

	return n && n <= strlen(word) && !strncmp(arg, word, n);
}

static const char *next(struct ctx *c)
{
	if (!c->argc)
		return NULL;
	c->argc--;
	return *c->argv++;
}

static const char *peek(struct ctx *c) { return c->argc ? c->argv[0] : NULL; }

static int usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return -EINVAL;
}

const char *cli_next(struct ctx *c) { return next(c); }
int cli_usage_err(const char *fmt, const char *arg) { return usage_err(fmt, arg); }
int cli_connect(struct ctx *c) { return connect_once(c); }
int cli_run(struct ctx *c, json_t *req) { return run(c, req); }

static int connect_once(struct ctx *c)
{
	char err[512];

	if (c->client)
		return 0;
	c->client = sfnic_connect(c->run_dir, err, sizeof(err));
	if (!c->client) {
		fprintf(stderr, "%s\n", err);
		return -ECONNREFUSED;
	}
	return 0;
}

/* Sends req (consumed) and prints the result; returns 0 or -errno. */
static int run(struct ctx *c, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *reply = NULL;
	int ret;

	if ((ret = connect_once(c)) || (ret = sfnic_request(c->client, req, &reply))) {
		if (ret != -ECONNREFUSED)
			fprintf(stderr, "sfnicd connection failed: %s\n", strerror(-ret));
		json_decref(req);
		return ret;
	}
	if (json_is_true(json_object_get(reply, "ok"))) {
		cli_print_result(&c->o, cmd, json_object_get(reply, "result"));
		ret = 0;
	} else {
		const char *msg = json_string_value(json_object_get(reply, "msg"));
		int e = (int)json_integer_value(json_object_get(reply, "errno"));
		size_t n = msg ? strlen(msg) : 0;

		if (n)
			fprintf(stderr, "Error: %s%s\n", msg, strchr(".?", msg[n - 1]) ? "" : ".");
		else if (!strncmp(json_string_value(json_object_get(req, "cmd")), "filter.", 7))
			/* An error without a message, as tc reports the kernel's. */
			fprintf(stderr, "RTNETLINK answers: %s\nWe have an error talking to the "
				"kernel\n", strerror(e ? e : EIO));
		else
			fprintf(stderr, "sfnicd answers: %s\n", strerror(e ? e : EIO));
		ret = -(e ? e : EIO);
	}
	json_decref(req);
	json_decref(reply);
	return ret;
}

/* Parses "key value" pairs.  specs: NULL-terminated keyword list; a keyword
 * ending in '#' takes a number. */
static int parse_kv(struct ctx *c, json_t *req, const char *const *specs)
{
	const char *kw;

	while ((kw = next(c))) {
		const char *spec = NULL, *val;
		char name[32];
		size_t n;

		for (const char *const *s = specs; *s; s++) {
			n = strcspn(*s, "#");
			snprintf(name, sizeof(name), "%.*s", (int)n, *s);
			if (!strcmp(kw, name)) {   /* exact match wins over a prefix */
				spec = *s;
				break;
			}
			if (matches(kw, name) && !spec)
				spec = *s;
		}
		if (!spec)
			return usage_err("Unknown option \"%s\"", kw);
		n = strcspn(spec, "#");
		snprintf(name, sizeof(name), "%.*s", (int)n, spec);
		if (!(val = next(c)))
			return usage_err("Option \"%s\" requires a value", name);
		if (spec[n] == '#') {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(val, &end, 0);
			if (errno || *end || !*val || val[0] == '-')
				return usage_err("\"%s\" is not a number", val);
			json_object_set_new(req, name, json_integer((json_int_t)v));
		} else {
			json_object_set_new(req, name, json_string(val));
		}
	}
	return 0;
}

static json_t *req_new(const char *cmd, const char *handle)
{
	json_t *r = json_pack("{s:s}", "cmd", cmd);

	if (handle)
		json_object_set_new(r, "handle", json_string(handle));
	return r;
}

static int need_handle(const char *h, bool port)
{
	if (h)
		return 0;
	fprintf(stderr, port ? "Port identification (\"bus_name/dev_name/port_index\" or \"netdev ifname\") expected.\n"
			     : "Devlink identification (\"bus_name/dev_name\") expected\n");
	return -EINVAL;
}

static int simple(struct ctx *c, const char *cmd, bool handle_required, bool port,
		  const char *const *specs)
{
	const char *h = next(c);
	json_t *req;
	int ret;

	if (handle_required && (ret = need_handle(h, port)))
		return ret;
	req = req_new(cmd, h);
	if (specs && (ret = parse_kv(c, req, specs))) {
		json_decref(req);
		return ret;
	}
	if (!specs && peek(c)) {
		json_decref(req);
		return usage_err("Unknown option \"%s\"", peek(c));
	}
	return run(c, req);
}

static void help(FILE *f)
{
	fprintf(f,
"Usage: sfnic [ OPTIONS ] OBJECT { COMMAND | help }\n"
"       sfnic [ -f[orce] ] -b[atch] filename\n"
"where  OBJECT := { dev | port | resource | aux | monitor | filter | replay | capture |\n"
"                   ethtool | link | neigh | health | ct | top }\n"
"       OPTIONS := { -V[ersion] | -j[son] | -p[retty] | -i[ec] | --run-dir DIR }\n"
"\n"
"       sfnic dev show [ DEV ]\n"
"       sfnic dev info [ DEV ]\n"
"       sfnic dev eswitch show DEV\n"
"       sfnic dev eswitch set DEV [ mode { legacy | switchdev | switchdev_inactive } ]\n"
"                                 [ inline-mode { none | link | network | transport } ]\n"
"                                 [ encap-mode { none | basic } ]\n"
"       sfnic dev param show [ DEV name PARAMETER ]\n"
"       sfnic dev param set DEV name PARAMETER value VALUE cmode driverinit\n"
"       sfnic dev reload DEV [ netns NAME ]\n"
"       sfnic port show [ DEV/PORT_INDEX | NETDEV ]\n"
"       sfnic port add DEV flavour pcisf pfnum PFNUM sfnum SFNUM [ controller CNUM ]\n"
"                          [ netdev NAME ] [ rep_netdev NAME ]\n"
"       sfnic port del { DEV/PORT_INDEX | NETDEV }\n"
"       sfnic port function set { DEV/PORT_INDEX | NETDEV } [ hw_addr ADDR ]\n"
"                                  [ state { active | inactive } ]\n"
"       sfnic port function rate { show | set | add | del | help } ...\n"
"       sfnic resource show [ DEV ]\n"
"       sfnic resource set DEV path PATH size SIZE\n"
"       sfnic aux show [ NAME ]\n"
"       sfnic aux bind NAME [ driver DRIVER ]\n"
"       sfnic aux unbind NAME\n"
"       sfnic monitor [ all | dev | port | param | health | rate ]...\n"
"       sfnic top [ -b ] [ -d SECS ] [ -n ITERATIONS ]\n"
"       sfnic ethtool { -N | -U } DEV flow-type TYPE [ FIELD VALUE [ m MASK ] ]...\n"
"                                 [ action QUEUE ] [ loc LOCATION ]\n"
"       sfnic ethtool { -N | -U } DEV delete LOCATION\n"
"       sfnic ethtool { -n | -u } DEV [ rule LOCATION ]\n"
"       sfnic ethtool -l DEV\n"
"       sfnic link add NAME type vxlan { id VNI | external } [ dstport PORT ] ...\n"
"       sfnic link { del NAME | show [ NAME ] }\n"
"       sfnic neigh { add ADDR lladdr MAC | del ADDR | show } [ dev p0 ]\n"
"       sfnic health show [ { DEV | DEV/PORT_INDEX } reporter NAME ]\n"
"       sfnic health { recover | diagnose | test } { DEV | DEV/PORT_INDEX } reporter NAME\n"
"       sfnic health dump { show | clear } { DEV | DEV/PORT_INDEX } reporter NAME\n"
"       sfnic health set { DEV | DEV/PORT_INDEX } reporter NAME [ grace_period MSEC ]\n"
"                        [ burst_period MSEC ] [ auto_recover { true | false } ]\n"
"                        [ auto_dump { true | false } ]\n"
"       sfnic ct { show | flush } [ zone ZONE ]\n"
"       sfnic ct stats\n");
}

static const char *const no_specs[] = { NULL };

static int cmd_dev(struct ctx *c)
{
	static const char *const esw[] = { "mode", "inline-mode", "encap-mode", NULL };
	static const char *const pshow[] = { "name", NULL };
	static const char *const pset[] = { "name", "value", "cmode", NULL };
	static const char *const reload[] = { "netns", NULL };
	const char *sub = next(c);

	if (!sub || matches(sub, "show") || matches(sub, "list"))
		return simple(c, "dev.show", false, false, NULL);
	if (matches(sub, "info"))
		return simple(c, "dev.info", false, false, NULL);
	if (matches(sub, "eswitch")) {
		const char *op = next(c);

		if (op && matches(op, "show"))
			return simple(c, "dev.eswitch.show", true, false, NULL);
		if (op && matches(op, "set"))
			return simple(c, "dev.eswitch.set", true, false, esw);
		return usage_err("Command \"%s\" not found", op ? op : "");
	}
	if (matches(sub, "param")) {
		const char *op = next(c);

		if (!op || matches(op, "show"))
			return simple(c, "dev.param.show", false, false, pshow);
		if (matches(op, "set"))
			return simple(c, "dev.param.set", true, false, pset);
		return usage_err("Command \"%s\" not found", op);
	}
	if (matches(sub, "reload"))
		return simple(c, "dev.reload", true, false, reload);
	if (matches(sub, "help")) {
		help(stdout);
		return 0;
	}
	return usage_err("Command \"%s\" not found", sub);
}

static int cmd_port(struct ctx *c)
{
	static const char *const add[] = { "flavour", "pfnum#", "sfnum#", "controller#",
					   "netdev", "rep_netdev", NULL };
	static const char *const fnset[] = { "hw_addr", "state", NULL };
	const char *sub = next(c);

	if (!sub || matches(sub, "show") || matches(sub, "list")) {
		if (c->o.stats) {
			json_t *req = req_new("port.show", next(c));

			json_object_set_new(req, "stats", json_true());
			return peek(c) ? (json_decref(req), usage_err("What is \"%s\"?", peek(c)))
				       : run(c, req);
		}
		return simple(c, "port.show", false, true, NULL);
	}
	if (matches(sub, "add")) {
		const char *h = next(c);
		json_t *req;
		int ret;

		if ((ret = need_handle(h, false)))
			return ret;
		req = req_new("port.add", h);
		if ((ret = parse_kv(c, req, add))) {
			json_decref(req);
			return ret;
		}
		return run(c, req);
	}
	if (matches(sub, "del"))
		return simple(c, "port.del", true, true, NULL);
	if (matches(sub, "function")) {
		const char *op = next(c);

		if (op && matches(op, "set"))
			return simple(c, "port.function.set", true, true, fnset);
		if (op && matches(op, "rate"))
			return cli_cmd_rate(c);
		return usage_err("Command \"%s\" not found", op ? op : "");
	}
	if (matches(sub, "help")) {
		help(stdout);
		return 0;
	}
	return usage_err("Command \"%s\" not found", sub);
}

static int cmd_resource(struct ctx *c)
{
	static const char *const set[] = { "path", "size#", NULL };
	const char *sub = next(c);

	if (!sub || matches(sub, "show"))
		return simple(c, "resource.show", false, false, NULL);
	if (matches(sub, "set"))
		return simple(c, "resource.set", true, false, set);
	return usage_err("Command \"%s\" not found", sub);
}

static int cmd_aux(struct ctx *c)
{
	static const char *const bind[] = { "driver", NULL };
	const char *sub = next(c), *name;
	json_t *req;
	int ret;

	if (!sub || matches(sub, "show") || matches(sub, "list")) {
		req = req_new("aux.show", NULL);
		if ((name = next(c)))
			json_object_set_new(req, "name", json_string(name));
		return run(c, req);
	}
	if (!matches(sub, "bind") && !matches(sub, "unbind"))
		return usage_err("Command \"%s\" not found", sub);
	if (!(name = next(c))) {
		fprintf(stderr, "Auxiliary device name expected\n");
		return -EINVAL;
	}
	req = req_new(matches(sub, "bind") ? "aux.bind" : "aux.unbind", NULL);
	json_object_set_new(req, "name", json_string(name));
	if ((ret = parse_kv(c, req, matches(sub, "bind") ? bind : no_specs))) {
		json_decref(req);
		return ret;
	}
	return run(c, req);
}

static int cmd_monitor(struct ctx *c)
{
	const char *want[8];
	int nwant = 0, ret;
	json_t *reply, *msg;

	while (peek(c) && nwant < 8) {
		const char *w = next(c);

		if (strcmp(w, "all") && strcmp(w, "dev") && strcmp(w, "port") && strcmp(w, "param") &&
		    strcmp(w, "health") && strcmp(w, "rate"))
			return usage_err("Unknown object \"%s\"", w);
		want[nwant++] = w;
	}
	if ((ret = connect_once(c)))
		return ret;
	msg = req_new("monitor", NULL);
	ret = sfnic_request(c->client, msg, &reply);
	json_decref(msg);
	if (ret || !json_is_true(json_object_get(reply, "ok"))) {
		json_decref(reply);
		fprintf(stderr, "sfnicd refused the monitor request\n");
		return -EIO;
	}
	json_decref(reply);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ret = sfnic_recv(c->client, &msg)) == 0) {
		json_t *ev = json_object_get(msg, "event");
		const char *obj = json_string_value(json_object_get(ev, "obj"));
		bool show = !nwant;

		for (int i = 0; i < nwant && obj; i++)
			show |= !strcmp(want[i], "all") || !strcmp(want[i], obj);
		if (ev && show)
			cli_print_event(&c->o, ev);
		json_decref(msg);
	}
	return ret == -EPIPE ? 0 : ret;
}

static int dispatch(struct ctx *c)
{
	const char *obj = next(c);

	if (!obj || matches(obj, "help")) {
		help(obj ? stdout : stderr);
		return obj ? 0 : -EINVAL;
	}
	if (matches(obj, "dev"))
		return cmd_dev(c);
	if (matches(obj, "port"))
		return cmd_port(c);
	if (matches(obj, "resource"))
		return cmd_resource(c);
	if (matches(obj, "aux"))
		return cmd_aux(c);
	if (matches(obj, "monitor"))
		return cmd_monitor(c);
	if (matches(obj, "filter"))
		return cli_cmd_filter(c);
	if (matches(obj, "replay"))
		return cli_cmd_replay(c);
	if (matches(obj, "capture"))
		return cli_cmd_capture(c);
	if (matches(obj, "ethtool"))
		return cli_cmd_ethtool(c);
	if (matches(obj, "link"))
		return cli_cmd_link(c);
	if (matches(obj, "neighbour") || matches(obj, "neighbor"))
		return cli_cmd_neigh(c);
	if (matches(obj, "health"))
		return cli_cmd_health(c);
	if (!strcmp(obj, "ct"))
		return cli_cmd_ct(c);
	if (!strcmp(obj, "top"))
		return cli_cmd_top(c);
	return usage_err("Object \"%s\" not found", obj);
}

/* Splits a batch line into words; double quotes group, '#' starts a comment. */
static int split(char *line, char **argv, int max)
{
	int n = 0;

	while (*line) {
		while (*line == ' ' || *line == '\t' || *line == '\n' || *line == '\r')
			line++;
		if (!*line || *line == '#')
			break;
		if (n == max)
			return -1;
		if (*line == '"') {
			argv[n++] = ++line;
			while (*line && *line != '"')
				line++;
		} else {
			argv[n++] = line;
			while (*line && *line != ' ' && *line != '\t' && *line != '\n' &&
			       *line != '\r')
				line++;
		}
		if (*line)
			*line++ = 0;
	}
	return n;
}

static int batch(struct ctx *c, const char *file, bool force)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char *line = NULL, *argv[64];
	size_t cap = 0;
	unsigned lineno = 0;
	int ret = 0;

	if (!f) {
		fprintf(stderr, "Cannot open file \"%s\" for reading: %s\n", file, strerror(errno));
		return -errno;
	}
	while (getline(&line, &cap, f) > 0) {
		int argc = split(line, argv, 64), r;

		lineno++;
		if (argc == 0)
			continue;
		if (argc < 0) {
			fprintf(stderr, "Command line %u has too many words\n", lineno);
			r = -E2BIG;
		} else {
			c->argc = argc;
			c->argv = argv;
			r = dispatch(c);
		}
		if (r) {
			fprintf(stderr, "Command failed %s:%u\n", file, lineno);
			ret = r;
			if (!force)
				break;
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	const char *batch_file = NULL;
	bool force = false;
	int ret;

	signal(SIGPIPE, SIG_IGN);
	argc--;
	argv++;
	while (argc && argv[0][0] == '-' && argv[0][1]) {
		const char *o = argv[0] + (argv[0][1] == '-' ? 2 : 1);

		if (!strcmp(o, "run-dir") && argc > 1) {
			c.run_dir = argv[1];
			argc--;
			argv++;
		} else if (matches(o, "stats") || matches(o, "statistics")) {
			c.o.stats = true;
		} else if (matches(o, "json")) {
			c.o.json = true;
		} else if (matches(o, "pretty")) {
			c.o.pretty = true;
		} else if (!strcmp(o, "jp") || !strcmp(o, "pj")) {
			c.o.json = c.o.pretty = true;
		} else if (matches(o, "brief") && strlen(o) >= 2) {
			c.o.brief = true;
		} else if (matches(o, "iec")) {
			c.o.iec = true;
		} else if (matches(o, "Version")) {
			printf("sfnic utility, sfnic %s\n", SFNIC_VERSION);
			return 0;
		} else if (matches(o, "force")) {
			force = true;
		} else if (matches(o, "batch") && argc > 1) {
			batch_file = argv[1];
			argc--;
			argv++;
		} else if (matches(o, "help")) {
			help(stdout);
			return 0;
		} else if (matches(o, "no-nice-names") || !strcmp(o, "n")) {
			/* accepted for devlink compatibility: sfnic has no nice names */
		} else {
			fprintf(stderr, "Option \"%s\" is unknown, try \"sfnic -help\".\n", argv[0]);
			return 1;
		}
		argc--;
		argv++;
	}
	if (batch_file) {
		ret = batch(&c, batch_file, force);
	} else {
		/* Options may also follow the command, as in "port show X -jp". */
		int n = 0;

		for (int i = 0; i < argc; i++) {
			if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "-json"))
				c.o.json = true;
			else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "-pretty"))
				c.o.pretty = true;
			else if (!strcmp(argv[i], "-jp") || !strcmp(argv[i], "-pj"))
				c.o.json = c.o.pretty = true;
			else if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "-iec"))
				c.o.iec = true;
			else
				argv[n++] = argv[i];
		}
		c.argc = n;
		c.argv = argv;
		ret = dispatch(&c);
	}
	sfnic_close(c.client);
	return ret ? 1 : 0;
}
