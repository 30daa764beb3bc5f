/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the QMP tests: a server on a temporary socket with a fake command
 * table, driven either from the test thread (qt_pump) or from a helper thread,
 * and raw socket clients that read the server's messages line by line.
 */
#ifndef TESTS_UNIT_QMP_QMP_TEST_H
#define TESTS_UNIT_QMP_QMP_TEST_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "vmm/core/event_loop.h"
#include "vmm/qmp/qmp.h"

/* State the fake commands share; handlers run on the event loop's thread. */
struct qt_ctx {
	struct qmp_server *srv;
	struct qmp_request *deferred;	/* the last "defer" request, not completed yet */
	unsigned int handled;		/* commands run */
};

struct qt_env {
	struct event_loop *loop;
	struct qmp_server *srv;
	struct qt_ctx ctx;
	char dir[256];
	char path[PATH_MAX];
	pthread_t thread;
	bool threaded;
	volatile int stop;
};

/* A raw client connection. */
struct qt_conn {
	struct qt_env *env;
	int fd;
	char *buf;
	size_t len, cap;
	bool eof;
};

extern const struct qmp_command qt_commands[];
extern const size_t qt_ncommands;

/* Creates a temporary directory, an event loop and a server (cfg may be NULL). */
void qt_env_start(struct qt_env *env, const struct qmp_server_config *cfg);
/* Runs the event loop on a helper thread until qt_env_stop(). */
void qt_env_run_thread(struct qt_env *env);
void qt_env_stop(struct qt_env *env);
/* One event loop round, waiting up to timeout_ms. */
void qt_pump(struct qt_env *env, int timeout_ms);
/* Pumps until `cond(env)` holds or timeout_ms pass; returns cond's last value. */
bool qt_pump_until(struct qt_env *env, bool (*cond)(struct qt_env *env), int timeout_ms);

/* Connects without reading anything. */
struct qt_conn *qt_connect(struct qt_env *env);
struct qt_conn *qt_connect_path(struct qt_env *env, const char *path);
/* Connects and checks the greeting. */
struct qt_conn *qt_open(struct qt_env *env);
/* Connects, checks the greeting and negotiates. */
struct qt_conn *qt_open_negotiated(struct qt_env *env);
void qt_close(struct qt_conn *c);
void qt_send(struct qt_conn *c, const char *s);
void qt_send_len(struct qt_conn *c, const char *s, size_t len);
/* The next message, pumping the loop meanwhile (unless threaded); NULL on timeout
 * or end of stream (then c->eof). */
struct json_object *qt_recv(struct qt_env *env, struct qt_conn *c, int timeout_ms);
/* Pumps until the server closes the connection. */
bool qt_wait_closed(struct qt_env *env, struct qt_conn *c, int timeout_ms);

/* Member lookups: a path of keys, NULL-terminated. NULL when absent. */
struct json_object *qt_get(struct json_object *obj, ...) __attribute__((sentinel));
const char *qt_get_str(struct json_object *obj, ...) __attribute__((sentinel));
/* Asserts an error reply with this class and description. */
void qt_assert_error(struct json_object *msg, const char *cls, const char *desc);
/* Sends `cmd` and a newline and returns the next message. */
struct json_object *qt_call(struct qt_env *env, struct qt_conn *c, const char *cmd);

#endif
