// SPDX-License-Identifier: MIT
/*
 * Native transport benchmark: RAM over loopback with TLS 1.3 + zstd (level 1),
 * random pages and zero pages, once with OpenSSL in user space and once with
 * kernel TLS when the kernel offers it, against the single-core
 * `openssl speed -evp aes-128-gcm` figure (16384-byte blocks) measured in the same
 * run. Prints `bench: <metric> ours=<v>MB/s peer=<v>MB/s ratio=<ours/peer>`; a
 * variant that cannot run prints ours=n/a and a `bench-note:` line with the reason.
 *
 * Sender (this thread) and receiver (a second thread) share the machine, as the
 * two ends of a migration would not: the figure is end to end through encode,
 * encrypt, loopback TCP, decrypt, decode and the write into destination RAM (a
 * fresh mapping with a written-page map). 512 MiB over 2 connections per run,
 * the median of 3 runs; a `bench-note:` gives this machine's ceiling for an
 * encrypted loopback transfer with nothing of ours in it (ceiling_mbps).
 *
 *   transport_bench                  certificates made with `openssl`, 512 MiB
 *   transport_bench CREDS_DIR MIB    the arm64 test host (no openssl CLI there):
 *                                    given credentials, MIB per run, and the peer
 *                                    figure measured in-process with the same EVP
 *                                    AES-128-GCM loop `openssl speed -evp` runs
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "migration/live/channel.h"
#include "migration/live/ram_receiver.h"
#include "migration/live/ram_sender.h"
#include "migration/live/tls_creds.h"
#include "tests/unit/live/live_test.h"

#include <openssl/evp.h>

#define GPA 0x40000000ull
#define CONNECTIONS 2u
#define DEFAULT_SIZE (512ull << 20)

static uint64_t BENCH_SIZE = DEFAULT_SIZE;

struct rx {
	pthread_t thread;
	const char *dir;
	bool ktls;
	int lfd;
	uint8_t *ram;
	int ret;
	struct mig_err err;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *rx_main(void *arg)
{
	struct rx *r = arg;
	struct tls_creds *creds;
	struct channel *ch[CONNECTIONS] = { NULL };
	struct channel_cfg cfg = { .ktls = r->ktls, .timeout_ms = 10000 };
	uint64_t *written = calloc(BENCH_SIZE / 4096 / 64, sizeof(uint64_t));
	struct ram_region reg = { .gpa = GPA, .size = BENCH_SIZE, .host = r->ram, .written = written };
	struct ram_receiver_cfg rc = { .regions = &reg, .nregions = 1, .timeout_ms = 10000 };
	struct ram_receiver *recv;

	r->ret = written ? tls_creds_load(&creds, r->dir, TLS_ROLE_SERVER, &r->err) : -ENOMEM;
	if (r->ret) {
		free(written);
		return NULL;
	}
	cfg.tls = creds;
	for (unsigned i = 0; i < CONNECTIONS && !r->ret; i++)
		r->ret = channel_accept(&ch[i], r->lfd, &cfg, &r->err);
	tls_creds_destroy(creds);
	if (r->ret) {
		for (unsigned i = 0; i < CONNECTIONS; i++)
			channel_destroy(ch[i]);
		free(written);
		return NULL;
	}
	r->ret = ram_receiver_create(&recv, ch, CONNECTIONS, &rc, &r->err);
	if (!r->ret) {
		r->ret = ram_receiver_run(recv, &r->err);
		ram_receiver_destroy(recv);
	}
	free(written);
	return NULL;
}

/* One transfer of src; *mbps = source bytes per second / 1e6. *ktls_active tells what ran. */
static int run(const char *dir, bool ktls, const uint8_t *src, uint8_t *dst, double *mbps, bool *ktls_active,
	       struct mig_err *e)
{
	struct rx r = { .dir = dir, .ktls = ktls, .ram = dst };
	struct channel *ch[CONNECTIONS] = { NULL };
	struct ram_sender_cfg scfg = { .zstd_level = 1, .max_inflight = 4, .timeout_ms = 10000 };
	struct tls_creds *creds;
	struct ram_sender *s = NULL;
	uint16_t port;
	double t0 = now_s();
	int ret = channel_listen("127.0.0.1", 0, &r.lfd, &port, e);

