// SPDX-License-Identifier: MIT
/* Asynchronous logging: other threads' lines wait in a bounded buffer for the owner. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "vmm/core/log.h"

static size_t slurp(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	return got;
}

struct burst {
	unsigned n;
};

static void *log_from_thread(void *arg)
{
	struct burst *b = arg;

	for (unsigned i = 0; i < b->n; i++)
		log_msg(LOG_WARN, "t", "line %u of a guest-triggered burst, padded to some length ............", i);
	return NULL;
}

static void run_thread(unsigned n)
{
	struct burst b = { .n = n };
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, log_from_thread, &b), 0);
	pthread_join(t, NULL);
}

TestSuite(log_async, .timeout = 30);

Test(log_async, other_threads_never_write_the_log_fd_the_owner_does)
{
	static char out[256 * 1024];
	int p[2], wake;

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	log_set_fd(p[1]);
	wake = log_async_start();
	cr_assert_geq(wake, 0);
	run_thread(3);
	cr_assert_eq(slurp(p[0], out, sizeof(out)), 0, "nothing written by the logging thread: %s", out);
	cr_assert_not(log_async_drain());
	slurp(p[0], out, sizeof(out));
	cr_assert(strstr(out, "t: warning: line 0 of") && strstr(out, "line 2 of"), "got %s", out);
	/* The owner's own line comes after what was buffered. */
	run_thread(1);
	log_msg(LOG_WARN, "owner", "mine");
	slurp(p[0], out, sizeof(out));
	cr_assert(strstr(out, "line 0 of") && strstr(out, "owner: warning: mine") &&
		  strstr(out, "line 0 of") < strstr(out, "owner: warning: mine"), "got %s", out);
	cr_assert_eq(log_async_dropped(), 0);
	log_async_stop(0);
	log_set_fd(-1);
	close(p[0]);
	close(p[1]);
}

Test(log_async, a_stalled_log_fd_drops_the_oldest_lines_and_reports_them)
{
	static char out[512 * 1024];
	int p[2];
	size_t got;

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	log_set_fd(p[1]);
	cr_assert_geq(log_async_start(), 0);
	/* About 100 bytes a line: 5000 lines overflow the 64 KiB buffer. */
	run_thread(5000);
	cr_assert_gt(log_async_dropped(), 0, "the buffer is bounded");
	/* The pipe takes 64 KiB, then stalls: drain reports lines are left, without blocking. */
	while (log_async_drain()) {
		got = slurp(p[0], out, sizeof(out));
		cr_assert_gt(got, 0);
	}
	got = slurp(p[0], out, sizeof(out));
	cr_assert(strstr(out, "line 4999 of"), "the newest lines are kept");
	cr_assert(strstr(out, "log lines dropped: the log output stalled"), "the drop is reported");
	cr_assert_null(strstr(out, "line 0 of"), "the oldest were dropped");
	log_async_stop(0);
	log_set_fd(-1);
	close(p[0]);
	close(p[1]);
}
