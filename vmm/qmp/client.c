// SPDX-License-Identifier: MIT
#define LOG_PREFIX "qmp-client"
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <json-c/json.h>

#include "vmm/core/clock.h"
#include "vmm/core/json_stream.h"
#include "vmm/core/json_util.h"
#include "vmm/core/log.h"
#include "vmm/qmp/client.h"
#include "vmm/qmp/socket.h"

#define QMP_CLIENT_READ_CHUNK (16 * 1024)
#define QMP_CLIENT_MAX_MESSAGE (64 * 1024 * 1024)
/* Events nobody collects are dropped beyond this many, oldest first. */
#define QMP_CLIENT_MAX_EVENTS 1024

struct event_node {
	struct json_object *ev;
	struct event_node *next;
};

struct qmp_client {
	int fd;
	int broken;			/* 0, or the error that made the connection unusable */
	struct json_stream in;
	char buf[QMP_CLIENT_READ_CHUNK];
	size_t off, len;		/* unparsed input: buf[off, len) */
	struct json_object *greeting;
	int64_t next_id;
	char error_class[64];
	struct event_node *ev_head, **ev_tail;
	size_t nevents;
	unsigned long dropped_events;
};

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : clock_now_ms() + timeout_ms;
}

/* Waits for `events` on the socket until the deadline: 0 ready, -ETIMEDOUT, -errno. */
static int wait_fd(struct qmp_client *c, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline < 0 ? -1 : MAX(deadline - clock_now_ms(), (int64_t)0);
		n = poll(&pfd, 1, (int)MIN(left, (int64_t)INT_MAX));
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int set_broken(struct qmp_client *c, int err)
{
	if (!c->broken)
		c->broken = err;
	return err;
}

static int send_all(struct qmp_client *c, const char *data, size_t len, int64_t deadline)
{
	size_t done = 0;
	ssize_t n;
	int ret;

	while (done < len) {
		n = send(c->fd, data + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE)
			return set_broken(c, -ECONNRESET);
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return set_broken(c, -errno);
		ret = wait_fd(c, POLLOUT, deadline);
		if (ret < 0)	/* Half a message on the wire: the stream is lost. */
			return set_broken(c, ret);
	}
	return 0;
}

/* Receives the next message of any kind. */
static int recv_message(struct qmp_client *c, int64_t deadline, struct json_object **msg)
{
	enum json_stream_status st;
	const char *why;
	size_t used;
	ssize_t n;
	int ret;

	for (;;) {
		while (c->off < c->len) {
			st = json_stream_feed(&c->in, c->buf + c->off, c->len - c->off, &used, msg,
					      &why);
			c->off += used;
			if (st == JSON_STREAM_VALUE)
				return 0;
			if (st == JSON_STREAM_ERROR) {
				log_err("malformed message from the server: %s", why);
				return set_broken(c, -EPROTO);
			}
			if (st == JSON_STREAM_OVERSIZE)
				return set_broken(c, -EMSGSIZE);
		}
		ret = wait_fd(c, POLLIN, deadline);
		if (ret == -ETIMEDOUT)
			return ret;
		if (ret < 0)
			return set_broken(c, ret);
		n = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);
		if (n == 0)
			return set_broken(c, -ECONNRESET);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return set_broken(c, -errno);
		}
		c->off = 0;
		c->len = (size_t)n;
	}
}

static const char *event_name(struct json_object *msg)
{
	struct json_object *name;

	if (json_object_is_type(msg, json_type_object) &&
	    json_object_object_get_ex(msg, "event", &name) &&
	    json_object_is_type(name, json_type_string))
		return json_object_get_string(name);
	return NULL;
}

/* Takes over `ev`. */
static void queue_event(struct qmp_client *c, struct json_object *ev)
{
	struct event_node *node = malloc(sizeof(*node));

	if (!node) {
		json_object_put(ev);
		c->dropped_events++;
		return;
	}
	if (c->nevents >= QMP_CLIENT_MAX_EVENTS) {
		struct event_node *old = c->ev_head;

		c->ev_head = old->next;
		if (!c->ev_head)
			c->ev_tail = &c->ev_head;
		json_object_put(old->ev);
		free(old);
		c->nevents--;
		if (!c->dropped_events++)
			log_warn("event queue full: dropping the oldest events");
	}
	node->ev = ev;
	node->next = NULL;
	*c->ev_tail = node;
	c->ev_tail = &node->next;
	c->nevents++;
}

/* Removes the first queued event called `name` (any with NULL). */
static struct json_object *take_event(struct qmp_client *c, const char *name)
{
	struct event_node **pp, *node;
	struct json_object *ev;

	for (pp = &c->ev_head; (node = *pp); pp = &node->next) {
		if (name && strcmp(event_name(node->ev), name))
			continue;
		*pp = node->next;
		if (c->ev_tail == &node->next)
			c->ev_tail = pp;
		ev = node->ev;
		free(node);
		c->nevents--;
		return ev;
	}
	return NULL;
}

/* Reads the answer with id `id` (or without an id: then it is about our request). */
static int handle_reply(struct qmp_client *c, struct json_object *msg, int64_t id,
			struct json_object **ret, char **errdesc)
{
	struct json_object *rid, *val, *error, *cls, *desc;

