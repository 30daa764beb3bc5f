// SPDX-License-Identifier: MIT
/* The commands every QMP server has: qmp_capabilities, query-commands, query-version. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "vmm/core/json_util.h"
#include "vmm/qmp/server_internal.h"


/* {"qemu": {"micro": .., "minor": .., "major": ..}, "package": ..} */
static struct json_object *version_json(const struct qmp_server *srv)
{
	struct json_object *ver = json_object_new_object(), *qemu = json_object_new_object();

	if (!ver || !qemu || json_add_int(qemu, "micro", srv->cfg.version_micro) < 0 ||
	    json_add_int(qemu, "minor", srv->cfg.version_minor) < 0 ||
	    json_add_int(qemu, "major", srv->cfg.version_major) < 0) {
		json_object_put(qemu);
		goto fail;
	}
	if (json_add_obj(ver, "qemu", qemu) < 0 || json_add_str(ver, "package", srv->package) < 0)
		goto fail;
	return ver;
fail:
	json_object_put(ver);
	return NULL;
}

int qmp_builtin_greeting(const struct qmp_server *srv, char **out, size_t *len)
{
	struct json_object *greeting = json_object_new_object(), *qmp = json_object_new_object();
	const char *s;
	int ret = -ENOMEM;

	if (!qmp || json_add_obj(qmp, "version", version_json(srv)) < 0 ||
	    json_add_obj(qmp, "capabilities", json_object_new_array()) < 0) {
		json_object_put(qmp);
		goto out;
	}
	if (json_add_obj(greeting, "QMP", qmp) < 0)
		goto out;
	s = json_object_to_json_string_length(greeting, QMP_JSON_FLAGS, len);
	if (s && (*out = strdup(s)))
		ret = 0;
out:
	json_object_put(greeting);
	return ret;
}

static int qmp_capabilities(struct qmp_conn *c, struct json_object *args,
			    struct json_object **ret __unused, struct qmp_error *err)
{
	struct json_object *enable, *cap;
	int rc;

	rc = qmp_arg_json(args, "enable", false, json_type_array, &enable, err);
	if (rc < 0)
		return rc;
	/* No optional capabilities are offered (no "oob"): any entry is an error. */
	if (rc && json_object_array_length(enable)) {
		cap = json_object_array_get_idx(enable, 0);
		if (!json_object_is_type(cap, json_type_string))
			return qmp_error_set(err, QMP_ERROR_GENERIC,
					     "Parameter 'enable[0]' expects string");
		if (!strcmp(json_object_get_string(cap), "oob"))
			return qmp_error_set(err, QMP_ERROR_GENERIC, "Capability 'oob' not available");
		return qmp_error_set(err, QMP_ERROR_GENERIC,
				     "Parameter 'enable[0]' does not accept value '%s'",
				     json_object_get_string(cap));
	}
	if (c->negotiated)
		return qmp_error_set(err, QMP_ERROR_COMMAND_NOT_FOUND,
				     "Capabilities negotiation is already complete, command ignored");
	c->negotiated = true;
	return 0;
}

static int add_command_info(struct json_object *list, const char *name)
{
	struct json_object *info = json_object_new_object();

	if (json_add_str(info, "name", name) < 0 || json_object_array_add(list, info) < 0) {
		json_object_put(info);
		return -ENOMEM;
	}
	return 0;
}

#define NBUILTINS 3
static const struct qmp_builtin builtins[NBUILTINS];

/* [{"name": "qmp_capabilities"}, ...]: built-ins, then the server's commands. */
static int query_commands(struct qmp_conn *c, struct json_object *args __unused,
			  struct json_object **ret, struct qmp_error *err __unused)
{
	struct json_object *list = json_object_new_array();
	size_t i;

	if (!list)
		return -ENOMEM;
	for (i = 0; i < NBUILTINS; i++)
		if (add_command_info(list, builtins[i].name) < 0)
			goto oom;
	for (i = 0; i < c->srv->ncmds; i++)
		if (add_command_info(list, c->srv->cmds[i].name) < 0)
			goto oom;
	*ret = list;
	return 0;
oom:
	json_object_put(list);
	return -ENOMEM;
}

static int query_version(struct qmp_conn *c, struct json_object *args __unused,
			 struct json_object **ret, struct qmp_error *err __unused)
{
	*ret = version_json(c->srv);
	return *ret ? 0 : -ENOMEM;
}

static const char *const capabilities_args[] = { "enable", NULL };

static const struct qmp_builtin builtins[NBUILTINS] = {
	{ "qmp_capabilities", qmp_capabilities, capabilities_args },
	{ "query-commands", query_commands, qmp_no_args },
	{ "query-version", query_version, qmp_no_args },
};

const struct qmp_builtin *qmp_builtin_find(const char *name)
{
	size_t i;

	for (i = 0; i < NBUILTINS; i++)
		if (!strcmp(builtins[i].name, name))
			return &builtins[i];
	return NULL;
}
