// SPDX-License-Identifier: MIT
/* The console's input path on a real terminal (a pty): escape handling and flow control. */
#include <criterion/criterion.h>
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