	if (json_object_object_get_ex(msg, "id", &rid) &&
	    (!json_object_is_type(rid, json_type_int) || json_object_get_int64(rid) != id))
		return 1;	/* a late answer to an earlier command */
	if (json_object_object_get_ex(msg, "return", &val)) {
		if (ret)
			*ret = json_object_get(val);
		return 0;
	}
	if (!json_object_object_get_ex(msg, "error", &error) ||
	    !json_object_is_type(error, json_type_object))
		return set_broken(c, -EPROTO);
	c->error_class[0] = '\0';
	if (json_object_object_get_ex(error, "class", &cls) &&
	    json_object_is_type(cls, json_type_string))
		snprintf(c->error_class, sizeof(c->error_class), "%s", json_object_get_string(cls));
	if (errdesc) {
		const char *d = "";

		if (json_object_object_get_ex(error, "desc", &desc) &&
		    json_object_is_type(desc, json_type_string))
			d = json_object_get_string(desc);
		*errdesc = strdup(d);
		if (!*errdesc)
			return -ENOMEM;
	}
	return -EREMOTEIO;
}

static struct json_object *build_command(const char *cmd, struct json_object *args, int64_t id)
{
	struct json_object *msg = json_object_new_object();

	if (json_add_str(msg, "execute", cmd) < 0 ||
	    (args && json_add_obj(msg, "arguments", json_object_get(args)) < 0) ||
	    json_add_int(msg, "id", id) < 0) {
		json_object_put(msg);
		return NULL;
	}
	return msg;
}

int qmp_client_execute(struct qmp_client *c, const char *cmd, struct json_object *args,
		       int timeout_ms, struct json_object **ret, char **errdesc)
{
	int64_t deadline = deadline_of(timeout_ms), id;
	struct json_object *msg;
	const char *s;
	size_t len;
	int rc;

	if (ret)
		*ret = NULL;
	if (errdesc)
		*errdesc = NULL;
	if (c->broken)
		return -ENOTCONN;
	if (!cmd || (args && !json_object_is_type(args, json_type_object)))
		return -EINVAL;
	id = ++c->next_id;
	msg = build_command(cmd, args, id);
	if (!msg)
		return -ENOMEM;
	s = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
	rc = s ? send_all(c, s, len, deadline) : -ENOMEM;
	if (!rc)
		rc = send_all(c, "\n", 1, deadline);
	json_object_put(msg);
	if (rc < 0)
		return rc;

	for (;;) {
		rc = recv_message(c, deadline, &msg);
		if (rc < 0)
			return rc;
		if (event_name(msg)) {
			queue_event(c, msg);
			continue;
		}
		if (!json_object_is_type(msg, json_type_object)) {
			json_object_put(msg);
			return set_broken(c, -EPROTO);
		}
		rc = 1;
		if (json_object_object_get_ex(msg, "return", NULL) ||
		    json_object_object_get_ex(msg, "error", NULL))
			rc = handle_reply(c, msg, id, ret, errdesc);
		json_object_put(msg);
		if (rc <= 0)
			return rc;
	}
}

const char *qmp_client_error_class(const struct qmp_client *c)
{
	return c->error_class;
}

int qmp_client_wait_event(struct qmp_client *c, const char *name, int timeout_ms,
			  struct json_object **event)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct json_object *msg;
	const char *got;
	int rc;

	*event = take_event(c, name);
	if (*event)
		return 0;
	if (c->broken)
		return -ENOTCONN;
	for (;;) {
		rc = recv_message(c, deadline, &msg);
		if (rc < 0)
			return rc;
		got = event_name(msg);
		if (!got) {
			json_object_put(msg);	/* a late answer: nobody waits for it */
			continue;
		}
		if (!name || !strcmp(got, name)) {
			*event = msg;
			return 0;
		}
		queue_event(c, msg);
	}
}

int qmp_client_next_event(struct qmp_client *c, int timeout_ms, struct json_object **event)
{
	return qmp_client_wait_event(c, NULL, timeout_ms, event);
}

struct json_object *qmp_client_greeting(const struct qmp_client *c)
{
	return c->greeting;
}

int qmp_client_connect(const char *path, int timeout_ms, struct qmp_client **out)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct qmp_client *c;
	char *desc = NULL;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->ev_tail = &c->ev_head;
	ret = json_stream_init(&c->in, QMP_CLIENT_MAX_MESSAGE);
	if (ret < 0)
		goto fail;
	ret = qmp_socket_connect(path, timeout_ms, &c->fd);
	if (ret < 0)
		goto fail;
	ret = recv_message(c, deadline, &c->greeting);
	if (ret < 0)
		goto fail;
	if (!json_object_is_type(c->greeting, json_type_object) ||
	    !json_object_object_get_ex(c->greeting, "QMP", NULL)) {
		ret = -EPROTO;
		goto fail;
	}
	timeout_ms = deadline < 0 ? -1 : (int)MAX(deadline - clock_now_ms(), (int64_t)0);
	ret = qmp_client_execute(c, "qmp_capabilities", NULL, timeout_ms, NULL, &desc);
	if (ret == -EREMOTEIO)
		log_err("capabilities negotiation refused: %s", desc);
	free(desc);
	if (ret < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	qmp_client_close(c);
	return ret;
}

void qmp_client_close(struct qmp_client *c)
{
	struct json_object *ev;

	if (!c)
		return;
	while ((ev = take_event(c, NULL)))
		json_object_put(ev);
	if (c->fd >= 0)
		close(c->fd);
	json_object_put(c->greeting);
	json_stream_fini(&c->in);
	free(c);
}
