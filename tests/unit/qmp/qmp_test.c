// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <criterion/criterion.h>

#include "tests/unit/qmp/qmp_test.h"
#include "vmm/core/log.h"

/* --- fake commands ------------------------------------------------------- */

static int cmd_echo(void *opaque, struct json_object *args, struct json_object **ret,
		    struct qmp_error *err __unused)
{
	struct qt_ctx *ctx = opaque;

	ctx->handled++;
	*ret = json_object_get(args);
	return 0;
}

static const char *const add_args[] = { "a", "b", NULL };

static int cmd_add(void *opaque, struct json_object *args, struct json_object **ret,
		   struct qmp_error *err)
{
	struct qt_ctx *ctx = opaque;
	int64_t a, b;

	ctx->handled++;
	if (qmp_arg_int(args, "a", true, &a, err) < 0 || qmp_arg_int(args, "b", true, &b, err) < 0)
		return -EINVAL;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "sum", json_object_new_int64(a + b));
	return 0;
}

static int cmd_fail(void *opaque, struct json_object *args __unused,
		    struct json_object **ret __unused, struct qmp_error *err)
{
	((struct qt_ctx *)opaque)->handled++;
	return qmp_error_set(err, QMP_ERROR_DEVICE_NOT_FOUND, "Device '%s' not found", "nic0");
}

static int cmd_fail_errno(void *opaque, struct json_object *args __unused,
			  struct json_object **ret __unused, struct qmp_error *err __unused)
{
	((struct qt_ctx *)opaque)->handled++;
	return -EBUSY;
}

static const char *const typed_args[] = { "name", "flag", "count", NULL };

static int cmd_typed(void *opaque, struct json_object *args, struct json_object **ret,
		     struct qmp_error *err)
{
	const char *name;
	bool flag = false;
	uint64_t count = 7;

	((struct qt_ctx *)opaque)->handled++;
	if (qmp_arg_str(args, "name", true, &name, err) < 0 ||
	    qmp_arg_bool(args, "flag", false, &flag, err) < 0 ||
	    qmp_arg_uint(args, "count", false, &count, err) < 0)
		return -EINVAL;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "name", json_object_new_string(name));
	json_object_object_add(*ret, "flag", json_object_new_boolean(flag));
	json_object_object_add(*ret, "count", json_object_new_uint64(count));
	return 0;
}

static const char *const emit_args[] = { "event", "count", NULL };

/* Emits `count` events before answering: they reach the client before the answer. */
static int cmd_emit(void *opaque, struct json_object *args, struct json_object **ret __unused,
		    struct qmp_error *err)
{
	struct qt_ctx *ctx = opaque;
	const char *name;
	int64_t i, count = 1;

	ctx->handled++;
	if (qmp_arg_str(args, "event", true, &name, err) < 0 ||
	    qmp_arg_int(args, "count", false, &count, err) < 0)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		struct json_object *data = json_object_new_object();

		json_object_object_add(data, "index", json_object_new_int64(i));
		if (qmp_server_emit_event(ctx->srv, name, data) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void cmd_defer(void *opaque, struct json_object *args __unused, struct qmp_request *req)
{
	struct qt_ctx *ctx = opaque;

	ctx->handled++;
	ctx->deferred = req;
}

static void cmd_defer_now(void *opaque, struct json_object *args __unused,
			  struct qmp_request *req)
{
	((struct qt_ctx *)opaque)->handled++;
	qmp_request_complete(req, json_object_new_string("now"), NULL);
}

/* Completes the deferred request from another command, like a device acknowledging. */
static int cmd_finish(void *opaque, struct json_object *args __unused,
		      struct json_object **ret __unused, struct qmp_error *err)
{
	struct qt_ctx *ctx = opaque;
	struct json_object *done;

	ctx->handled++;
	if (!ctx->deferred)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "nothing deferred");
	done = json_object_new_object();
	json_object_object_add(done, "finished", json_object_new_boolean(1));
	qmp_request_complete(ctx->deferred, done, NULL);
	ctx->deferred = NULL;
	return 0;
}

static const char *const big_args[] = { "size", NULL };

static int cmd_big(void *opaque, struct json_object *args, struct json_object **ret,
		   struct qmp_error *err)
{
	uint64_t size;
	char *s;

