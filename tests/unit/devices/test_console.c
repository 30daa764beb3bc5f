// SPDX-License-Identifier: MIT
/* The console's input path on a real terminal (a pty): escape handling and flow control. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pty.h>
#include <string.h>
#include <unistd.h>

#include "vmm/core/event_loop.h"
#include "vmm/devices/console.h"

struct sink_rec {
	uint8_t got[1024];
	size_t n;
	size_t room;   /* bytes the sink can still take (a FIFO filling up) */
	int quit;
};

static size_t rec_feed(void *ctx, const uint8_t *buf, size_t len)
{
	struct sink_rec *r = ctx;
	size_t take = len < r->room ? len : r->room;

	memcpy(r->got + r->n, buf, take);
	r->n += take;
	r->room -= take;
	return take;
}

static void rec_quit(void *ctx)
{
	((struct sink_rec *)ctx)->quit++;
}

static const struct console_sink rec_sink = { .feed = rec_feed, .quit = rec_quit };

struct env {
	int master, slave, out[2];
	struct event_loop *loop;
	struct console con;
	struct sink_rec rec;
};

static void setup_env(struct env *e)
{
	memset(e, 0, sizeof(*e));
	cr_assert_eq(openpty(&e->master, &e->slave, NULL, NULL, NULL), 0);
	cr_assert_eq(pipe(e->out), 0);
	cr_assert_eq(event_loop_create(&e->loop), 0);
	cr_assert_eq(console_init(&e->con, e->loop, e->slave, e->out[1]), 0);
	cr_assert(e->con.tty, "a pty is a terminal");
	e->rec.room = 1 << 20;
	console_set_sink(&e->con, &rec_sink, &e->rec);
}

static void type(struct env *e, const char *s, size_t n)
{
	cr_assert_eq(write(e->master, s, n), (ssize_t)n);
	for (int i = 0; i < 20; i++)
		if (event_loop_run_once(e->loop, 50) <= 0)
			break;
}

static void teardown_env(struct env *e)
{
	console_fini(&e->con);
	event_loop_destroy(e->loop);
	close(e->master);
	close(e->slave);
	close(e->out[0]);
	close(e->out[1]);
}

TestSuite(console, .timeout = 30);

Test(console, escape_spanning_reads)
{
	struct env e;

	setup_env(&e);
	type(&e, "a\x01", 2);
	type(&e, "bc", 2);
	cr_assert_eq(e.rec.n, 4, "got %zu bytes", e.rec.n);
	cr_assert_eq(memcmp(e.rec.got, "a\x01" "bc", 4), 0, "Ctrl-A then b: both keys, in order, nothing lost");
	type(&e, "\x01\x01", 2);
	cr_assert_eq(e.rec.n, 5);
	cr_assert_eq(e.rec.got[4], 0x01, "Ctrl-A Ctrl-A sends one Ctrl-A");
	cr_assert_eq(e.rec.quit, 0);
	type(&e, "\x01x", 2);
	cr_assert_eq(e.rec.quit, 1, "Ctrl-A x quits");
	teardown_env(&e);
}

Test(console, escape_before_a_full_read_does_not_overflow)
{
	struct env e;
	char big[256];

	setup_env(&e);
	memset(big, 'z', sizeof(big));
	type(&e, "\x01", 1);
	type(&e, big, sizeof(big));
	cr_assert_eq(e.rec.n, 257, "got %zu", e.rec.n);
	cr_assert_eq(e.rec.got[0], 0x01);
	for (int i = 1; i < 257; i++)
		cr_assert_eq(e.rec.got[i], 'z');
	teardown_env(&e);
}

Test(console, input_is_held_back_not_dropped)
{
	struct env e;

	setup_env(&e);
	e.rec.room = 3;
	type(&e, "0123456789", 10);
	cr_assert_eq(e.rec.n, 3, "a full sink takes what fits");
	e.rec.room = 1 << 20;
	console_wake(&e.con);
	type(&e, "", 0);
	cr_assert_eq(e.rec.n, 10, "the rest arrives when the sink has room (got %zu)", e.rec.n);
	cr_assert_eq(memcmp(e.rec.got, "0123456789", 10), 0);
	teardown_env(&e);
}

/* Reads everything the pipe has now (non-blocking). */
static size_t drain_pipe(int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)n;
	return got;
}

static void run_loop(struct env *e)
{
	for (int i = 0; i < 50; i++)
		if (event_loop_run_once(e->loop, 20) <= 0)
			break;
}

Test(console, output_never_blocks_and_loses_nothing_when_the_reader_catches_up)
{
	static uint8_t got[3 * 65536 + 4096];
	struct env e;
	size_t total = 0, i, n = 2 * 65536; /* more than a pipe holds (64 KiB) */

	setup_env(&e);
	cr_assert_eq(fcntl(e.out[0], F_SETFL, O_NONBLOCK), 0);
	/* Nobody reads: console_output must still return at once. */
	for (i = 0; i < 60000; i++)
		console_output(&e.con, (uint8_t)i);
	run_loop(&e);  /* the pipe fills; EPOLLOUT is armed */
	for (; i < n; i++) {
		console_output(&e.con, (uint8_t)i);
		if (i % 4096 == 0) {
			total += drain_pipe(e.out[0], got + total, sizeof(got) - total);
			run_loop(&e);
		}
	}
	for (int k = 0; k < 100 && total < n; k++) {
		run_loop(&e);
		total += drain_pipe(e.out[0], got + total, sizeof(got) - total);
	}
	cr_assert_eq(total, n, "all %zu bytes arrive (saw %zu)", n, total);
	for (i = 0; i < n; i++)
		cr_assert_eq(got[i], (uint8_t)i, "byte %zu in order", i);
	cr_assert_eq(e.con.dropped, 0);
	teardown_env(&e);
}

Test(console, a_stalled_reader_drops_the_oldest_and_counts)
{
	static uint8_t got[4 * 65536];
	struct env e;
	size_t total, i, n = 65536 + CONSOLE_OUT_LEN + 1000, in_pipe;

	setup_env(&e);
	cr_assert_eq(fcntl(e.out[0], F_SETFL, O_NONBLOCK), 0);
	/* Fill the pipe first (the control thread drains into it), then the buffer overflows. */
	for (i = 0; i < 65536; i++)
		console_output(&e.con, (uint8_t)(i / 256));
	run_loop(&e);
	in_pipe = 65536 - e.con.out_len;
	for (; i < n; i++)
		console_output(&e.con, (uint8_t)(i / 256));
	cr_assert_eq(e.con.out_len, CONSOLE_OUT_LEN, "the buffer stays bounded");
	cr_assert_eq(e.con.dropped, n - in_pipe - CONSOLE_OUT_LEN, "dropped %llu",
		     (unsigned long long)e.con.dropped);
	total = 0;
	for (int k = 0; k < 200 && console_flush_output(&e.con) + 1; k++) {
		total += drain_pipe(e.out[0], got + total, sizeof(got) - total);
		if (!e.con.out_len && total >= in_pipe + CONSOLE_OUT_LEN)
			break;
	}
	total += drain_pipe(e.out[0], got + total, sizeof(got) - total);
	cr_assert_eq(total, in_pipe + CONSOLE_OUT_LEN);
	/* What arrives after what was in the pipe is the newest output. */
	cr_assert_eq(got[total - 1], (uint8_t)((n - 1) / 256));
	cr_assert_eq(got[in_pipe], (uint8_t)((n - CONSOLE_OUT_LEN) / 256));
	teardown_env(&e);
}
