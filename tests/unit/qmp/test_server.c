// SPDX-License-Identifier: MIT
/* The QMP server through real sockets: protocol, errors, framing, events, deferred answers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <criterion/criterion.h>

#include "tests/unit/qmp/qmp_test.h"

static struct qt_env env;

static void setup(void)
{
	qt_env_start(&env, NULL);
}

static void teardown(void)
{
	qt_env_stop(&env);
}

TestSuite(qmp_server, .init = setup, .fini = teardown, .timeout = 30);

static void assert_return(struct json_object *msg)
{
	cr_assert_not_null(msg, "no reply");
	cr_assert_not_null(qt_get(msg, "return", NULL), "not a success: %s",
			   json_object_to_json_string(msg));
}

static int64_t get_int(struct json_object *obj, const char *key)
{
	struct json_object *v = qt_get(obj, key, NULL);

	cr_assert(v && json_object_is_type(v, json_type_int), "no integer '%s' in %s", key,
		  json_object_to_json_string(obj));
	return json_object_get_int64(v);
}

Test(qmp_server, greeting)
{
	struct qt_conn *c = qt_connect(&env);
	struct json_object *g = qt_recv(&env, c, 2000), *caps;

	cr_assert_not_null(g);
	cr_assert_eq(json_object_object_length(g), 1);
	cr_assert_eq(get_int(qt_get(g, "QMP", "version", "qemu", NULL), "major"), 9);
	cr_assert_eq(get_int(qt_get(g, "QMP", "version", "qemu", NULL), "minor"), 0);
	cr_assert_eq(get_int(qt_get(g, "QMP", "version", "qemu", NULL), "micro"), 0);
	cr_assert_str_eq(qt_get_str(g, "QMP", "version", "package", NULL), "vmm");
	caps = qt_get(g, "QMP", "capabilities", NULL);
	cr_assert(caps && json_object_is_type(caps, json_type_array));
	cr_assert_eq(json_object_array_length(caps), 0);
	json_object_put(g);
	qt_close(c);
}

Test(qmp_server, negotiation_mode)
{
	struct qt_conn *c = qt_open(&env);
	struct json_object *r;

	r = qt_call(&env, c, "{\"execute\": \"query-version\", \"id\": 1}");
	qt_assert_error(r, "CommandNotFound",
			"Expecting capabilities negotiation with 'qmp_capabilities'");
	cr_assert_eq(get_int(r, "id"), 1);
	json_object_put(r);
	/* Unknown commands get the same answer, and handlers do not run. */
	r = qt_call(&env, c, "{\"execute\": \"echo\"}");
	qt_assert_error(r, "CommandNotFound",
			"Expecting capabilities negotiation with 'qmp_capabilities'");
	json_object_put(r);
	cr_assert_eq(env.ctx.handled, 0);

	r = qt_call(&env, c, "{\"execute\": \"qmp_capabilities\","
			     " \"arguments\": {\"enable\": [\"oob\"]}}");
	qt_assert_error(r, "GenericError", "Capability 'oob' not available");
	json_object_put(r);
	r = qt_call(&env, c, "{\"execute\": \"qmp_capabilities\", \"id\": \"neg\"}");
	assert_return(r);
	cr_assert_eq(json_object_object_length(qt_get(r, "return", NULL)), 0);
	cr_assert_str_eq(qt_get_str(r, "id", NULL), "neg");
	json_object_put(r);

	r = qt_call(&env, c, "{\"execute\": \"qmp_capabilities\"}");
	qt_assert_error(r, "CommandNotFound",
			"Capabilities negotiation is already complete, command ignored");
	json_object_put(r);
	r = qt_call(&env, c, "{\"execute\": \"query-version\"}");
	cr_assert_eq(get_int(qt_get(r, "return", "qemu", NULL), "major"), 9);
	cr_assert_str_eq(qt_get_str(r, "return", "package", NULL), "vmm");
	json_object_put(r);
	qt_close(c);
}

