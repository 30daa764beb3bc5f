// SPDX-License-Identifier: MIT
/* The QMP server's limits and socket handling: abuse, stale files, configuration, teardown. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <criterion/criterion.h>

#include "tests/unit/qmp/qmp_test.h"

TestSuite(qmp_limits, .timeout = 30);

static int64_t get_int(struct json_object *obj, const char *key)
{
	return json_object_get_int64(qt_get(obj, key, NULL));
}

static bool no_client(struct qt_env *e)
{
	return qmp_server_client_count(e->srv) == 0;
}

static bool one_client(struct qt_env *e)
{
	return qmp_server_client_count(e->srv) == 1;
}

Test(qmp_limits, oversize_input_drops_only_that_client)
{
	struct qmp_server_config cfg = { .max_input = 4096 };
	struct qt_env env;
	struct qt_conn *good, *bad;
	struct json_object *r;
	char *big;

	qt_env_start(&env, &cfg);
	good = qt_open_negotiated(&env);
	bad = qt_open_negotiated(&env);
	/* A command just under the limit is fine. */
	big = malloc(8192);
	snprintf(big, 8192, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"%*s\"}, \"id\": 1}",
		 3900, "");
	r = qt_call(&env, bad, big);
	cr_assert_eq(get_int(r, "id"), 1);
	json_object_put(r);
	/* One over it is not, even when it never ends. */
	memset(big, ' ', 8192);
	memcpy(big, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"", 40);
	qt_send_len(bad, big, 8192);
	r = qt_recv(&env, bad, 2000);
	qt_assert_error(r, "GenericError", "JSON input exceeds 4096 bytes");
	json_object_put(r);
	cr_assert(qt_wait_closed(&env, bad, 2000));
	cr_assert(qt_pump_until(&env, one_client, 2000));

	r = qt_call(&env, good, "{\"execute\": \"echo\", \"id\": 2}");
	cr_assert_eq(get_int(r, "id"), 2);
	json_object_put(r);
	free(big);
	qt_close(bad);
	qt_close(good);
	qt_env_stop(&env);
}

Test(qmp_limits, client_that_never_reads_is_dropped)
{
	struct qmp_server_config cfg = { .max_output = 64 * 1024 };
	struct qt_conn *lazy, *good;
	struct json_object *r;
	struct qt_env env;
	int i;

	qt_env_start(&env, &cfg);
	good = qt_open_negotiated(&env);
	lazy = qt_open_negotiated(&env);
	/* 4 MiB of answers it never reads. */
	for (i = 0; i < 40 && qmp_server_client_count(env.srv) == 2; i++) {
		qt_send(lazy, "{\"execute\": \"big\", \"arguments\": {\"size\": 102400}}\n");
		qt_pump(&env, 0);
		qt_pump(&env, 0);
	}
	cr_assert(qt_pump_until(&env, one_client, 2000), "the client was not dropped");
	r = qt_call(&env, good, "{\"execute\": \"big\", \"arguments\": {\"size\": 1000000}, \"id\": 3}");
	cr_assert_eq(json_object_get_string_len(qt_get(r, "return", NULL)), 1000000);
	json_object_put(r);
	qt_close(lazy);
	qt_close(good);
	qt_env_stop(&env);
}

Test(qmp_limits, client_cap)
{
	struct qmp_server_config cfg = { .max_clients = 2 };
	struct qt_conn *a, *b, *c, *d;
	struct json_object *r;
	struct qt_env env;

	qt_env_start(&env, &cfg);
	a = qt_open(&env);
	b = qt_open(&env);
	c = qt_connect(&env);
	cr_assert(qt_wait_closed(&env, c, 2000), "a third client was accepted");
	qt_close(a);
	cr_assert(qt_pump_until(&env, one_client, 2000));
	d = qt_open_negotiated(&env);
	r = qt_call(&env, d, "{\"execute\": \"echo\", \"id\": 1}");
	cr_assert_eq(get_int(r, "id"), 1);
	json_object_put(r);
	qt_close(b);
	qt_close(c);
	qt_close(d);
	qt_env_stop(&env);
}

Test(qmp_limits, configured_greeting)
{
	struct qmp_server_config cfg = {
		.package = "vmm-1.2", .version_major = 8, .version_minor = 2, .version_micro = 1,
	};
	struct qt_env env;
	struct qt_conn *c;
	struct json_object *g, *ver;

	qt_env_start(&env, &cfg);
	c = qt_connect(&env);
	g = qt_recv(&env, c, 2000);
	ver = qt_get(g, "QMP", "version", "qemu", NULL);
	cr_assert_eq(get_int(ver, "major"), 8);
	cr_assert_eq(get_int(ver, "minor"), 2);
	cr_assert_eq(get_int(ver, "micro"), 1);
	cr_assert_str_eq(qt_get_str(g, "QMP", "version", "package", NULL), "vmm-1.2");
	json_object_put(g);
	qt_close(c);
	qt_env_stop(&env);
}

