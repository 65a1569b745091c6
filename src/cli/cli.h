/*
 * cli.h - the sfnic command-line tool: argument handling and output.
 */
#ifndef SFNIC_CLI_H
#define SFNIC_CLI_H

#include <jansson.h>
#include <stdbool.h>

struct cli_opts {
	bool json, pretty;
};

/* Prints a command's result as devlink would: JSON (-j, -p) or text.
 * kind is the top-level key ("port", "dev", ...); eswitch selects the
 * one-line eswitch form of a "dev" object. */
void cli_print_result(const struct cli_opts *o, const char *cmd, json_t *result);

/* Prints one monitor event ({"obj":..., "cmd":..., "msg":...}). */
void cli_print_event(const struct cli_opts *o, json_t *ev);

#endif