Test(qmp_server, ids_echoed)
{
	static const char *const ids[] = { "\"abc\"", "42", "{\"a\":[1,2]}", "null", "-1.5" };
	struct qt_conn *c = qt_open_negotiated(&env);
	struct json_object *r, *want;
	char cmd[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		snprintf(cmd, sizeof(cmd), "{\"execute\": \"%s\", \"id\": %s}",
			 i % 2 ? "fail" : "echo", ids[i]);
		r = qt_call(&env, c, cmd);
		want = json_tokener_parse(ids[i]);
		cr_assert(json_object_object_get_ex(r, "id", NULL), "no id in %s",
			  json_object_to_json_string(r));
		cr_assert(json_object_equal(qt_get(r, "id", NULL), want), "id %s came back as %s",
			  ids[i], json_object_to_json_string(r));
		json_object_put(want);
		json_object_put(r);
	}
	/* No id in, no id out. */
	r = qt_call(&env, c, "{\"execute\": \"echo\"}");
	cr_assert_not(json_object_object_get_ex(r, "id", NULL));
	json_object_put(r);
	qt_close(c);
}

Test(qmp_server, success_and_error_replies)
{
	struct qt_conn *c = qt_open_negotiated(&env);
	struct json_object *r;

	r = qt_call(&env, c, "{\"execute\": \"add\", \"arguments\": {\"a\": 2, \"b\": 40}, \"id\": 5}");
	cr_assert_eq(get_int(qt_get(r, "return", NULL), "sum"), 42);
	cr_assert_eq(get_int(r, "id"), 5);
	json_object_put(r);
	r = qt_call(&env, c, "{\"execute\": \"echo\", \"arguments\": {\"x\": [1, \"two\"]}}");
	cr_assert_eq(json_object_array_length(qt_get(r, "return", "x", NULL)), 2);
	json_object_put(r);
	r = qt_call(&env, c, "{\"execute\": \"fail\", \"id\": 6}");
	qt_assert_error(r, "DeviceNotFound", "Device 'nic0' not found");
	cr_assert_eq(get_int(r, "id"), 6);
	json_object_put(r);
	r = qt_call(&env, c, "{\"execute\": \"fail-errno\"}");
	qt_assert_error(r, "GenericError", strerror(EBUSY));
	json_object_put(r);
	r = qt_call(&env, c, "{\"execute\": \"defer-now\", \"id\": 9}");
	cr_assert_str_eq(qt_get_str(r, "return", NULL), "now");
	json_object_put(r);
	qt_close(c);
}

Test(qmp_server, unknown_command)
{
	struct qt_conn *c = qt_open_negotiated(&env);
	struct json_object *r = qt_call(&env, c, "{\"execute\": \"nope\", \"id\": 3}");

	qt_assert_error(r, "CommandNotFound", "The command nope has not been found");
	cr_assert_eq(get_int(r, "id"), 3);
	json_object_put(r);
	qt_close(c);
}

Test(qmp_server, query_commands)
{
	struct qt_conn *c = qt_open_negotiated(&env);
	struct json_object *r = qt_call(&env, c, "{\"execute\": \"query-commands\"}");
	struct json_object *list = qt_get(r, "return", NULL);
	bool caps = false, add = false, big = false;
	size_t i;

	cr_assert(list && json_object_is_type(list, json_type_array));
	cr_assert_eq(json_object_array_length(list), 3 + qt_ncommands);
	for (i = 0; i < json_object_array_length(list); i++) {
		const char *name = qt_get_str(json_object_array_get_idx(list, i), "name", NULL);

		cr_assert_not_null(name);
		caps |= !strcmp(name, "qmp_capabilities");
		add |= !strcmp(name, "add");
		big |= !strcmp(name, "big");
	}
	cr_assert(caps && add && big);
	json_object_put(r);
	r = qt_call(&env, c, "{\"execute\": \"query-commands\", \"arguments\": {\"x\": 1}}");
	qt_assert_error(r, "GenericError", "Parameter 'x' is unexpected");
	json_object_put(r);
	qt_close(c);
}