	((struct qt_ctx *)opaque)->handled++;
	if (qmp_arg_uint(args, "size", true, &size, err) < 0)
		return -EINVAL;
	s = malloc(size + 1);
	if (!s)
		return -ENOMEM;
	memset(s, 'x', size);
	s[size] = '\0';
	*ret = json_object_new_string(s);
	free(s);
	return 0;
}

const struct qmp_command qt_commands[] = {
	{ .name = "echo", .fn = cmd_echo },
	{ .name = "add", .fn = cmd_add, .args = add_args },
	{ .name = "fail", .fn = cmd_fail, .args = qmp_no_args },
	{ .name = "fail-errno", .fn = cmd_fail_errno, .args = qmp_no_args },
	{ .name = "typed", .fn = cmd_typed, .args = typed_args },
	{ .name = "emit", .fn = cmd_emit, .args = emit_args },
	{ .name = "defer", .async_fn = cmd_defer },
	{ .name = "defer-now", .async_fn = cmd_defer_now },
	{ .name = "finish", .fn = cmd_finish, .args = qmp_no_args },
	{ .name = "big", .fn = cmd_big, .args = big_args },
};
const size_t qt_ncommands = ARRAY_SIZE(qt_commands);

/* --- environment --------------------------------------------------------- */

void qt_env_start(struct qt_env *env, const struct qmp_server_config *cfg)
{
	int ret;

	memset(env, 0, sizeof(*env));
	/* The server warns about the abuse these tests commit on purpose. */
	log_set_level(LOG_ERR);
	snprintf(env->dir, sizeof(env->dir), "/tmp/qmp-test-XXXXXX");
	cr_assert_not_null(mkdtemp(env->dir));
	snprintf(env->path, sizeof(env->path), "%s/qmp.sock", env->dir);
	cr_assert_eq(event_loop_create(&env->loop), 0);
	ret = qmp_server_create_ex(env->loop, env->path, cfg, qt_commands, qt_ncommands, &env->ctx,
				   &env->srv);
	cr_assert_eq(ret, 0, "qmp_server_create: %s", strerror(-ret));
	env->ctx.srv = env->srv;
}

static void *loop_thread(void *arg)
{
	struct qt_env *env = arg;

	while (!__atomic_load_n(&env->stop, __ATOMIC_ACQUIRE))
		if (event_loop_run_once(env->loop, 20) < 0)
			break;
	return NULL;
}

void qt_env_run_thread(struct qt_env *env)
{
	cr_assert_eq(pthread_create(&env->thread, NULL, loop_thread, env), 0);
	env->threaded = true;
}

void qt_env_stop(struct qt_env *env)
{
	if (env->threaded) {
		__atomic_store_n(&env->stop, 1, __ATOMIC_RELEASE);
		pthread_join(env->thread, NULL);
		env->threaded = false;
	}
	qmp_server_destroy(env->srv);
	env->srv = NULL;
	event_loop_destroy(env->loop);
	env->loop = NULL;
	unlink(env->path);
	rmdir(env->dir);
}

void qt_pump(struct qt_env *env, int timeout_ms)
{
	if (env->threaded) {
		poll(NULL, 0, timeout_ms);
		return;
	}
	cr_assert_geq(event_loop_run_once(env->loop, timeout_ms), 0);
}

bool qt_pump_until(struct qt_env *env, bool (*cond)(struct qt_env *env), int timeout_ms)
{
	int waited;

	for (waited = 0; waited < timeout_ms; waited += 5) {
		if (cond(env))
			return true;
		qt_pump(env, 5);
	}
	return cond(env);
}

/* --- raw clients --------------------------------------------------------- */

struct qt_conn *qt_connect(struct qt_env *env)
{
	return qt_connect_path(env, env->path);
}

struct qt_conn *qt_connect_path(struct qt_env *env, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qt_conn *c = calloc(1, sizeof(*c));

	cr_assert_not_null(c);
	c->env = env;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(c->fd, 0);
	cr_assert_eq(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %s",
		     strerror(errno));
	return c;
}

struct qt_conn *qt_open(struct qt_env *env)
{
	struct qt_conn *c = qt_connect(env);
	struct json_object *greeting = qt_recv(env, c, 2000);

	cr_assert_not_null(greeting, "no greeting");
	cr_assert_not_null(qt_get(greeting, "QMP", "version", "qemu", NULL));
	json_object_put(greeting);
	return c;
}

struct qt_conn *qt_open_negotiated(struct qt_env *env)
{
	struct qt_conn *c = qt_open(env);
	struct json_object *rsp = qt_call(env, c, "{\"execute\": \"qmp_capabilities\"}");

