// SPDX-License-Identifier: MIT
#define LOG_PREFIX "event-loop"
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "vmm/core/event_loop.h"
#include "vmm/core/log.h"

struct event_source {
	int fd;
	event_fn fn;
	void *opaque;
	struct event_source *next;
	int removed;
};

struct event_loop {
	int epfd;
	struct event_source *sources;
	int dispatching;
};

int event_loop_create(struct event_loop **out)
{
	struct event_loop *loop = calloc(1, sizeof(*loop));
	int ret;

	if (!loop)
		return -ENOMEM;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		ret = -errno;
		free(loop);
		return ret;
	}
	*out = loop;
	return 0;
}

static void reap_removed(struct event_loop *loop)
{
	struct event_source **pp = &loop->sources;

	while (*pp) {
		struct event_source *s = *pp;

		if (s->removed) {
			*pp = s->next;
			free(s);
		} else {
			pp = &s->next;
		}
	}
}

void event_loop_destroy(struct event_loop *loop)
{
	struct event_source *s;

	if (!loop)
		return;
	while ((s = loop->sources)) {
		loop->sources = s->next;
		free(s);
	}
	close(loop->epfd);
	free(loop);
}

static struct event_source *find_source(struct event_loop *loop, int fd)
{
	struct event_source *s;

	for (s = loop->sources; s; s = s->next)
		if (s->fd == fd && !s->removed)
			return s;
	return NULL;
}

int event_loop_add(struct event_loop *loop, int fd, uint32_t events, event_fn fn, void *opaque)
{
	struct epoll_event ev = { .events = events };
	struct event_source *s;

	if (find_source(loop, fd))
		return -EEXIST;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct event_source){ .fd = fd, .fn = fn, .opaque = opaque, .next = loop->sources };
	ev.data.ptr = s;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int ret = -errno;

		free(s);
		return ret;
	}
	loop->sources = s;
	return 0;
}

int event_loop_modify(struct event_loop *loop, int fd, uint32_t events)
{
	struct event_source *s = find_source(loop, fd);
	struct epoll_event ev = { .events = events };

	if (!s)
		return -ENOENT;
	ev.data.ptr = s;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

void event_loop_remove(struct event_loop *loop, int fd)
{
	struct event_source *s = find_source(loop, fd);

	if (!s)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	s->removed = 1;
	if (!loop->dispatching)
		reap_removed(loop);
}

int event_loop_run_once(struct event_loop *loop, int timeout_ms)
{
	struct epoll_event evs[16];
	int n, i, ran = 0;

	n = epoll_wait(loop->epfd, evs, ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->dispatching = 1;
	for (i = 0; i < n; i++) {
		struct event_source *s = evs[i].data.ptr;

		/* A callback earlier in this round may have removed this source. */
		if (s->removed)
			continue;
		s->fn(loop, s->fd, evs[i].events, s->opaque);
		ran++;
	}
	loop->dispatching = 0;
	reap_removed(loop);
	return ran;
}