Test(qmp_server, malformed_json_then_valid_command)
{
	struct qt_conn *c = qt_open_negotiated(&env);
	struct json_object *r;
	const char *desc;

	/* Malformed with a newline, then a valid command in the same write. */
	qt_send(c, "{\"execute\": foo}\n{\"execute\": \"echo\", \"id\": 1}\n");
	r = qt_recv(&env, c, 2000);
	qt_assert_error(r, "GenericError", NULL);
	desc = qt_get_str(r, "error", "desc", NULL);
	cr_assert(!strncmp(desc, "JSON parse error", 16), "desc: %s", desc);
	cr_assert_not(json_object_object_get_ex(r, "id", NULL));
	json_object_put(r);
	r = qt_recv(&env, c, 2000);
	assert_return(r);
	cr_assert_eq(get_int(r, "id"), 1);
	json_object_put(r);

	/* Malformed without a newline, the next command in a later write. */
	qt_send(c, "{\"execute\": \"echo\",, ");
	r = qt_recv(&env, c, 2000);
	qt_assert_error(r, "GenericError", NULL);
	json_object_put(r);
	r = qt_call(&env, c, "{\"execute\": \"echo\", \"id\": 2}");
	cr_assert_eq(get_int(r, "id"), 2);
	json_object_put(r);

	/* Invalid UTF-8 and a stray closing brace. */
	r = qt_call(&env, c, "{\"execute\": \"echo\", \"id\": \"\xc3\x28\"}");
	qt_assert_error(r, "GenericError", NULL);
	json_object_put(r);
	r = qt_call(&env, c, "}");
	qt_assert_error(r, "GenericError", NULL);
	json_object_put(r);
	r = qt_call(&env, c, "{\"execute\": \"echo\", \"id\": 3}");
	cr_assert_eq(get_int(r, "id"), 3);
	json_object_put(r);
	qt_close(c);
}

Test(qmp_server, bad_messages)
{
	static const struct {
		const char *in, *desc;
	} cases[] = {
		{ "[1, 2]", "QMP input must be a JSON object" },
		{ "42", "QMP input must be a JSON object" },
		{ "{}", "QMP input lacks member 'execute'" },
		{ "{\"id\": 1}", "QMP input lacks member 'execute'" },
		{ "{\"execute\": 1}", "QMP input member 'execute' must be a string" },
		{ "{\"execute\": \"echo\", \"arguments\": [1]}",
		  "QMP input member 'arguments' must be an object" },
		{ "{\"execute\": \"echo\", \"bogus\": 1}", "QMP input member 'bogus' is unexpected" },
		{ "{\"exec-oob\": \"echo\"}", "QMP input member 'exec-oob' is unexpected" },
	};
	struct qt_conn *c = qt_open_negotiated(&env);
	struct json_object *r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r = qt_call(&env, c, cases[i].in);
		qt_assert_error(r, "GenericError", cases[i].desc);
		json_object_put(r);
	}
	/* The id comes back even when the rest is wrong. */
	r = qt_call(&env, c, "{\"execute\": \"echo\", \"arguments\": 3, \"id\": 77}");
	cr_assert_eq(get_int(r, "id"), 77);
	json_object_put(r);
	cr_assert_eq(env.ctx.handled, 0);
	qt_close(c);
}