	cr_assert_not_null(qt_get(rsp, "return", NULL), "negotiation failed: %s",
			   json_object_to_json_string(rsp));
	json_object_put(rsp);
	return c;
}

void qt_close(struct qt_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

void qt_send_len(struct qt_conn *c, const char *s, size_t len)
{
	int waited = 0;

	while (len) {
		ssize_t n = send(c->fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* The server reads when its loop runs. */
			cr_assert_lt(waited, 5000, "send: the server does not read");
			qt_pump(c->env, 5);
			waited += 5;
			continue;
		}
		cr_assert_gt(n, 0, "send: %s", strerror(errno));
		s += n;
		len -= (size_t)n;
	}
}

void qt_send(struct qt_conn *c, const char *s)
{
	qt_send_len(c, s, strlen(s));
}

/* Reads what is there without blocking; false at end of stream. */
static bool fill(struct qt_conn *c)
{
	ssize_t n;

	if (c->cap - c->len < 4096) {
		c->cap = c->cap ? c->cap * 2 : 65536;
		c->buf = realloc(c->buf, c->cap);
		cr_assert_not_null(c->buf);
	}
	n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
	if (n > 0)
		c->len += (size_t)n;
	else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		c->eof = true;
	return !c->eof;
}

static struct json_object *take_line(struct qt_conn *c)
{
	char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
	struct json_object *obj;
	size_t n;

	if (!nl)
		return NULL;
	n = (size_t)(nl - c->buf) + 1;
	cr_assert(n >= 2 && nl[-1] == '\r', "message not terminated by CRLF");
	nl[-1] = '\0';
	obj = json_tokener_parse(c->buf);
	cr_assert_not_null(obj, "unparsable message: %s", c->buf);
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	return obj;
}

struct json_object *qt_recv(struct qt_env *env, struct qt_conn *c, int timeout_ms)
{
	struct json_object *obj;
	int waited = 0;

	for (;;) {
		obj = take_line(c);
		if (obj)
			return obj;
		if (!fill(c))
			return NULL;
		obj = take_line(c);
		if (obj)
			return obj;
		if (waited >= timeout_ms)
			return NULL;
		qt_pump(env, 5);
		waited += 5;
	}
}

bool qt_wait_closed(struct qt_env *env, struct qt_conn *c, int timeout_ms)
{
	int waited;

	for (waited = 0; waited <= timeout_ms; waited += 5) {
		fill(c);
		if (c->eof)
			return true;
		/* Discard what arrives meanwhile. */
		c->len = 0;
		qt_pump(env, 5);
	}
	return false;
}

/* --- JSON helpers -------------------------------------------------------- */

static struct json_object *get_va(struct json_object *obj, va_list ap)
{
	const char *key;

	while (obj && (key = va_arg(ap, const char *)))
		if (!json_object_object_get_ex(obj, key, &obj))
			return NULL;
	return obj;
}

struct json_object *qt_get(struct json_object *obj, ...)
{
	va_list ap;

	va_start(ap, obj);
	obj = get_va(obj, ap);
	va_end(ap);
	return obj;
}

const char *qt_get_str(struct json_object *obj, ...)
{
	va_list ap;

	va_start(ap, obj);
	obj = get_va(obj, ap);
	va_end(ap);
	return obj && json_object_is_type(obj, json_type_string) ? json_object_get_string(obj)
								 : NULL;
}

void qt_assert_error(struct json_object *msg, const char *cls, const char *desc)
{
	const char *s = json_object_to_json_string(msg);

	cr_assert_not_null(msg, "no reply");
	cr_assert_null(qt_get(msg, "return", NULL), "unexpected success: %s", s);
	cr_assert_str_eq(qt_get_str(msg, "error", "class", NULL) ?: "(none)", cls, "in %s", s);
	if (desc)
		cr_assert_str_eq(qt_get_str(msg, "error", "desc", NULL) ?: "(none)", desc, "in %s",
				 s);
}

struct json_object *qt_call(struct qt_env *env, struct qt_conn *c, const char *cmd)
{
	struct json_object *rsp;

	qt_send(c, cmd);
	qt_send(c, "\n");
	rsp = qt_recv(env, c, 2000);
	cr_assert_not_null(rsp, "no reply to %s", cmd);
	return rsp;
}
