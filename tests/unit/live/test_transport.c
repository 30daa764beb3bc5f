// SPDX-License-Identifier: MIT
/*
 * The transport over real loopback sockets: mutual TLS 1.3 with certificates made
 * by `openssl` (accepted; wrong CA, missing client certificate and a plain client
 * all refused in the handshake), credentials errors naming the file, plain TCP
 * only on request, 64 MiB of mixed pages over 4 TLS channels in two passes with
 * a byte-for-byte compare, and the kernel TLS path (skipped without the tls ULP).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "migration/live/channel.h"
#include "migration/live/compress_ctl.h"
#include "migration/live/ram_receiver.h"
#include "migration/live/ram_sender.h"
#include "migration/live/tls_creds.h"
#include "tests/unit/live/live_test.h"

static struct test_pki pki;

static void setup(void)
{
	cr_assert_eq(test_pki_make(&pki), 0, "cannot make test certificates with openssl");
}

static void teardown(void)
{
	test_pki_remove(&pki);
}

TestSuite(live_transport, .init = setup, .fini = teardown, .timeout = 60);

#define GPA 0x40000000ull

struct server {
	pthread_t thread;
	const char *dir;
	bool plain, ktls;
	int lfd;
	uint16_t port;
	unsigned n;
	/* results */
	struct channel *ch[8];
	int ret;
	struct mig_err err;
	/* RAM receive (when ram is set) */
	uint8_t *ram;
	uint64_t ram_size;
	uint32_t passes;
	struct ram_xfer_stats stats;
	/* Refusal (when refuse is set): channel 1 closes first, then channel 0 carries the reason. */
	const char *refuse;
	struct channel *second;
};

/* Refuses the offer as migrate_in does, but with channel 1 closed well before the reason is sent. */
static int refuse_offer(void *ctx, struct ram_receiver *r, unsigned kind, const uint8_t *data, size_t len,
			struct mig_err *e)
{
	struct server *s = ctx;
	int ret;

	(void)data;
	(void)len;
	if (kind != CTRL_OFFER) {
		mig_err_set(e, "expected an offer, got '%s'", ctrl_kind_name(kind));
		return -EPROTO;
	}
	channel_shutdown(s->second);
	usleep(200 * 1000);
	ret = ram_receiver_ctrl_send(r, CTRL_REFUSE, s->refuse, strlen(s->refuse), e);
	if (!ret)
		ret = ram_receiver_flush(r, e);
	if (!ret) {
		mig_err_set(e, "%s", s->refuse);
		ret = -EPERM;
	}
	return ret;
}

static struct channel_cfg server_cfg(struct server *s, struct tls_creds *creds)
{
	return (struct channel_cfg){ .tls = creds, .plain = s->plain, .ktls = s->ktls, .timeout_ms = 5000 };
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct tls_creds *creds = NULL;
	struct channel_cfg cfg;
	unsigned i;

	if (!s->plain) {
		s->ret = tls_creds_load(&creds, s->dir, TLS_ROLE_SERVER, &s->err);
		if (s->ret)
			return NULL;
	}
	cfg = server_cfg(s, creds);
	for (i = 0; i < s->n; i++) {
		s->ret = channel_accept(&s->ch[i], s->lfd, &cfg, &s->err);
		if (s->ret)
			break;
	}
	if (!s->ret && s->refuse) {
		struct ram_region reg = { .gpa = GPA, .size = 4096 };
		struct ram_receiver_cfg rc = { .regions = &reg, .nregions = 1, .timeout_ms = 5000,
					       .on_ctrl = refuse_offer, .ctrl_ctx = s };
		struct ram_receiver *r;

		s->second = s->ch[1];
		s->ret = ram_receiver_create(&r, s->ch, s->n, &rc, &s->err);
		memset(s->ch, 0, sizeof(s->ch));
		if (!s->ret) {
			s->ret = ram_receiver_run(r, &s->err);
			ram_receiver_destroy(r);
		}
	}
	if (!s->ret && s->ram) {
		uint64_t *written = calloc(s->ram_size / 4096 / 64 + 1, sizeof(uint64_t));
		struct ram_region reg = { .gpa = GPA, .size = s->ram_size, .host = s->ram, .written = written };
		struct ram_receiver_cfg rc = { .regions = &reg, .nregions = 1, .timeout_ms = 10000 };
		struct ram_receiver *r;

		s->ret = ram_receiver_create(&r, s->ch, s->n, &rc, &s->err);
		memset(s->ch, 0, sizeof(s->ch));
		if (!s->ret) {
			s->ret = ram_receiver_run(r, &s->err);
			s->passes = ram_receiver_passes(r);
			s->stats = *ram_receiver_stats(r);
			ram_receiver_destroy(r);
		}
		free(written);
	}
	tls_creds_destroy(creds);
	return NULL;
}

