/*
 * cni_conf.c - the CNI environment, the network config and error JSON.
 *
 * The spec leaves unknown config keys to the plugin and asks that they be
 * passed through; we read only ours and never complain about others.  What
 * we read, we check strictly: a typo in "interface" or "mtu" is an error
 * (code 7) naming the key, not a silent default.
 */
#include "cni.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cni_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", NULL };

int cni_errf(struct cni_err *err, int code, const char *msg, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	va_start(ap, fmt);
	vsnprintf(err->details, sizeof(err->details), fmt, ap);
	va_end(ap);
	return -1;
}

void cni_err_print(const struct cni_err *err, const char *version, FILE *f)
{
	json_t *o = json_pack("{s:s,s:i,s:s}", "cniVersion", version && *version ? version : "1.0.0",
			      "code", err->code, "msg", err->msg);

	if (err->details[0])
		json_object_set_new(o, "details", json_string(err->details));
	json_dumpf(o, f, JSON_INDENT(4));
	fputc('\n', f);
	json_decref(o);
}

/* The spec's rule for container ids and network names: alphanumeric first,
 * then alphanumerics, '_', '.', '-'. */
static bool valid_id(const char *s)
{
	if (!s || !isalnum((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* Linux's dev_valid_name(). */
static bool valid_ifname(const char *s)
{
	if (!*s || strlen(s) >= 16 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int cni_env_read(struct cni_env *e, struct cni_err *err)
{
	const char *cmd = env("CNI_COMMAND");
	char missing[128] = "";

	memset(e, 0, sizeof(*e));
	if (!cmd)
		return 1;
	if (!strcmp(cmd, "ADD"))
		e->cmd = CNI_ADD;
	else if (!strcmp(cmd, "DEL"))
		e->cmd = CNI_DEL;
	else if (!strcmp(cmd, "CHECK"))
		e->cmd = CNI_CHECK;
	else if (!strcmp(cmd, "VERSION"))
		e->cmd = CNI_VERSION;
	else
		return cni_errf(err, CNI_ERR_ENV, "unknown CNI_COMMAND",
				"CNI_COMMAND is \"%.64s\"; the plugin knows ADD, DEL, CHECK and VERSION",
				cmd);
	if (e->cmd == CNI_VERSION)
		return 0;
	e->containerid = env("CNI_CONTAINERID");
	e->netns = env("CNI_NETNS");
	e->ifname = env("CNI_IFNAME");
	e->args = env("CNI_ARGS");
	e->path = env("CNI_PATH");
	/* CNI_NETNS may be empty on DEL: the namespace may be gone. */
	if (!e->containerid)
		strcat(missing, " CNI_CONTAINERID");
	if (!e->netns && e->cmd != CNI_DEL)
		strcat(missing, " CNI_NETNS");
	if (!e->ifname)
		strcat(missing, " CNI_IFNAME");
	if (missing[0])
		return cni_errf(err, CNI_ERR_ENV, "required environment variables missing",
				"%s is not set", missing + 1);
	if (!valid_id(e->containerid))
		return cni_errf(err, CNI_ERR_ENV, "invalid CNI_CONTAINERID",
				"\"%.128s\": it must start with a letter or digit and hold only "
				"letters, digits, '_', '.' and '-'", e->containerid);
	if (!valid_ifname(e->ifname))
		return cni_errf(err, CNI_ERR_ENV, "invalid CNI_IFNAME",
				"\"%.64s\" is not a valid Linux interface name", e->ifname);
	if (e->netns && e->netns[0] != '/')
		return cni_errf(err, CNI_ERR_ENV, "invalid CNI_NETNS",
				"\"%.256s\" is not an absolute path", e->netns);
	return 0;
}

static int bad(struct cni_err *err, const char *key, const char *what)
{
	return cni_errf(err, CNI_ERR_CONFIG, "invalid network config", "\"%s\": %s", key, what);
}

static const char *opt_str(json_t *root, const char *key, const char *def, bool *ok)
{
	json_t *v = json_object_get(root, key);

	if (!v || json_is_null(v))
		return def;
	if (!json_is_string(v) || !*json_string_value(v)) {
		*ok = false;
		return def;
	}
	return json_string_value(v);
}

/* "100-131,140" or [100, "110-119"]: sfnum ranges. */
static int parse_pool(struct cni_conf *c, json_t *v, struct cni_err *err)
{
	char buf[512];
	json_t *it;
	size_t i;

	if (json_is_string(v)) {
		json_t *a = json_array();
		char *save = NULL;

		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
		for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			json_array_append_new(a, json_string(tok));
		int ret = parse_pool(c, a, err);

		json_decref(a);
		return ret;
	}
	if (!json_is_array(v) || !json_array_size(v))
		return bad(err, "pool", "expected sfnum ranges such as \"100-131,140\"");
	json_array_foreach(v, i, it) {
		unsigned long long lo, hi;
		char *end;

		if (c->npool == CNI_POOL_MAX)
			return bad(err, "pool", "too many ranges (at most 64)");
		if (json_is_integer(it) && json_integer_value(it) >= 0 &&
		    json_integer_value(it) <= UINT32_MAX) {
			lo = hi = (unsigned long long)json_integer_value(it);
		} else if (json_is_string(it)) {
			const char *s = json_string_value(it);

			while (isspace((unsigned char)*s))
				s++;
			errno = 0;
			lo = strtoull(s, &end, 10);
			hi = lo;
			if (end != s && *end == '-')
				hi = strtoull(end + 1, &end, 10);
			while (isspace((unsigned char)*end))
				end++;
			if (errno || end == s || *end || !isdigit((unsigned char)*s) || hi < lo ||
			    hi > UINT32_MAX)
				return bad(err, "pool", "expected sfnum ranges such as \"100-131,140\"");
		} else {
			return bad(err, "pool", "expected sfnum ranges such as \"100-131,140\"");
		}
		c->pool[c->npool][0] = (uint32_t)lo;
		c->pool[c->npool][1] = (uint32_t)hi;
		c->npool++;
	}
	return 0;
}

bool cni_conf_in_pool(const struct cni_conf *c, uint32_t sfnum)
{
	for (unsigned i = 0; i < c->npool; i++)
		if (sfnum >= c->pool[i][0] && sfnum <= c->pool[i][1])
			return true;
	return false;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return !(mac[0] & 1);
}

/* A MAC the runtime asks for: CNI_ARGS "MAC=" (podman --mac-address) or
 * runtimeConfig.mac (the "mac" capability). */
static int requested_mac(struct cni_conf *c, const struct cni_env *e, struct cni_err *err)
{
	const char *rc = json_string_value(json_object_get(json_object_get(c->root,
									   "runtimeConfig"), "mac"));
	char args[1024], *save = NULL;

	if (rc) {
		if (!parse_mac(rc, c->mac))
			return bad(err, "runtimeConfig.mac", "not a unicast MAC address");
		c->has_mac = true;
	}
	if (!e->args)
		return 0;
	snprintf(args, sizeof(args), "%s", e->args);
	for (char *kv = strtok_r(args, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		if (strncmp(kv, "MAC=", 4))
			continue;
		if (!parse_mac(kv + 4, c->mac))
			return cni_errf(err, CNI_ERR_ENV, "invalid CNI_ARGS",
					"MAC=%.32s is not a unicast MAC address", kv + 4);
		c->has_mac = true;
	}
	return 0;
}

int cni_conf_parse(struct cni_conf *c, const char *text, size_t len, const struct cni_env *e,
		   struct cni_err *err)
{
	json_error_t jerr;
	json_t *v, *ipam;
	bool ok = true;
	bool known = false;

	memset(c, 0, sizeof(*c));
	c->root = json_loadb(text, len, 0, &jerr);
	if (!c->root || !json_is_object(c->root))
		return cni_errf(err, CNI_ERR_DECODE, "cannot decode the network config",
				"%s", c->root ? "it is not a JSON object" : jerr.text);
	v = json_object_get(c->root, "cniVersion");
	if (!json_is_string(v))
		return cni_errf(err, CNI_ERR_DECODE, "cannot decode the network config",
				"\"cniVersion\" is missing or not a string");
	snprintf(c->version, sizeof(c->version), "%s", json_string_value(v));
	for (const char *const *s = cni_versions; *s; s++)
		known |= !strcmp(*s, c->version);
	if (!known)
		return cni_errf(err, CNI_ERR_VERSION, "incompatible CNI versions",
				"config is \"%.32s\", plugin supports [\"0.3.0\" \"0.3.1\" \"0.4.0\" "
				"\"1.0.0\"]", json_string_value(v));
	if (e->cmd == CNI_VERSION)
		return 0;
	if (e->cmd == CNI_CHECK && strcmp(c->version, "0.4.0") < 0 && strcmp(c->version, "1.0.0"))
		return cni_errf(err, CNI_ERR_VERSION, "incompatible CNI versions",
				"config version \"%s\" does not allow CHECK", c->version);
	c->name = json_string_value(json_object_get(c->root, "name"));
	if (!valid_id(c->name))
		return bad(err, "name", "missing, or not a letter or digit followed by letters, "
			   "digits, '_', '.' and '-'");
	c->run_dir = opt_str(c->root, "runDir", NULL, &ok);
	if (!ok)
		return bad(err, "runDir", "expected a directory");
	c->device = opt_str(c->root, "device", "sfnic/sfnic0", &ok);
	if (!ok || !strchr(c->device, '/') || strlen(c->device) >= 64)
		return bad(err, "device", "expected a devlink handle such as \"sfnic/sfnic0\"");
	c->data_dir = opt_str(c->root, "dataDir", "/var/lib/cni/sfnic", &ok);
	if (!ok || c->data_dir[0] != '/' || strlen(c->data_dir) > 200)
		return bad(err, "dataDir", "expected an absolute path");
	v = json_object_get(c->root, "interface");
	if (!v || (json_is_string(v) && !strcmp(json_string_value(v), "netdev")))
		c->iface = CNI_IF_NETDEV;
	else if (json_is_string(v) && !strcmp(json_string_value(v), "memif"))
		c->iface = CNI_IF_MEMIF;
	else
		return bad(err, "interface", "expected \"netdev\" or \"memif\"");
	v = json_object_get(c->root, "mtu");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 68 || json_integer_value(v) > 65521)
			return bad(err, "mtu", "expected a number from 68 to 65521");
		c->mtu = (unsigned)json_integer_value(v);
	}
	v = json_object_get(c->root, "sfnumStart");
	c->sfnum_start = 100;
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > UINT32_MAX)
			return bad(err, "sfnumStart", "expected a number from 0 to 4294967295");
		c->sfnum_start = (uint32_t)json_integer_value(v);
	}
	if ((v = json_object_get(c->root, "pool")) && parse_pool(c, v, err))
		return -1;
	c->memif_dir = opt_str(c->root, "memifSocketDir", NULL, &ok);
	if (!ok || (c->memif_dir && (c->memif_dir[0] != '/' || strlen(c->memif_dir) > 300)))
		return bad(err, "memifSocketDir", "expected an absolute path");
	if (c->iface == CNI_IF_MEMIF && !c->memif_dir)
		return bad(err, "memifSocketDir", "\"interface\": \"memif\" needs the directory "
			   "that receives the containers' memif sockets");
	c->memif_owner = opt_str(c->root, "memifOwner", NULL, &ok);
	if (!ok)
		return bad(err, "memifOwner", "expected \"UID[:GID]\"");
	ipam = json_object_get(c->root, "ipam");
	if (ipam && !json_is_null(ipam)) {
		const char *t = json_string_value(json_object_get(ipam, "type"));

		if (!json_is_object(ipam) || !t || !*t || strchr(t, '/'))
			return bad(err, "ipam", "expected an object whose \"type\" names an IPAM "
				   "plugin in CNI_PATH");
		c->has_ipam = true;
		c->ipam_type = t;
	}
	v = json_object_get(c->root, "prevResult");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return bad(err, "prevResult", "expected a result object");
		c->prev = v;
	}
	return requested_mac(c, e, err);
}

void cni_conf_free(struct cni_conf *c)
{
	json_decref(c->root);
	c->root = NULL;
}

/* 64-bit FNV-1a over the parts, one NUL between them. */
void cni_mac_derive(const struct cni_conf *c, const struct cni_env *e, uint8_t mac[6])
{
	const char *parts[3] = { c->name, e->containerid, e->ifname };
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < 3; i++) {
		for (const char *s = parts[i]; *s; s++)
			h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
		h *= 0x100000001b3ull;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);     /* locally administered, unicast */
}