Test(qmp_server, wrong_argument_types)
{
	static const struct {
		const char *in, *desc;
	} cases[] = {
		{ "{\"execute\": \"add\", \"arguments\": {\"a\": \"1\", \"b\": 2}}",
		  "Parameter 'a' expects integer" },
		{ "{\"execute\": \"add\", \"arguments\": {\"a\": 1.0, \"b\": 2}}",
		  "Parameter 'a' expects integer" },
		{ "{\"execute\": \"add\", \"arguments\": {\"a\": 1}}", "Parameter 'b' is missing" },
		{ "{\"execute\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2, \"c\": 3}}",
		  "Parameter 'c' is unexpected" },
		{ "{\"execute\": \"add\", \"arguments\": {\"a\": 9223372036854775808, \"b\": 2}}",
		  "Parameter 'a' expects integer" },
		{ "{\"execute\": \"typed\", \"arguments\": {\"name\": 5}}",
		  "Parameter 'name' expects string" },
		{ "{\"execute\": \"typed\", \"arguments\": {\"name\": \"n\", \"flag\": 1}}",
		  "Parameter 'flag' expects boolean" },
		{ "{\"execute\": \"typed\", \"arguments\": {\"name\": \"n\", \"count\": -1}}",
		  "Parameter 'count' expects uint64" },
		{ "{\"execute\": \"typed\", \"arguments\": {\"name\": null}}",
		  "Parameter 'name' expects string" },
		{ "{\"execute\": \"fail\", \"arguments\": {\"x\": 1}}", "Parameter 'x' is unexpected" },
	};
	struct qt_conn *c = qt_open_negotiated(&env);
	struct json_object *r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r = qt_call(&env, c, cases[i].in);
		qt_assert_error(r, "GenericError", cases[i].desc);
		json_object_put(r);
	}
	r = qt_call(&env, c, "{\"execute\": \"typed\", \"arguments\": {\"name\": \"n\", \"flag\": true,"
			     " \"count\": 18446744073709551615}}");
	cr_assert_str_eq(qt_get_str(r, "return", "name", NULL), "n");
	cr_assert(json_object_get_boolean(qt_get(r, "return", "flag", NULL)));
	cr_assert_eq(json_object_get_uint64(qt_get(r, "return", "count", NULL)), UINT64_MAX);
	json_object_put(r);
	r = qt_call(&env, c, "{\"execute\": \"typed\", \"arguments\": {\"name\": \"n\"}}");
	cr_assert_eq(get_int(qt_get(r, "return", NULL), "count"), 7);
	json_object_put(r);
	qt_close(c);
}

Test(qmp_server, two_objects_in_one_write)
{
	struct qt_conn *c = qt_open_negotiated(&env);
	struct json_object *r;
	int i;

	qt_send(c, "{\"execute\": \"echo\", \"id\": 1}{\"execute\": \"add\", \"arguments\":"
		   " {\"a\": 1, \"b\": 1}, \"id\": 2}  \r\n\t{\"execute\": \"echo\", \"id\": 3}");
	for (i = 1; i <= 3; i++) {
		r = qt_recv(&env, c, 2000);
		assert_return(r);
		cr_assert_eq(get_int(r, "id"), i);
		json_object_put(r);
	}
	qt_close(c);
}

Test(qmp_server, one_object_over_many_writes)
{
	const char *cmd = "{\"execute\": \"add\", \"arguments\": {\"a\": 12345, \"b\": -45},"
			  " \"id\": \"split\\u00e9\"}";
	struct qt_conn *c = qt_open_negotiated(&env);
	struct json_object *r;
	size_t i;

	for (i = 0; cmd[i]; i++) {
		qt_send_len(c, cmd + i, 1);
		qt_pump(&env, 0);
	}
	r = qt_recv(&env, c, 2000);
	cr_assert_eq(get_int(qt_get(r, "return", NULL), "sum"), 12300);
	cr_assert_str_eq(qt_get_str(r, "id", NULL), "split\xc3\xa9");
	json_object_put(r);
	qt_close(c);
}

static bool one_client(struct qt_env *e)
{
	return qmp_server_client_count(e->srv) == 1;
}

static bool no_client(struct qt_env *e)
{
	return qmp_server_client_count(e->srv) == 0;
}