static void server_start(struct server *s, const char *dir, unsigned n)
{
	struct mig_err e = { { 0 } };

	s->dir = dir;
	s->n = n;
	cr_assert_eq(channel_listen("127.0.0.1", 0, &s->lfd, &s->port, &e), 0, "%s", e.msg);
	cr_assert_eq(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_join(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->lfd);
}

static void server_free(struct server *s)
{
	for (unsigned i = 0; i < 8; i++)
		channel_destroy(s->ch[i]);
}

static int client_connect(const char *dir, bool plain, bool ktls, uint16_t port, unsigned idx, unsigned n,
			  struct channel **out, struct mig_err *e)
{
	struct tls_creds *creds = NULL;
	struct channel_cfg cfg = { .plain = plain, .ktls = ktls, .tls_hostname = "localhost", .timeout_ms = 5000,
				   .index = idx, .count = n, .session = "session-0123456" };
	int ret = 0;

	if (!plain)
		ret = tls_creds_load(&creds, dir, TLS_ROLE_CLIENT, e);
	if (!ret) {
		cfg.tls = creds;
		ret = channel_connect(out, "127.0.0.1", port, &cfg, e);
	}
	tls_creds_destroy(creds);
	return ret;
}

Test(live_transport, mutual_tls_accepted)
{
	struct server s = { 0 };
	struct channel *c = NULL;
	struct mig_err e = { { 0 } };

	server_start(&s, pki.good, 1);
	int ret = client_connect(pki.good, false, false, s.port, 0, 1, &c, &e);

	server_join(&s);
	cr_assert_eq(ret, 0, "client: %s", e.msg);
	cr_assert_eq(s.ret, 0, "server: %s", s.err.msg);
	cr_expect(channel_is_tls(c));
	cr_expect(channel_is_tls(s.ch[0]));
	cr_expect_eq(channel_count(s.ch[0]), 1);
	cr_expect_eq(memcmp(channel_session(s.ch[0]), "session-0123456", 16), 0);
	channel_destroy(c);
	server_free(&s);
}

Test(live_transport, wrong_ca_refused_in_handshake)
{
	struct server s = { 0 };
	struct channel *c = NULL;
	struct mig_err e = { { 0 } };

	server_start(&s, pki.good, 1);
	int ret = client_connect(pki.other, false, false, s.port, 0, 1, &c, &e);

	server_join(&s);
	cr_expect_neq(ret, 0, "client with another CA connected");
	cr_expect(strstr(e.msg, "handshake") && strstr(e.msg, "certificate"), "client: %s", e.msg);
	cr_expect_neq(s.ret, 0, "server accepted a client of another CA");
	cr_expect(strstr(s.err.msg, "handshake"), "server: %s", s.err.msg);
	server_free(&s);
}

/* A raw OpenSSL client that trusts the CA but presents no certificate. */
Test(live_transport, missing_client_cert_refused_in_handshake)
{
	struct server s = { 0 };
	char ca[PATH_MAX];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd;

	server_start(&s, pki.good, 1);
	snprintf(ca, sizeof(ca), "%s/ca-cert.pem", pki.good);
	cr_assert_eq(SSL_CTX_load_verify_locations(ctx, ca, NULL), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	sa.sin_port = htons(s.port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	SSL *ssl = SSL_new(ctx);

	SSL_set_fd(ssl, fd);
	int hs = SSL_connect(ssl);
	char b;
	/* TLS 1.3: the client finishes first; the server's refusal arrives as an alert. */
	int rd = hs == 1 ? SSL_read(ssl, &b, 1) : -1;

	server_join(&s);
	cr_expect_leq(rd, 0, "server sent data to a client without a certificate");
	cr_expect_neq(s.ret, 0, "server accepted a client without a certificate");
	cr_expect(strstr(s.err.msg, "handshake") && strstr(s.err.msg, "certificate"), "server: %s", s.err.msg);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
}

Test(live_transport, plain_client_refused_by_tls_server)
{
	struct server s = { 0 };
	struct channel *c = NULL;
	struct mig_err e = { { 0 } };

	server_start(&s, pki.good, 1);
	int ret = client_connect(NULL, true, false, s.port, 0, 1, &c, &e);

	server_join(&s);
	cr_expect_neq(ret, 0, "plain client connected to a TLS server");
	cr_expect_neq(s.ret, 0);
	cr_expect(strstr(s.err.msg, "handshake"), "server: %s", s.err.msg);
}

Test(live_transport, credential_errors_name_the_file)
{
	struct tls_creds *c;
	struct mig_err e = { { 0 } };
	char path[1024];

	snprintf(path, sizeof(path), "%s/client-cert.pem", pki.good);
	cr_assert_eq(unlink(path), 0);
	cr_expect_eq(tls_creds_load(&c, pki.good, TLS_ROLE_CLIENT, &e), -ENOENT);
	cr_expect(strstr(e.msg, "client-cert.pem") && strstr(e.msg, "No such file"), "%s", e.msg);
	/* The server side does not need the client pair. */
	cr_expect_eq(tls_creds_load(&c, pki.good, TLS_ROLE_SERVER, &e), 0, "%s", e.msg);
	tls_creds_destroy(c);
	/* A key that is not the certificate's. */
	snprintf(path, sizeof(path), "cp '%s/server-key.pem' '%s/server-key.pem'", pki.other, pki.good);
	cr_assert_eq(system(path), 0);
	cr_expect_eq(tls_creds_load(&c, pki.good, TLS_ROLE_SERVER, &e), -EINVAL);
	cr_expect(strstr(e.msg, "server-key.pem"), "%s", e.msg);
}

Test(live_transport, plain_only_when_requested)
{
	struct channel *c;
	struct mig_err e = { { 0 } };
	struct channel_cfg cfg = { .timeout_ms = 100, .count = 1 };

	cr_expect_eq(channel_connect(&c, "127.0.0.1", 9, &cfg, &e), -EINVAL);
	cr_expect(strstr(e.msg, "plain TCP not requested"), "%s", e.msg);
}

/* Page i of a 4 KiB-page buffer: a third zero, a third random, a third text. */
static void fill_mixed(uint8_t *p, uint64_t size, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (uint64_t pg = 0; pg < size / 4096; pg++) {
		uint8_t *q = p + pg * 4096;

		switch ((pg * 7 + seed) % 3) {
		case 0:
			memset(q, 0, 4096);
			break;
		case 1:
			for (unsigned j = 0; j < 4096; j += 8) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				memcpy(q + j, &x, 8);
			}
			break;
		default:
			for (unsigned j = 0; j < 4096; j++)
				q[j] = (uint8_t)("page text of a guest "[(j + pg) % 21]);
		}
	}
}

static struct ram_xfer_stats transfer_ex(const char *dir, bool plain, bool ktls, unsigned n, uint64_t size, int level,
				       bool adaptive)
{
	struct server s = { .plain = plain, .ktls = ktls, .ram_size = size };
	struct channel *c[8] = { NULL };
	struct mig_err e = { { 0 } };
	struct ram_sender *snd;
	struct ram_sender_cfg scfg = { .zstd_level = level, .adaptive = adaptive, .max_inflight = 4,
				       .timeout_ms = 10000 };
	uint8_t *src = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;

	s.ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(src != MAP_FAILED && s.ram != MAP_FAILED);
	fill_mixed(src, size, 1);
	server_start(&s, dir, n);
	for (unsigned i = 0; i < n; i++) {
		ret = client_connect(dir, plain, ktls, s.port, i, n, &c[i], &e);
		cr_assert_eq(ret, 0, "channel %u: %s", i, e.msg);
	}
	if (ktls && !channel_ktls_tx(c[0])) {
		for (unsigned i = 0; i < n; i++)
			channel_destroy(c[i]);
		server_join(&s);
		server_free(&s);
		cr_skip_test("kernel TLS not active after the handshake although the tls ULP is listed");
	}
	ret = ram_sender_create(&snd, c, n, &scfg, &e);
	cr_assert_eq(ret, 0, "%s", e.msg);
	ret = ram_sender_send_range(snd, GPA, src, size, 12, 128, &e);
	cr_assert_eq(ret, 0, "pass 0: %s (server: %s)", e.msg, s.err.msg);
	cr_assert_eq(ram_sender_sync(snd, 0, &e), 0, "sync 0: %s (server: %s)", e.msg, s.err.msg);
	/* Pass 1: every 5th page dirtied (zero pages become data and the other way round). */
	for (uint64_t pg = 0; pg < size / 4096; pg += 5)
		fill_mixed(src + pg * 4096, 4096, pg + 2);
	for (uint64_t pg = 0; pg < size / 4096; pg += 64) {
		uint64_t mask = 0;
		unsigned np = (unsigned)MIN(64ull, size / 4096 - pg);

		for (unsigned i = 0; i < np; i++)
			if ((pg + i) % 5 == 0)
				mask |= 1ull << i;
		ret = ram_sender_send(snd, GPA + pg * 4096, src + pg * 4096, 12, np, &mask, &e);
		cr_assert_eq(ret, 0, "pass 1: %s", e.msg);
	}
	cr_assert_eq(ram_sender_sync(snd, 1, &e), 0, "sync 1: %s (server: %s)", e.msg, s.err.msg);
	cr_assert_eq(ram_sender_finish(snd, &e), 0, "%s", e.msg);
	const struct ram_xfer_stats st = *ram_sender_stats(snd);

	server_join(&s);
	ram_sender_destroy(snd);
	cr_assert_eq(s.ret, 0, "receiver: %s", s.err.msg);
	cr_expect_eq(s.passes, 2);
	cr_expect_eq(s.stats.pages, st.pages);
	cr_expect_eq(s.stats.zero_pages, st.zero_pages);
	cr_expect_gt(st.zero_pages, 0);
	if (level && !adaptive)
		cr_expect_gt(st.compressed_batches, 0);
	cr_expect_eq(memcmp(src, s.ram, size), 0, "destination RAM differs from the source");
	munmap(src, size);
	munmap(s.ram, size);
	return st;
}

static void transfer(const char *dir, bool plain, bool ktls, unsigned n, uint64_t size, int level)
{
	(void)transfer_ex(dir, plain, ktls, n, size, level, false);
}

/*
 * Adaptive zstd over real TLS sockets: both modes are probed (the controller's
 * own logic is tested in test_compress_ctl.c), the choice is counted, and batches
 * of both kinds arrive intact (transfer_ex compares the RAM).
 */
Test(live_transport, adaptive_zstd_probes_both_modes)
{
	struct ram_xfer_stats st = transfer_ex(pki.good, false, false, 2, 64ull << 20, 1, true);

	cr_log_info("adaptive: %llu batches, %llu compressed, %llu raw by choice", (unsigned long long)st.batches,
		    (unsigned long long)st.compressed_batches, (unsigned long long)st.raw_chosen_batches);
	cr_expect_gt(st.compressed_batches, 0, "the zstd probe compressed nothing");
	cr_expect_geq(st.raw_chosen_batches, COMPRESS_CTL_PROBE, "the raw probe did not run");
}

Test(live_transport, tls_4_channels_64mib_two_passes)
{
	transfer(pki.good, false, false, 4, 64ull << 20, 1);
}

Test(live_transport, plain_tcp_2_channels_uncompressed)
{
	transfer(NULL, true, false, 2, 8ull << 20, PAGE_BATCH_LEVEL_OFF);
}

static bool kernel_has_tls_ulp(void)
{
	char buf[256] = { 0 };
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");
	bool yes;

	if (!f)
		return false;
	yes = fgets(buf, sizeof(buf), f) && strstr(buf, "tls");
	fclose(f);
	return yes;
}

Test(live_transport, ktls_4_channels)
{
	if (!kernel_has_tls_ulp())
		cr_skip_test("kernel TLS: the 'tls' ULP is not in /proc/sys/net/ipv4/tcp_available_ulp on this "
			     "kernel (modprobe tls); the kTLS path is proven on the arm64 test host");
	transfer(pki.good, false, true, 4, 32ull << 20, 1);
}

Test(live_transport, channels_of_another_migration_refused)
{
	struct server s = { 0 };
	struct channel *c[2] = { NULL }, *srv[2];
	struct mig_err e = { { 0 } };
	struct ram_region reg = { .gpa = GPA, .size = 4096, .host = NULL };
	struct ram_receiver_cfg rc = { .regions = &reg, .nregions = 1 };
	struct ram_receiver *r;

	server_start(&s, pki.good, 2);
	cr_assert_eq(client_connect(pki.good, false, false, s.port, 0, 2, &c[0], &e), 0, "%s", e.msg);
	cr_assert_eq(client_connect(pki.good, false, false, s.port, 0, 2, &c[1], &e), 0, "%s", e.msg);
	server_join(&s);
	cr_assert_eq(s.ret, 0, "%s", s.err.msg);
	srv[0] = s.ch[0];
	srv[1] = s.ch[1];
	cr_expect_eq(ram_receiver_create(&r, srv, 2, &rc, &e), -EPROTO);
	cr_expect(strstr(e.msg, "connected twice"), "%s", e.msg);
	channel_destroy(c[0]);
	channel_destroy(c[1]);
}

Test(live_transport, refusal_behind_another_channels_close_is_reported)
{
	struct server s = { .refuse = "disk '/tmp/x.img': No such file or directory" };
	struct channel *c[2] = { NULL };
	struct mig_err e = { { 0 } };
	struct ram_sender_cfg scfg = { .max_inflight = 4, .timeout_ms = 5000 };
	struct ram_sender *snd;
	const uint8_t *data;
	char why[256];
	unsigned kind;
	size_t len;

	server_start(&s, pki.good, 2);
	for (unsigned i = 0; i < 2; i++)
		cr_assert_eq(client_connect(pki.good, false, false, s.port, i, 2, &c[i], &e), 0, "%s", e.msg);
	cr_assert_eq(ram_sender_create(&snd, c, 2, &scfg, &e), 0, "%s", e.msg);
	cr_assert_eq(ram_sender_ctrl_send(snd, CTRL_OFFER, "x", 1, &e), 0, "%s", e.msg);
	cr_assert_eq(ram_sender_ctrl_recv(snd, &kind, &data, &len, &e), 0,
		     "the refusal was lost behind channel 1's close: %s", e.msg);
	cr_expect_eq(kind, CTRL_REFUSE, "got '%s'", ctrl_kind_name(kind));
	cr_assert_eq(ctrl_parse_text(data, len, why, sizeof(why), &e), 0, "%s", e.msg);
	cr_expect_str_eq(why, s.refuse);
	server_join(&s);
	ram_sender_destroy(snd);
	cr_expect_lt(s.ret, 0, "the receiver did not fail");
}