	if (ret)
		return ret;
	ret = tls_creds_load(&creds, dir, TLS_ROLE_CLIENT, e);
	if (ret)
		goto out_close;
	if (pthread_create(&r.thread, NULL, rx_main, &r)) {
		ret = -EAGAIN;
		goto out_creds;
	}
	struct channel_cfg cfg = { .tls = creds, .ktls = ktls, .tls_hostname = "localhost", .timeout_ms = 10000,
				   .count = CONNECTIONS, .session = "bench-session-01" };

	for (unsigned i = 0; i < CONNECTIONS && !ret; i++) {
		cfg.index = i;
		ret = channel_connect(&ch[i], "127.0.0.1", port, &cfg, e);
	}
	if (ret) {
		for (unsigned i = 0; i < CONNECTIONS; i++)
			channel_destroy(ch[i]);
		goto out_join;
	}
	*ktls_active = channel_ktls_tx(ch[0]);
	t0 = now_s();
	ret = ram_sender_create(&s, ch, CONNECTIONS, &scfg, e);
	if (!ret)
		ret = ram_sender_send_range(s, GPA, src, BENCH_SIZE, 12, 128, e);
	if (!ret)
		ret = ram_sender_sync(s, 0, e);
	if (!ret)
		ret = ram_sender_finish(s, e);
out_join:
	pthread_join(r.thread, NULL);
	*mbps = (double)BENCH_SIZE / (now_s() - t0) / 1e6;
	ram_sender_destroy(s);
	if (r.ret) {
		if (ret)
			mig_err_prefix(e, "receiver: %s; sender", r.err.msg);
		else
			mig_err_set(e, "receiver: %s", r.err.msg);
		ret = r.ret;
	}
	if (!ret && memcmp(src, dst, BENCH_SIZE)) {
		ret = -EIO;
		mig_err_set(e, "destination differs from the source");
	}
out_creds:
	tls_creds_destroy(creds);
out_close:
	close(r.lfd);
	return ret;
}

/* Single-core `openssl speed -evp aes-128-gcm` at 16384 bytes, in MB/s (0 when unavailable). */
static double openssl_speed(void)
{
	FILE *p = popen("openssl speed -seconds 3 -bytes 16384 -evp aes-128-gcm 2>/dev/null", "r");
	char line[512];
	double v = 0;

	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p)) {
		if (strncasecmp(line, "aes-128-gcm", 11) == 0) {
			char *last = strrchr(line, ' ');

			if (last)
				v = strtod(last + 1, NULL) / 1000.0; /* "k" = 1000 bytes/s */
		}
	}
	pclose(p);
	return v;
}

/* What `openssl speed -seconds 3 -bytes 16384 -evp aes-128-gcm` measures, in this process: MB/s. */
static double evp_speed(void)
{
	static uint8_t in[16384], out[16384 + 16];
	uint8_t key[16] = { 1 }, iv[12] = { 2 }, tag[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	double t0, t, bytes = 0;
	int n;

	if (!c || !EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv))
		return 0;
	t0 = now_s();
	do {
		for (int i = 0; i < 64; i++) {
			if (!EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) || !EVP_EncryptUpdate(c, out, &n, in, sizeof(in)) ||
			    !EVP_EncryptFinal_ex(c, out + n, &n) ||
			    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, sizeof(tag), tag)) {
				EVP_CIPHER_CTX_free(c);
				return 0;
			}
			bytes += sizeof(in);
		}
		t = now_s();
	} while (t - t0 < 3.0);
	EVP_CIPHER_CTX_free(c);
	return bytes / (t - t0) / 1e6;
}

/*
 * The ceiling of an encrypted transfer through this machine's loopback: the sender
 * encrypts 16 KiB records with AES-128-GCM (32 to a send, about our frame size) and
 * writes them to a TCP socket; a second thread reads and decrypts them; nothing
 * else (no framing, no pages, no copies into RAM). Both ends share the machine's
 * cores, as in the runs above. MB/s of plaintext, 0 when it cannot run.
 */
#define CEIL_REC 16384
#define CEIL_BATCH 32
#define CEIL_WIRE (CEIL_BATCH * (CEIL_REC + 16))

struct ceil_rx {
	int lfd;
	uint64_t total;
	bool ok;
};