Test(qmp_limits, socket_mode_and_removal)
{
	struct qt_env env;
	struct stat st;

	umask(0);
	qt_env_start(&env, NULL);
	cr_assert_eq(lstat(env.path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	qmp_server_destroy(env.srv);
	env.srv = NULL;
	cr_assert_eq(lstat(env.path, &st), -1, "socket file left behind");
	qt_env_stop(&env);
}

/* Leaves a socket file nobody listens on, as a crashed server would. */
static void make_stale_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	close(fd);
}

Test(qmp_limits, stale_socket_replaced)
{
	struct qmp_server *srv = NULL;
	struct event_loop *loop;
	char dir[] = "/tmp/qmp-stale-XXXXXX", path[64];
	struct stat st;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	make_stale_socket(path);
	cr_assert_eq(event_loop_create(&loop), 0);
	cr_assert_eq(qmp_server_create(loop, path, qt_commands, qt_ncommands, NULL, &srv), 0);
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	qmp_server_destroy(srv);

	/* Something that is not a socket is left alone. */
	close(open(path, O_CREAT | O_WRONLY, 0644));
	srv = NULL;
	cr_assert_eq(qmp_server_create(loop, path, NULL, 0, NULL, &srv), -EEXIST);
	cr_assert_null(srv);
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	unlink(path);
	cr_assert_eq(qmp_server_create(loop, "/nonexistent-dir/qmp.sock", NULL, 0, NULL, &srv),
		     -ENOENT);
	event_loop_destroy(loop);
	rmdir(dir);
}

Test(qmp_limits, stale_socket_replaced_but_not_a_newer_one)
{
	struct qt_env env;
	struct stat st;

	qt_env_start(&env, NULL);
	/* Someone replaced our socket file: destroying must not remove theirs. */
	cr_assert_eq(unlink(env.path), 0);
	make_stale_socket(env.path);
	qmp_server_destroy(env.srv);
	env.srv = NULL;
	cr_assert_eq(lstat(env.path, &st), 0);
	qt_env_stop(&env);
}

Test(qmp_limits, destroy_with_clients_and_pending_request)
{
	struct qt_conn *a, *b;
	struct qmp_request *req;
	struct json_object *r;
	struct qt_env env;

	qt_env_start(&env, NULL);
	a = qt_open_negotiated(&env);
	b = qt_open_negotiated(&env);
	qt_send(a, "{\"execute\": \"defer\", \"id\": 1}\n");
	cr_assert_null(qt_recv(&env, a, 50));
	req = env.ctx.deferred;
	cr_assert_not_null(req);
	/* An answer queued but not yet written still goes out on teardown ("quit"). */
	qt_send(b, "{\"execute\": \"echo\", \"id\": 2}\n");
	while (env.ctx.handled < 2)
		cr_assert_geq(event_loop_run_once(env.loop, 1000), 0);
	qmp_server_destroy(env.srv);
	env.srv = NULL;
	r = qt_recv(&env, b, 0);
	cr_assert_not_null(r, "queued answer lost");
	cr_assert_eq(get_int(r, "id"), 2);
	json_object_put(r);
	cr_assert(qt_wait_closed(&env, a, 0));
	cr_assert(qt_wait_closed(&env, b, 0));
	cr_assert(qmp_request_abandoned(req));
	qmp_request_complete(req, json_object_new_object(), NULL);
	qt_close(a);
	qt_close(b);
	qt_env_stop(&env);
}

Test(qmp_limits, many_clients_interleaved)
{
	struct qt_conn *c[16];
	struct json_object *r;
	struct qt_env env;
	char cmd[128];
	int i;

	qt_env_start(&env, NULL);
	for (i = 0; i < 16; i++)
		c[i] = qt_open_negotiated(&env);
	for (i = 0; i < 16; i++) {
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\": \"add\", \"arguments\": {\"a\": %d, \"b\": 1}, \"id\": %d}\n",
			 i, i);
		qt_send(c[i], cmd);
	}
	for (i = 15; i >= 0; i--) {
		r = qt_recv(&env, c[i], 2000);
		cr_assert_eq(get_int(r, "id"), i);
		cr_assert_eq(get_int(qt_get(r, "return", NULL), "sum"), i + 1);
		json_object_put(r);
		qt_close(c[i]);
	}
	cr_assert(qt_pump_until(&env, no_client, 2000));
	qt_env_stop(&env);
}
