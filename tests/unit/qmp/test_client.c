// SPDX-License-Identifier: MIT
/* The synchronous QMP client against our server, which runs on a helper thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "tests/unit/qmp/qmp_test.h"
#include "vmm/qmp/client.h"

static struct qt_env env;

static void setup(void)
{
	qt_env_start(&env, NULL);
	qt_env_run_thread(&env);
}

static void teardown(void)
{
	qt_env_stop(&env);
}

TestSuite(qmp_client, .init = setup, .fini = teardown, .timeout = 30);

static struct qmp_client *connect_client(void)
{
	struct qmp_client *c = NULL;
	int ret = qmp_client_connect(env.path, 2000, &c);

	cr_assert_eq(ret, 0, "connect: %s", strerror(-ret));
	return c;
}

static struct json_object *args_of(const char *json)
{
	struct json_object *args = json_tokener_parse(json);

	cr_assert_not_null(args);
	return args;
}

Test(qmp_client, round_trip)
{
	struct qmp_client *c = connect_client();
	struct json_object *args = args_of("{\"a\": 20, \"b\": 22}"), *ret = NULL;
	char *desc = NULL;

	cr_assert_eq(json_object_get_int(qt_get(qmp_client_greeting(c), "QMP", "version", "qemu",
						"major", NULL)), 9);
	cr_assert_eq(qmp_client_execute(c, "add", args, 2000, &ret, &desc), 0);
	cr_assert_eq(json_object_get_int(qt_get(ret, "sum", NULL)), 42);
	cr_assert_null(desc);
	json_object_put(ret);
	/* The arguments are borrowed. */
	cr_assert_eq(qmp_client_execute(c, "add", args, 2000, NULL, NULL), 0);
	json_object_put(args);

	cr_assert_eq(qmp_client_execute(c, "query-version", NULL, 2000, &ret, NULL), 0);
	cr_assert_str_eq(qt_get_str(ret, "package", NULL), "vmm");
	json_object_put(ret);

	cr_assert_eq(qmp_client_execute(c, "fail", NULL, 2000, &ret, &desc), -EREMOTEIO);
	cr_assert_null(ret);
	cr_assert_str_eq(desc, "Device 'nic0' not found");
	cr_assert_str_eq(qmp_client_error_class(c), "DeviceNotFound");
	free(desc);
	cr_assert_eq(qmp_client_execute(c, "no-such-thing", NULL, 2000, NULL, &desc), -EREMOTEIO);
	cr_assert_str_eq(qmp_client_error_class(c), "CommandNotFound");
	cr_assert_str_eq(desc, "The command no-such-thing has not been found");
	free(desc);
	args = args_of("{\"a\": \"x\", \"b\": 1}");
	cr_assert_eq(qmp_client_execute(c, "add", args, 2000, NULL, &desc), -EREMOTEIO);
	cr_assert_str_eq(desc, "Parameter 'a' expects integer");
	free(desc);
	json_object_put(args);
	qmp_client_close(c);
}

Test(qmp_client, events_interleaved_with_commands)
{
	struct qmp_client *c = connect_client();
	struct json_object *args = args_of("{\"event\": \"TICK\", \"count\": 3}"), *ev;
	int i;

	cr_assert_eq(qmp_client_next_event(c, 0, &ev), -ETIMEDOUT);
	/* The events arrive before the answer and wait in the queue. */
	cr_assert_eq(qmp_client_execute(c, "emit", args, 2000, NULL, NULL), 0);
	json_object_put(args);
	args = args_of("{\"event\": \"DEVICE_DELETED\"}");
	cr_assert_eq(qmp_client_execute(c, "emit", args, 2000, NULL, NULL), 0);
	json_object_put(args);

	/* Picking one by name leaves the others in order. */
	cr_assert_eq(qmp_client_wait_event(c, "DEVICE_DELETED", 2000, &ev), 0);
	cr_assert_str_eq(qt_get_str(ev, "event", NULL), "DEVICE_DELETED");
	cr_assert_not_null(qt_get(ev, "timestamp", "seconds", NULL));
	json_object_put(ev);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(qmp_client_next_event(c, 2000, &ev), 0);
		cr_assert_str_eq(qt_get_str(ev, "event", NULL), "TICK");
		cr_assert_eq(json_object_get_int(qt_get(ev, "data", "index", NULL)), i);
		json_object_put(ev);
	}
	cr_assert_eq(qmp_client_next_event(c, 50, &ev), -ETIMEDOUT);
	qmp_client_close(c);
}

Test(qmp_client, events_from_another_client)
{
	struct qmp_client *watcher = connect_client(), *actor = connect_client();
	struct json_object *args = args_of("{\"event\": \"DEVICE_DELETED\"}"), *ev;

	cr_assert_eq(qmp_client_execute(actor, "emit", args, 2000, NULL, NULL), 0);
	json_object_put(args);
	cr_assert_eq(qmp_client_wait_event(watcher, "DEVICE_DELETED", 2000, &ev), 0);
	cr_assert_eq(json_object_get_int(qt_get(ev, "data", "index", NULL)), 0);
	json_object_put(ev);
	qmp_client_close(watcher);
	qmp_client_close(actor);
}

Test(qmp_client, deferred_answer_and_timeout)
{
	struct qmp_client *a = connect_client(), *b = connect_client();
	struct json_object *ret = NULL;

	/* Nobody completes it in time... */
	cr_assert_eq(qmp_client_execute(a, "defer", NULL, 100, &ret, NULL), -ETIMEDOUT);
	/* ...until another client does; the late answer is skipped by its id. */
	cr_assert_eq(qmp_client_execute(b, "finish", NULL, 2000, NULL, NULL), 0);
	cr_assert_eq(qmp_client_execute(a, "defer-now", NULL, 2000, &ret, NULL), 0);
	cr_assert_str_eq(json_object_get_string(ret), "now");
	json_object_put(ret);
	qmp_client_close(a);
	qmp_client_close(b);
}

Test(qmp_client, connection_errors)
{
	struct qmp_client *c = NULL;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/missing.sock", env.dir);
	cr_assert_eq(qmp_client_connect(path, 100, &c), -ENOENT);
	cr_assert_null(c);

	c = connect_client();
	/* The server goes away: the client sees the connection end and stays failed. */
	qt_env_stop(&env);
	cr_assert_eq(qmp_client_execute(c, "echo", NULL, 2000, NULL, NULL), -ECONNRESET);
	cr_assert_eq(qmp_client_execute(c, "echo", NULL, 2000, NULL, NULL), -ENOTCONN);
	qmp_client_close(c);
	qt_env_start(&env, NULL);	/* for teardown */
}