static bool full_io(int fd, uint8_t *p, size_t len, bool wr)
{
	for (size_t d = 0; d < len;) {
		ssize_t r = wr ? send(fd, p + d, len - d, MSG_NOSIGNAL) : recv(fd, p + d, len - d, 0);

		if (r <= 0)
			return false;
		d += (size_t)r;
	}
	return true;
}

static bool ceil_records(EVP_CIPHER_CTX *c, uint8_t *wire, uint8_t *plain, bool enc)
{
	static const uint8_t iv[12] = { 2 };
	int n;

	for (int k = 0; k < CEIL_BATCH; k++) {
		uint8_t *rec = wire + (size_t)k * (CEIL_REC + 16);

		if (enc ? !EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) || !EVP_EncryptUpdate(c, rec, &n, plain, CEIL_REC) ||
			  !EVP_EncryptFinal_ex(c, rec + n, &n) ||
			  !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, rec + CEIL_REC)
			: !EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) || !EVP_DecryptUpdate(c, plain, &n, rec, CEIL_REC) ||
			  !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, rec + CEIL_REC) ||
			  EVP_DecryptFinal_ex(c, plain + n, &n) <= 0)
			return false;
	}
	return true;
}

static void *ceil_rx_main(void *arg)
{
	struct ceil_rx *r = arg;
	static const uint8_t key[16] = { 1 };
	uint8_t *wire = malloc(CEIL_WIRE), *plain = malloc(CEIL_REC);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int fd = accept(r->lfd, NULL, NULL);
	uint64_t got = 0;

	r->ok = fd >= 0 && wire && plain && c && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, NULL);
	while (r->ok && got < r->total) {
		r->ok = full_io(fd, wire, CEIL_WIRE, false) && ceil_records(c, wire, plain, false);
		got += (uint64_t)CEIL_BATCH * CEIL_REC;
	}
	if (fd >= 0)
		close(fd);
	EVP_CIPHER_CTX_free(c);
	free(wire);
	free(plain);
	return NULL;
}

static double ceiling_mbps(uint64_t total)
{
	static const uint8_t key[16] = { 1 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	struct ceil_rx r = { .lfd = socket(AF_INET, SOCK_STREAM, 0), .total = total };
	uint8_t *wire = malloc(CEIL_WIRE), *plain = calloc(1, CEIL_REC);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int fd = -1;
	bool ok = false;
	double t0 = 0, mbps = 0;
	pthread_t t;

	if (r.lfd < 0 || !wire || !plain || !c || !EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, NULL) ||
	    bind(r.lfd, (struct sockaddr *)&a, sizeof(a)) || listen(r.lfd, 1) ||
	    getsockname(r.lfd, (struct sockaddr *)&a, &al) || pthread_create(&t, NULL, ceil_rx_main, &r))
		goto out;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	t0 = now_s();
	for (uint64_t sent = 0; ok && sent < total; sent += (uint64_t)CEIL_BATCH * CEIL_REC)
		ok = ceil_records(c, wire, plain, true) && full_io(fd, wire, CEIL_WIRE, true);
	/* A receiver still waiting (in accept or recv) gives up. */
	shutdown(r.lfd, SHUT_RDWR);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	pthread_join(t, NULL);
	if (ok && r.ok)
		mbps = (double)total / (now_s() - t0) / 1e6;
out:
	if (fd >= 0)
		close(fd);
	if (r.lfd >= 0)
		close(r.lfd);
	EVP_CIPHER_CTX_free(c);
	free(wire);
	free(plain);
	return mbps;
}

#define RUNS 3

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
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