Test(qmp_server, events_only_to_negotiated_clients)
{
	struct qt_conn *a = qt_open_negotiated(&env), *b = qt_open(&env);
	struct json_object *data = json_object_new_object(), *r;
	int64_t secs;

	json_object_object_add(data, "device", json_object_new_string("cpu1"));
	cr_assert_eq(qmp_server_emit_event(env.srv, "DEVICE_DELETED", data), 1);
	cr_assert_eq(qmp_server_emit_event(env.srv, "STOP", NULL), 1);

	r = qt_recv(&env, a, 2000);
	cr_assert_str_eq(qt_get_str(r, "event", NULL), "DEVICE_DELETED");
	cr_assert_str_eq(qt_get_str(r, "data", "device", NULL), "cpu1");
	secs = get_int(qt_get(r, "timestamp", NULL), "seconds");
	cr_assert_gt(secs, 1600000000);
	cr_assert_lt(get_int(qt_get(r, "timestamp", NULL), "microseconds"), 1000000);
	json_object_put(r);
	r = qt_recv(&env, a, 2000);
	cr_assert_str_eq(qt_get_str(r, "event", NULL), "STOP");
	cr_assert_not(json_object_object_get_ex(r, "data", NULL));
	json_object_put(r);

	/* b sees nothing before it negotiates: its next message is the answer. */
	r = qt_call(&env, b, "{\"execute\": \"qmp_capabilities\"}");
	assert_return(r);
	json_object_put(r);
	cr_assert_eq(qmp_server_emit_event(env.srv, "RESUME", NULL), 2);
	r = qt_recv(&env, b, 2000);
	cr_assert_str_eq(qt_get_str(r, "event", NULL), "RESUME");
	json_object_put(r);
	cr_assert_eq(qmp_server_emit_event(env.srv, "", NULL), -EINVAL);
	qt_close(a);
	qt_close(b);
}

Test(qmp_server, events_from_a_handler_precede_its_answer)
{
	struct qt_conn *c = qt_open_negotiated(&env);
	struct json_object *r;
	int i;

	qt_send(c, "{\"execute\": \"emit\", \"arguments\": {\"event\": \"TICK\", \"count\": 3},"
		   " \"id\": 1}");
	for (i = 0; i < 3; i++) {
		r = qt_recv(&env, c, 2000);
		cr_assert_str_eq(qt_get_str(r, "event", NULL), "TICK");
		cr_assert_eq(get_int(qt_get(r, "data", NULL), "index"), i);
		json_object_put(r);
	}
	r = qt_recv(&env, c, 2000);
	cr_assert_eq(get_int(r, "id"), 1);
	json_object_put(r);
	qt_close(c);
}

Test(qmp_server, deferred_completion_keeps_order)
{
	struct qt_conn *c = qt_open_negotiated(&env);
	struct qmp_request *req;
	struct json_object *r;

	/* The command after a deferred one waits for it. */
	qt_send(c, "{\"execute\": \"defer\", \"id\": 7}\n{\"execute\": \"echo\", \"id\": 8}\n");
	cr_assert_null(qt_recv(&env, c, 100));
	req = env.ctx.deferred;
	cr_assert_not_null(req);
	cr_assert_str_eq(qmp_request_command(req), "defer");
	cr_assert_not(qmp_request_abandoned(req));
	cr_assert_eq(env.ctx.handled, 1);

	env.ctx.deferred = NULL;
	qmp_request_complete(req, json_object_new_int(99), NULL);
	r = qt_recv(&env, c, 2000);
	cr_assert_eq(get_int(r, "id"), 7);
	cr_assert_eq(json_object_get_int(qt_get(r, "return", NULL)), 99);
	json_object_put(r);
	r = qt_recv(&env, c, 2000);
	cr_assert_eq(get_int(r, "id"), 8);
	json_object_put(r);

	/* An error answer, completed from another client's command. */
	{
		struct qt_conn *other = qt_open_negotiated(&env);
		struct qmp_error err = { 0 };

		qt_send(c, "{\"execute\": \"defer\", \"id\": 10}\n");
		cr_assert_null(qt_recv(&env, c, 50));
		r = qt_call(&env, other, "{\"execute\": \"finish\"}");
		assert_return(r);
		json_object_put(r);
		r = qt_recv(&env, c, 2000);
		cr_assert_eq(get_int(r, "id"), 10);
		cr_assert(json_object_get_boolean(qt_get(r, "return", "finished", NULL)));
		json_object_put(r);

		qt_send(c, "{\"execute\": \"defer\", \"id\": 11}\n");
		cr_assert_null(qt_recv(&env, c, 50));
		qmp_error_set(&err, QMP_ERROR_DEVICE_NOT_ACTIVE, "gone");
		qmp_request_complete(env.ctx.deferred, json_object_new_int(1), &err);
		env.ctx.deferred = NULL;
		r = qt_recv(&env, c, 2000);
		qt_assert_error(r, "DeviceNotActive", "gone");
		cr_assert_eq(get_int(r, "id"), 11);
		json_object_put(r);
		qt_close(other);
	}
	qt_close(c);
}

