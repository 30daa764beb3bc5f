// SPDX-License-Identifier: MIT
/* Running the commands clients send: message checks, lookup, handlers, deferred answers. */
#define LOG_PREFIX "qmp"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "vmm/core/log.h"
#include "vmm/qmp/server_internal.h"

static const struct qmp_command *find_command(const struct qmp_server *srv, const char *name)
{
	size_t i;

	for (i = 0; i < srv->ncmds; i++)
		if (!strcmp(srv->cmds[i].name, name))
			return &srv->cmds[i];
	return NULL;
}

/* Checks the members of a command message, in QEMU's words. */
static int check_message(struct json_object *msg, const char **name, struct json_object **args,
			 struct qmp_error *err)
{
	struct json_object *exec = NULL;

	json_object_object_foreach(msg, key, val) {
		if (!strcmp(key, "execute")) {
			if (!json_object_is_type(val, json_type_string))
				return qmp_error_set(err, QMP_ERROR_GENERIC,
						     "QMP input member 'execute' must be a string");
			exec = val;
		} else if (!strcmp(key, "arguments")) {
			if (!json_object_is_type(val, json_type_object))
				return qmp_error_set(err, QMP_ERROR_GENERIC,
						     "QMP input member 'arguments' must be an object");
			*args = val;
		} else if (strcmp(key, "id")) {
			return qmp_error_set(err, QMP_ERROR_GENERIC,
					     "QMP input member '%s' is unexpected", key);
		}
	}
	if (!exec)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "QMP input lacks member 'execute'");
	*name = json_object_get_string(exec);
	return 0;
}

static void run_async(struct qmp_conn *c, const struct qmp_command *cmd, bool has_id,
		      struct json_object *id, struct json_object *args)
{
	struct qmp_server *srv = c->srv;
	struct qmp_request *req = calloc(1, sizeof(*req));

	if (!req || !(req->name = strdup(cmd->name))) {
		free(req);
		log_err("client %u: out of memory starting '%s'", c->serial, cmd->name);
		qmp_conn_drop(c, "out of memory");
		return;
	}
	req->srv = srv;
	req->conn = c;
	req->has_id = has_id;
	req->id = json_object_get(id);
	req->next = srv->requests;
	if (srv->requests)
		srv->requests->prev = req;
	srv->requests = req;
	c->pending = req;
	/* May complete at once, in which case c->pending is clear again on return. */
	cmd->async_fn(srv->opaque, args, req);
}

void qmp_dispatch(struct qmp_conn *c, struct json_object *msg)
{
	struct json_object *id = NULL, *args = NULL, *ret = NULL, *empty = NULL;
	const struct qmp_command *cmd = NULL;
	const struct qmp_builtin *builtin;
	const char *const *allowed;
	struct qmp_error err = { 0 };
	const char *name = NULL;
	bool has_id = false;
	int rc;

	if (!json_object_is_type(msg, json_type_object)) {
		qmp_error_set(&err, QMP_ERROR_GENERIC, "QMP input must be a JSON object");
		goto reply;
	}
	/* "id" may be any JSON value, null included; it is echoed as it came. */
	has_id = json_object_object_get_ex(msg, "id", &id);
	if (check_message(msg, &name, &args, &err) < 0)
		goto reply;

	if (!c->negotiated && strcmp(name, "qmp_capabilities")) {
		qmp_error_set(&err, QMP_ERROR_COMMAND_NOT_FOUND,
			      "Expecting capabilities negotiation with 'qmp_capabilities'");
		goto reply;
	}
	builtin = qmp_builtin_find(name);
	if (!builtin)
		cmd = find_command(c->srv, name);
	if (!builtin && !cmd) {
		qmp_error_set(&err, QMP_ERROR_COMMAND_NOT_FOUND, "The command %s has not been found",
			      name);
		goto reply;
	}
	if (!args) {
		args = empty = json_object_new_object();
		if (!args) {
			qmp_error_set(&err, QMP_ERROR_GENERIC, "Out of memory");
			goto reply;
		}
	}
	allowed = builtin ? builtin->args : cmd->args;
	if (allowed && qmp_args_check(args, allowed, &err) < 0)
		goto reply;

	if (builtin) {
		rc = builtin->fn(c, args, &ret, &err);
	} else if (cmd->async_fn) {
		log_debug("client %u: %s (deferred)", c->serial, name);
		run_async(c, cmd, has_id, id, args);
		json_object_put(empty);
		return;
	} else {
		log_debug("client %u: %s", c->serial, name);
		rc = cmd->fn(c->srv->opaque, args, &ret, &err);
	}
	if (rc < 0 && !err.set)
		qmp_error_set(&err, QMP_ERROR_GENERIC, "%s", strerror(-rc));
	if (rc >= 0)
		err.set = false;
reply:
	json_object_put(empty);
	qmp_conn_reply(c, has_id, id, ret, &err);
}

static void request_unlink(struct qmp_request *req)
{
	if (!req->srv)
		return;
	if (req->prev)
		req->prev->next = req->next;
	else
		req->srv->requests = req->next;
	if (req->next)
		req->next->prev = req->prev;
	req->prev = req->next = NULL;
	req->srv = NULL;
}

void qmp_request_detach(struct qmp_request *req)
{
	req->conn = NULL;
	request_unlink(req);
}

void qmp_request_complete(struct qmp_request *req, struct json_object *ret,
			  const struct qmp_error *err)
{
	struct qmp_conn *c;

	if (!req) {
		json_object_put(ret);
		return;
	}
	c = req->conn;
	request_unlink(req);
	if (c) {
		qmp_conn_get(c);
		c->pending = NULL;
		qmp_conn_reply(c, req->has_id, req->id, ret, err);
		/* Inside its own processing loop the client carries on by itself. */
		if (!c->processing)
			qmp_conn_resume(c);
		qmp_conn_put(c);
	} else {
		log_debug("answer to '%s' dropped: nobody waits for it any more", req->name);
		json_object_put(ret);
	}
	json_object_put(req->id);
	free(req->name);
	free(req);
}

bool qmp_request_abandoned(const struct qmp_request *req)
{
	return !req->conn;
}

const char *qmp_request_command(const struct qmp_request *req)
{
	return req->name;
}