static void fill_random(uint8_t *p, uint64_t n)
{
	uint64_t x = 0x2545f4914f6cdd1dull;

	for (uint64_t i = 0; i < n; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = { "random", "zero" };
	struct test_pki pki;
	struct mig_err e = { { 0 } };
	uint8_t *src[2], *dst;
	double peer, ceiling;
	bool ulp = kernel_has_tls_ulp();
	int status = 0;

	const char *creds = argc > 1 ? argv[1] : NULL;

	if (argc > 2)
		BENCH_SIZE = strtoull(argv[2], NULL, 10) << 20;
	if (argc > 3 || BENCH_SIZE == 0 || BENCH_SIZE % (1u << 20)) {
		fprintf(stderr, "usage: transport_bench [CREDS_DIR [MIB]]\n");
		return 2;
	}
	dst = mmap(NULL, BENCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int k = 0; k < 2; k++)
		src[k] = mmap(NULL, BENCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(&pki, 0, sizeof(pki));
	if (creds)
		snprintf(pki.good, sizeof(pki.good), "%s", creds);
	if (dst == MAP_FAILED || src[0] == MAP_FAILED || src[1] == MAP_FAILED || (!creds && test_pki_make(&pki))) {
		fprintf(stderr, "transport_bench: set-up failed\n");
		return 1;
	}
	fill_random(src[0], BENCH_SIZE);
	/* Zero pages of a guest that never wrote them: mapped (read once), not allocated. */
	for (uint64_t off = 0; off < BENCH_SIZE; off += 4096)
		(void)*(volatile uint8_t *)(src[1] + off);
	peer = creds ? evp_speed() : openssl_speed();
	if (peer <= 0) {
		fprintf(stderr, "transport_bench: could not measure AES-128-GCM (%s)\n",
			creds ? "EVP" : "`openssl speed`");
		if (!creds)
			test_pki_remove(&pki);
		return 1;
	}
	ceiling = ceiling_mbps(BENCH_SIZE);
	if (ceiling > 0)
		printf("bench-note: transport: this machine's ceiling for an encrypted loopback transfer (AES-128-GCM "
		       "records encrypted, sent, received and decrypted by two threads, nothing else) is %.0f MB/s, "
		       "%.2f of the peer figure\n", ceiling, ceiling / peer);
	if (creds)
		printf("bench-note: transport: peer = single-core EVP AES-128-GCM over 16 KiB blocks in this process "
		       "(the loop `openssl speed -evp` runs; no openssl CLI here), %llu MiB per run\n",
		       (unsigned long long)(BENCH_SIZE >> 20));
	for (int ktls = 0; ktls < 2; ktls++) {
		for (int k = 0; k < 2; k++) {
			const char *sfx = ktls ? "-ktls" : "";
			double mbps = 0;
			bool active = false;
			int ret;

			if (ktls && !ulp) {
				printf("bench: transport-tls-%s%s ours=n/a peer=%.0fMB/s ratio=n/a\n", kinds[k], sfx, peer);
				printf("bench-note: transport-tls-%s%s: no 'tls' ULP in "
				       "/proc/sys/net/ipv4/tcp_available_ulp (kernel TLS module not loaded)\n",
				       kinds[k], sfx);
				continue;
			}
			/* The median of RUNS, the destination zeroed for each (a zero-page run takes
			 * milliseconds: one alone swings with the machine's load). */
			double each[RUNS];

			ret = 0;
			for (int i = 0; i < RUNS && !ret; i++) {
				madvise(dst, BENCH_SIZE, MADV_DONTNEED);
				ret = run(pki.good, ktls, src[k], dst, &each[i], &active, &e);
			}
			if (!ret) {
				qsort(each, RUNS, sizeof(each[0]), cmp_double);
				mbps = each[RUNS / 2];
			}
			if (ret) {
				printf("bench: transport-tls-%s%s ours=n/a peer=%.0fMB/s ratio=n/a\n", kinds[k], sfx, peer);
				printf("bench-note: transport-tls-%s%s failed: %s\n", kinds[k], sfx, e.msg);
				status = 1;
			} else if (ktls && !active) {
				printf("bench: transport-tls-%s%s ours=n/a peer=%.0fMB/s ratio=n/a\n", kinds[k], sfx, peer);
				printf("bench-note: transport-tls-%s%s: OpenSSL did not enable kernel TLS on this "
				       "host (measured %.0fMB/s in user space)\n", kinds[k], sfx, mbps);
			} else {
				printf("bench: transport-tls-%s%s ours=%.0fMB/s peer=%.0fMB/s ratio=%.2f\n", kinds[k], sfx,
				       mbps, peer, mbps / peer);
				if (ceiling > 0 && k == 0)
					printf("bench-note: transport-tls-%s%s: %.2f of the ceiling above\n", kinds[k], sfx,
					       mbps / ceiling);
			}
			fflush(stdout);
		}
	}
	if (!creds)
		test_pki_remove(&pki);
	return status;
}
