/*
 * cli.h - the sfnic command-line tool: argument handling and output.
 */
#ifndef SFNIC_CLI_H
#define SFNIC_CLI_H

#include <jansson.h>
#include <stdbool.h>

struct cli_opts {
	bool json, pretty, stats;
	bool iec;               /* -i: rates in IEC units (Kibit, ...) */
	bool brief;             /* -br: filter show without keys and action details */
};

struct sfnic_client;
struct ctx {
	struct cli_opts o;
	const char *run_dir;
	struct sfnic_client *client;
	int argc;
	char **argv;
};

/* sfnic.c: the pieces commands are built from. */
bool cli_matches(const char *arg, const char *word);   /* unambiguous prefix */
const char *cli_next(struct ctx *c);                    /* takes the next word */
int cli_usage_err(const char *fmt, const char *arg);    /* prints, -EINVAL */
int cli_connect(struct ctx *c);                         /* 0 or -errno */
int cli_run(struct ctx *c, json_t *req);                /* send, print, 0/-errno */

/* cli_dp.c: filter, replay, capture. */
int cli_cmd_filter(struct ctx *c);
int cli_cmd_replay(struct ctx *c);
int cli_cmd_capture(struct ctx *c);
/* cli_ethtool.c: ethtool -N/-U, -n/-u, -l on SF functions. */
int cli_cmd_ethtool(struct ctx *c);
/* cli_rate.c: port function rate show|set|add|del (after "rate"). */
int cli_cmd_rate(struct ctx *c);
/* Prints {"rate": {...}}'s inner object as devlink does, one line each. */
void cli_print_rate(const struct cli_opts *o, json_t *top);
/* cli_health.c: devlink-health(8)'s commands; `health show` lists and the
 * fmsg of diagnose and dump show, as devlink prints them. */
int cli_cmd_health(struct ctx *c);
void cli_print_health(json_t *top);
void cli_print_fmsg(json_t *obj);
/* cli_link.c: link add|del|show and neigh add|del|show (ip's words),
 * and their printing as ip -d link / ip neigh print. */
int cli_cmd_link(struct ctx *c);
int cli_cmd_neigh(struct ctx *c);
void cli_print_links(json_t *arr);
void cli_print_neighs(json_t *arr);
/* cli_ct.c: ct show|flush|stats; the connections as conntrack -L prints
 * them, the counters as key=value. */
int cli_cmd_ct(struct ctx *c);
void cli_print_ct(json_t *arr);
void cli_print_ct_stats(json_t *obj);
/* cli_top.c: `sfnic top [-b] [-d SECS] [-n ITERATIONS]`, a live view of
 * ports, SFs, rules and page pools with rates per second. */
int cli_cmd_top(struct ctx *c);
/* cli_action.c: one action of `filter show` as tc prints it, with its
 * counters under -s; brief: its kind only, as tc's terse dump. */
void cli_print_action(json_t *a, bool stats, bool brief);
/* Prints `filter show` results as tc does. */
void cli_print_filters(const struct cli_opts *o, json_t *arr);

/* Prints a command's result as devlink would: JSON (-j, -p) or text.
 * kind is the top-level key ("port", "dev", ...); eswitch selects the
 * one-line eswitch form of a "dev" object. */
void cli_print_result(const struct cli_opts *o, const char *cmd, json_t *result);

/* Prints one monitor event ({"obj":..., "cmd":..., "msg":...}). */
void cli_print_event(const struct cli_opts *o, json_t *ev);

#endif