Test(qmp_server, deferred_completion_after_client_left)
{
	struct qt_conn *c = qt_open_negotiated(&env);
	struct qmp_request *req;
	struct json_object *r;

	qt_send(c, "{\"execute\": \"defer\", \"id\": 1}\n{\"execute\": \"echo\"}\n");
	cr_assert_null(qt_recv(&env, c, 50));
	req = env.ctx.deferred;
	cr_assert_not_null(req);
	qt_close(c);
	cr_assert(qt_pump_until(&env, no_client, 2000));
	cr_assert(qmp_request_abandoned(req));
	/* Answering nobody is harmless; the queued echo never ran. */
	qmp_request_complete(req, json_object_new_object(), NULL);
	env.ctx.deferred = NULL;
	cr_assert_eq(env.ctx.handled, 1);

	c = qt_open_negotiated(&env);
	r = qt_call(&env, c, "{\"execute\": \"echo\", \"id\": 2}");
	cr_assert_eq(get_int(r, "id"), 2);
	json_object_put(r);
	qt_close(c);
}

Test(qmp_server, half_closed_client_gets_its_answers)
{
	struct qt_conn *c = qt_open_negotiated(&env);
	struct json_object *r;

	qt_send(c, "{\"execute\": \"echo\", \"id\": 1}\n{\"execute\": \"defer\", \"id\": 2}\n");
	shutdown(c->fd, SHUT_WR);
	r = qt_recv(&env, c, 2000);
	cr_assert_eq(get_int(r, "id"), 1);
	json_object_put(r);
	cr_assert_null(qt_recv(&env, c, 50));
	cr_assert_not(c->eof);
	qmp_request_complete(env.ctx.deferred, NULL, NULL);
	env.ctx.deferred = NULL;
	r = qt_recv(&env, c, 2000);
	cr_assert_eq(get_int(r, "id"), 2);
	json_object_put(r);
	cr_assert(qt_wait_closed(&env, c, 2000));
	qt_close(c);
}

Test(qmp_server, second_server_on_live_path_refused)
{
	struct qmp_server *srv2 = NULL;
	struct qt_conn *c;
	struct json_object *r;

	cr_assert_eq(qmp_server_create(env.loop, env.path, NULL, 0, NULL, &srv2), -EADDRINUSE);
	cr_assert_null(srv2);
	/* The probe connection is gone and the first server still answers. */
	c = qt_open_negotiated(&env);
	r = qt_call(&env, c, "{\"execute\": \"echo\", \"id\": 1}");
	cr_assert_eq(get_int(r, "id"), 1);
	json_object_put(r);
	cr_assert(qt_pump_until(&env, one_client, 2000));
	qt_close(c);
}

Test(qmp_server, rejects_bad_command_tables)
{
	static const struct qmp_command dup[] = {
		{ .name = "x", .fn = NULL, .async_fn = NULL },
	};
	struct qmp_command twice[2] = { qt_commands[0], qt_commands[0] };
	struct qmp_command builtin = qt_commands[0];
	struct qmp_server *srv2 = NULL;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/other.sock", env.dir);
	builtin.name = "query-version";
	cr_assert_eq(qmp_server_create(env.loop, path, dup, 1, NULL, &srv2), -EINVAL);
	cr_assert_eq(qmp_server_create(env.loop, path, twice, 2, NULL, &srv2), -EEXIST);
	cr_assert_eq(qmp_server_create(env.loop, path, &builtin, 1, NULL, &srv2), -EEXIST);
	cr_assert_eq(access(path, F_OK), -1);
	cr_assert_null(srv2);
}
