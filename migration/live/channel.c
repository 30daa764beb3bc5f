// SPDX-License-Identifier: MIT
/* One migration connection: set-up, TLS / kTLS, framing over uring_io (see channel.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "migration/live/channel.h"
#include "migration/live/wire.h"

#define HELLO_LEN (12u + LIVE_SESSION_LEN)
#define HELLO_ACK_LEN 8u
#define CHANNEL_TXQ 32u

/* Where the user-space TLS BIO writes records and reads received bytes. */
struct tls_buf {
	uint8_t *out;
	size_t out_len, out_cap;
	const uint8_t *in;
	size_t in_len, in_off;
};

struct channel {
	int fd;
	SSL *ssl;
	BIO_METHOD *biom;
	struct tls_buf tb;
	bool ktls_tx, ktls_rx;
	uint32_t index, count;
	uint8_t session[LIVE_SESSION_LEN];

	struct uring_io *io;
	channel_frame_fn on_frame;
	void *ctx;
	unsigned rx_buf, rx_net_buf; /* plaintext assembly; ciphertext (user-space TLS) */
	bool has_rx_buf, has_rx_net_buf;
	size_t rx_have;
	bool eof, sent_end;
	/* Frames waiting or in flight, oldest first; one sendmsg of all of them at a time. */
	struct tx_ent {
		unsigned buf;
		size_t len, off;
	} txq[CHANNEL_TXQ];
	struct iovec tx_iov[CHANNEL_TXQ];
	unsigned tx_head, tx_count;
	bool tx_busy;
	int error;
	struct mig_err err;
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = events };
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int set_socket_opts(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

static int resolve(const char *host, uint16_t port, bool passive, struct addrinfo **res, struct mig_err *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = passive ? AI_PASSIVE : 0 };
	char portstr[8];
	int r;

	snprintf(portstr, sizeof(portstr), "%u", port);
	r = getaddrinfo(host, portstr, &hints, res);
	if (r) {
		mig_err_set(e, "channel: cannot resolve %s:%u: %s", host ? host : "*", port, gai_strerror(r));
		return -EHOSTUNREACH;
	}
	return 0;
}

int channel_listen(const char *host, uint16_t port, int *fd_out, uint16_t *port_out, struct mig_err *e)
{
	struct addrinfo *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, one = 1, ret = resolve(host, port, true, &ai, e);

	if (ret)
		return ret;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		goto err_ai;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		ret = -errno;
		goto err_close;
	}
	*port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						    : ((struct sockaddr_in *)&ss)->sin_port);
	*fd_out = fd;
	freeaddrinfo(ai);
	return 0;

err_close:
	close(fd);
err_ai:
	mig_err_set(e, "channel: cannot listen on %s:%u: %s", host ? host : "*", port, strerror(-ret));
	freeaddrinfo(ai);
	return ret;
}

static int ssl_fail(struct mig_err *e, const char *what, SSL *ssl, int r)
{
	char detail[256];
	long vr = X509_V_OK;
	int err = SSL_get_error(ssl, r);

	tls_error_take(detail, sizeof(detail));
	if (ssl)
		vr = SSL_get_verify_result(ssl);
	if (vr != X509_V_OK)
		mig_err_set(e, "channel: TLS %s failed: peer certificate: %s (%s)", what,
			    X509_verify_cert_error_string(vr), detail);
	else if (err == SSL_ERROR_SYSCALL && !detail[0])
		mig_err_set(e, "channel: TLS %s failed: connection closed by peer", what);
	else
		mig_err_set(e, "channel: TLS %s failed: %s", what, detail[0] ? detail : "protocol error");
	return err == SSL_ERROR_ZERO_RETURN ? -ECONNRESET : -EPROTO;
}

/* Set-up I/O: the whole buffer or an error, bounded by deadline. */
static int sync_io(struct channel *ch, bool wr, void *buf, size_t len, int64_t deadline, struct mig_err *e)
{
	size_t done = 0;

	while (done < len) {
		short ev = wr ? POLLOUT : POLLIN;
		int ret;

		if (ch->ssl) {
			int r = wr ? SSL_write(ch->ssl, (uint8_t *)buf + done, (int)(len - done))
				   : SSL_read(ch->ssl, (uint8_t *)buf + done, (int)(len - done));

			if (r > 0) {
				done += (size_t)r;
				continue;
			}
			switch (SSL_get_error(ch->ssl, r)) {
			case SSL_ERROR_WANT_READ:
				ev = POLLIN;
				break;
			case SSL_ERROR_WANT_WRITE:
				ev = POLLOUT;
				break;
			default:
				return ssl_fail(e, wr ? "write" : "read", ch->ssl, r);
			}
		} else {
			ssize_t r = wr ? send(ch->fd, (uint8_t *)buf + done, len - done, MSG_NOSIGNAL)
				       : recv(ch->fd, (uint8_t *)buf + done, len - done, 0);

			if (r > 0) {
				done += (size_t)r;
				continue;
			}
			if (r == 0) {
				mig_err_set(e, "channel: connection closed by peer during set-up");
				return -ECONNRESET;
			}
			if (errno != EAGAIN && errno != EINTR) {
				ret = -errno;
				mig_err_set(e, "channel: %s: %s", wr ? "send" : "recv", strerror(-ret));
				return ret;
			}
		}
		ret = wait_fd(ch->fd, ev, deadline);
		if (ret) {
			mig_err_set(e, "channel: set-up timed out");
			return ret;
		}
	}
	return 0;
}

/* --- the user-space TLS BIO: records go to / come from tls_buf --- */

static int bio_write(BIO *b, const char *data, int len)
{
	struct tls_buf *tb = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (!tb->out || (size_t)len > tb->out_cap - tb->out_len)
		return -1; /* cannot happen: the buffer is sized for the records */
	memcpy(tb->out + tb->out_len, data, (size_t)len);
	tb->out_len += (size_t)len;
	return len;
}

static int bio_read(BIO *b, char *data, int len)
{
	struct tls_buf *tb = BIO_get_data(b);
	size_t n = tb->in_len - tb->in_off;

	BIO_clear_retry_flags(b);
	if (n == 0) {
		BIO_set_retry_read(b);
		return -1;
	}
	n = MIN(n, (size_t)len);
	memcpy(data, tb->in + tb->in_off, n);
	tb->in_off += n;
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* After the hello: the directions kTLS does not cover go through tls_buf. */
static int switch_to_user_bio(struct channel *ch, struct mig_err *e)
{
	BIO *b;

	if (ch->ktls_tx && ch->ktls_rx)
		return 0;
	ch->biom = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "vmm-live");
	if (!ch->biom || !BIO_meth_set_write(ch->biom, bio_write) || !BIO_meth_set_read(ch->biom, bio_read) ||
	    !BIO_meth_set_ctrl(ch->biom, bio_ctrl) || !BIO_meth_set_create(ch->biom, bio_create))
		goto err;
	b = BIO_new(ch->biom);
	if (!b)
		goto err;
	BIO_set_data(b, &ch->tb);
	if (!ch->ktls_tx && !ch->ktls_rx) {
		SSL_set_bio(ch->ssl, b, b);
	} else if (!ch->ktls_rx) {
		SSL_set0_rbio(ch->ssl, b);
	} else {
		SSL_set0_wbio(ch->ssl, b);
	}
	SSL_set_read_ahead(ch->ssl, 1);
	return 0;
err:
	mig_err_set(e, "channel: cannot create the TLS buffer BIO");
	return -ENOMEM;
}

static int tls_handshake(struct channel *ch, const struct channel_cfg *cfg, bool server, int64_t deadline,
			 struct mig_err *e)
{
	ch->ssl = SSL_new(tls_creds_ctx(cfg->tls));
	if (!ch->ssl || !SSL_set_fd(ch->ssl, ch->fd)) {
		mig_err_set(e, "channel: cannot create a TLS session");
		return -ENOMEM;
	}
	if (cfg->ktls)
		SSL_set_options(ch->ssl, SSL_OP_ENABLE_KTLS);
	if (!server && cfg->tls_hostname &&
	    (!SSL_set1_host(ch->ssl, cfg->tls_hostname) || !SSL_set_tlsext_host_name(ch->ssl, cfg->tls_hostname))) {
		mig_err_set(e, "channel: bad TLS host name '%s'", cfg->tls_hostname);
		return -EINVAL;
	}
	for (;;) {
		int r = server ? SSL_accept(ch->ssl) : SSL_connect(ch->ssl), ret;
		short ev;

		if (r == 1)
			break;
		switch (SSL_get_error(ch->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			ev = POLLIN;
			break;
		case SSL_ERROR_WANT_WRITE:
			ev = POLLOUT;
			break;
		default:
			return ssl_fail(e, "handshake", ch->ssl, r);
		}
		ret = wait_fd(ch->fd, ev, deadline);
		if (ret) {
			mig_err_set(e, "channel: TLS handshake timed out");
			return ret;
		}
	}
	ch->ktls_tx = BIO_get_ktls_send(SSL_get_wbio(ch->ssl));
	ch->ktls_rx = BIO_get_ktls_recv(SSL_get_rbio(ch->ssl));
	return 0;
}

static void put_frame_hdr(uint8_t *p, unsigned type, size_t len)
{
	wire_put32(p, LIVE_FRAME_MAGIC);
	p[4] = (uint8_t)type;
	p[5] = 0;
	wire_put16(p + 6, 0);
	wire_put32(p + 8, (uint32_t)len);
}

/* Parses a frame header; the payload length must be `want` (or any <= max when want is 0). */
static int check_frame_hdr(const uint8_t *p, unsigned *type, uint32_t *len, struct mig_err *e)
{
	if (wire_get32(p) != LIVE_FRAME_MAGIC) {
		mig_err_set(e, "channel: bad frame magic 0x%08x", wire_get32(p));
		return -EBADMSG;
	}
	*type = p[4];
	*len = wire_get32(p + 8);
	if (p[5] || wire_get16(p + 6)) {
		mig_err_set(e, "channel: frame flags 0x%02x / reserved 0x%04x not zero", p[5], wire_get16(p + 6));
		return -EBADMSG;
	}
	if (*type < LIVE_FRAME_HELLO || *type > LIVE_FRAME_TYPE_MAX) {
		mig_err_set(e, "channel: unknown frame type %u", *type);
		return -EBADMSG;
	}
	if (*len > LIVE_FRAME_MAX_PAYLOAD) {
		mig_err_set(e, "channel: frame of %u bytes exceeds %u", *len, LIVE_FRAME_MAX_PAYLOAD);
		return -EBADMSG;
	}
	return 0;
}

static int hello_client(struct channel *ch, const struct channel_cfg *cfg, int64_t deadline, struct mig_err *e)
{
	uint8_t m[LIVE_FRAME_HDR_LEN + HELLO_LEN], a[LIVE_FRAME_HDR_LEN + HELLO_ACK_LEN];
	uint32_t len, status;
	unsigned type;
	int ret;

	put_frame_hdr(m, LIVE_FRAME_HELLO, HELLO_LEN);
	wire_put32(m + 12, LIVE_PROTOCOL_VERSION);
	wire_put32(m + 16, cfg->index);
	wire_put32(m + 20, cfg->count);
	memcpy(m + 24, cfg->session, LIVE_SESSION_LEN);
	ret = sync_io(ch, true, m, sizeof(m), deadline, e);
	if (!ret)
		ret = sync_io(ch, false, a, sizeof(a), deadline, e);
	if (ret) {
		mig_err_prefix(e, "channel %u: hello", cfg->index);
		return ret;
	}
	ret = check_frame_hdr(a, &type, &len, e);
	if (ret || type != LIVE_FRAME_HELLO_ACK || len != HELLO_ACK_LEN) {
		mig_err_set(e, "channel %u: bad hello answer (type %u, %u bytes)", cfg->index, type, len);
		return -EPROTO;
	}
	status = wire_get32(a + 12);
	if (status) {
		mig_err_set(e, "channel %u: refused by the receiver: %s", cfg->index, strerror((int)status));
		return -(int)status;
	}
	ch->index = cfg->index;
	ch->count = cfg->count;
	memcpy(ch->session, cfg->session, LIVE_SESSION_LEN);
	return 0;
}

static int hello_server(struct channel *ch, int64_t deadline, struct mig_err *e)
{
	uint8_t m[LIVE_FRAME_HDR_LEN + HELLO_LEN], a[LIVE_FRAME_HDR_LEN + HELLO_ACK_LEN];
	uint32_t len, status = 0;
	unsigned type;
	int ret = sync_io(ch, false, m, sizeof(m), deadline, e);

	if (ret) {
		mig_err_prefix(e, "channel hello");
		return ret;
	}
	ret = check_frame_hdr(m, &type, &len, e);
	if (ret || type != LIVE_FRAME_HELLO || len != HELLO_LEN) {
		mig_err_set(e, "channel: expected a hello, got type %u of %u bytes", type, len);
		return -EPROTO;
	}
	ch->index = wire_get32(m + 16);
	ch->count = wire_get32(m + 20);
	memcpy(ch->session, m + 24, LIVE_SESSION_LEN);
	if (wire_get32(m + 12) != LIVE_PROTOCOL_VERSION)
		status = EPROTONOSUPPORT;
	else if (ch->count == 0 || ch->count > 256 || ch->index >= ch->count)
		status = EINVAL;
	put_frame_hdr(a, LIVE_FRAME_HELLO_ACK, HELLO_ACK_LEN);
	wire_put32(a + 12, status);
	wire_put32(a + 16, ch->index);
	ret = sync_io(ch, true, a, sizeof(a), deadline, e);
	if (ret)
		return ret;
	if (status) {
		mig_err_set(e, "channel: refused hello (version %u, channel %u of %u)", wire_get32(m + 12), ch->index,
			    ch->count);
		return -(int)status;
	}
	return 0;
}

static int setup(struct channel *ch, const struct channel_cfg *cfg, bool server, int64_t deadline,
		 struct mig_err *e)
{
	int ret = set_socket_opts(ch->fd);
	if (ret) {
		mig_err_set(e, "channel: socket options: %s", strerror(-ret));
		return ret;
	}
	if (!cfg->plain) {
		ret = tls_handshake(ch, cfg, server, deadline, e);
		if (ret)
			return ret;
	}
	ret = server ? hello_server(ch, deadline, e) : hello_client(ch, cfg, deadline, e);
	if (!ret && ch->ssl)
		ret = switch_to_user_bio(ch, e);
	return ret;
}

static int check_cfg(const struct channel_cfg *cfg, struct mig_err *e)
{
	if (!cfg->plain && !cfg->tls) {
		mig_err_set(e, "channel: no TLS credentials and plain TCP not requested");
		return -EINVAL;
	}
	return 0;
}

static struct channel *channel_alloc(int fd)
{
	struct channel *ch = calloc(1, sizeof(*ch));

	if (ch)
		ch->fd = fd;
	return ch;
}

int channel_connect(struct channel **out, const char *host, uint16_t port, const struct channel_cfg *cfg,
		    struct mig_err *e)
{
	int64_t deadline = now_ms() + cfg->timeout_ms;
	struct channel *ch = NULL;
	struct addrinfo *ai;
	int fd, ret = check_cfg(cfg, e);

	if (!ret)
		ret = resolve(host, port, false, &ai, e);
	if (ret)
		return ret;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		mig_err_set(e, "channel: socket: %s", strerror(-ret));
		goto err_ai;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		ret = errno == EINPROGRESS ? wait_fd(fd, POLLOUT, deadline) : -errno;
		if (!ret && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr)
			ret = -soerr;
		if (ret) {
			mig_err_set(e, "channel: connect to %s:%u: %s", host, port, strerror(-ret));
			close(fd);
			goto err_ai;
		}
	}
	freeaddrinfo(ai);
	ch = channel_alloc(fd);
	if (!ch) {
		close(fd);
		mig_err_set(e, "channel: out of memory");
		return -ENOMEM;
	}
	ret = setup(ch, cfg, false, deadline, e);
	if (ret) {
		channel_destroy(ch);
		return ret;
	}
	*out = ch;
	return 0;

err_ai:
	freeaddrinfo(ai);
	return ret;
}

int channel_accept(struct channel **out, int listen_fd, const struct channel_cfg *cfg, struct mig_err *e)
{
	int64_t deadline = now_ms() + cfg->timeout_ms;
	struct channel *ch;
	int fd, ret = check_cfg(cfg, e);

	if (ret)
		return ret;
	for (;;) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			break;
		if (errno != EAGAIN && errno != EINTR) {
			ret = -errno;
			mig_err_set(e, "channel: accept: %s", strerror(-ret));
			return ret;
		}
		ret = wait_fd(listen_fd, POLLIN, deadline);
		if (ret) {
			mig_err_set(e, "channel: no connection within %d ms", cfg->timeout_ms);
			return ret;
		}
	}
	ch = channel_alloc(fd);
	if (!ch) {
		close(fd);
		mig_err_set(e, "channel: out of memory");
		return -ENOMEM;
	}
	ret = setup(ch, cfg, true, deadline, e);
	if (ret) {
		channel_destroy(ch);
		return ret;
	}
	*out = ch;
	return 0;
}

void channel_destroy(struct channel *ch)
{
	if (!ch)
		return;
	SSL_free(ch->ssl);
	BIO_meth_free(ch->biom);
	close(ch->fd);
	free(ch);
}

void channel_shutdown(struct channel *ch)
{
	if (ch && ch->fd >= 0)
		shutdown(ch->fd, SHUT_RDWR);
}

uint32_t channel_index(const struct channel *ch)
{
	return ch->index;
}

uint32_t channel_count(const struct channel *ch)
{
	return ch->count;
}

const uint8_t *channel_session(const struct channel *ch)
{
	return ch->session;
}

bool channel_is_tls(const struct channel *ch)
{
	return ch->ssl != NULL;
}

bool channel_ktls_tx(const struct channel *ch)
{
	return ch->ktls_tx;
}

bool channel_ktls_rx(const struct channel *ch)
{
	return ch->ktls_rx;
}

unsigned channel_inflight(const struct channel *ch)
{
	return ch->tx_count;
}

bool channel_eof(const struct channel *ch)
{
	return ch->eof;
}

int channel_error(const struct channel *ch, struct mig_err *e)
{
	if (ch->error)
		mig_err_set(e, "%s", ch->err.msg);
	return ch->error;
}

static void fail(struct channel *ch, int ret)
{
	if (!ch->error) {
		ch->error = ret;
		mig_err_prefix(&ch->err, "channel %u", ch->index);
	}
}

unsigned channel_send_bufs(const struct channel *ch)
{
	return ch->ssl && !ch->ktls_tx ? 2 : 1;
}

static void on_sent(void *ctx, unsigned buf, int res);

/* Sends everything queued in one sendmsg, unless a send is already out. */
static int tx_kick(struct channel *ch)
{
	unsigned n = ch->tx_count;
	int ret;

	if (ch->tx_busy || n == 0 || ch->error)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		struct tx_ent *t = &ch->txq[(ch->tx_head + i) % CHANNEL_TXQ];

		ch->tx_iov[i] = (struct iovec){ .iov_base = uring_io_buf(ch->io, t->buf) + t->off,
						.iov_len = t->len - t->off };
	}
	ret = uring_io_sendv(ch->io, ch->fd, ch->tx_iov, n, on_sent, ch);
	if (ret)
		return ret;
	ch->tx_busy = true;
	return 0;
}

static void on_sent(void *ctx, unsigned buf, int res)
{
	struct channel *ch = ctx;
	size_t left = res > 0 ? (size_t)res : 0;
	int ret;

	(void)buf;
	ch->tx_busy = false;
	if (res < 0) {
		mig_err_set(&ch->err, "send: %s", strerror(-res));
		fail(ch, res);
		return;
	}
	while (left && ch->tx_count) {
		struct tx_ent *t = &ch->txq[ch->tx_head];
		size_t take = MIN(left, t->len - t->off);

		t->off += take;
		left -= take;
		if (t->off == t->len) {
			uring_io_buf_put(ch->io, t->buf);
			ch->tx_head = (ch->tx_head + 1) % CHANNEL_TXQ;
			ch->tx_count--;
		}
	}
	ret = tx_kick(ch);
	if (ret) {
		mig_err_set(&ch->err, "cannot queue a send: %s", strerror(-ret));
		fail(ch, ret);
	}
}

int channel_send(struct channel *ch, unsigned type, unsigned buf, size_t payload_len, struct mig_err *e)
{
	uint8_t *p = uring_io_buf(ch->io, buf);
	size_t len = LIVE_FRAME_HDR_LEN + payload_len;
	unsigned wire_buf = buf;
	int ret;

	if (ch->error || ch->tx_count == CHANNEL_TXQ) {
		uring_io_buf_put(ch->io, buf);
		if (ch->error)
			return channel_error(ch, e);
		mig_err_set(e, "channel %u: %u frames queued already", ch->index, CHANNEL_TXQ);
		return -ENOBUFS;
	}
	put_frame_hdr(p, type, payload_len);
	if (ch->ssl && !ch->ktls_tx) {
		/* Encrypt into a second pool buffer, then the plaintext one is free again. */
		ret = uring_io_buf_get(ch->io, &wire_buf);
		if (ret) {
			uring_io_buf_put(ch->io, buf);
			mig_err_set(e, "channel %u: no buffer for TLS records", ch->index);
			return ret;
		}
		ch->tb.out = uring_io_buf(ch->io, wire_buf);
		ch->tb.out_len = 0;
		ch->tb.out_cap = uring_io_buf_size(ch->io);
		int r = SSL_write(ch->ssl, p, (int)len);

		ch->tb.out = NULL;
		uring_io_buf_put(ch->io, buf);
		if (r != (int)len) {
			uring_io_buf_put(ch->io, wire_buf);
			ret = ssl_fail(e, "write", ch->ssl, r);
			mig_err_prefix(e, "channel %u", ch->index);
			return ret;
		}
		len = ch->tb.out_len;
	}
	ch->txq[(ch->tx_head + ch->tx_count) % CHANNEL_TXQ] = (struct tx_ent){ .buf = wire_buf, .len = len };
	ch->tx_count++;
	ch->sent_end |= type == LIVE_FRAME_END;
	ret = tx_kick(ch);
	if (ret) {
		mig_err_set(e, "channel %u: cannot queue a send: %s", ch->index, strerror(-ret));
		fail(ch, ret);
	}
	return ret;
}

/* Delivers every complete frame in the assembly buffer and keeps the partial tail. */
static int deliver(struct channel *ch)
{
	uint8_t *rx = uring_io_buf(ch->io, ch->rx_buf);
	size_t pos = 0;
	int ret = 0;

	while (ch->rx_have - pos >= LIVE_FRAME_HDR_LEN) {
		unsigned type;
		uint32_t len;

		ret = check_frame_hdr(rx + pos, &type, &len, &ch->err);
		if (ret)
			break;
		if (ch->rx_have - pos - LIVE_FRAME_HDR_LEN < len)
			break;
		ret = ch->on_frame(ch->ctx, ch, type, rx + pos + LIVE_FRAME_HDR_LEN, len);
		if (ret) {
			if (!ch->error)
				mig_err_set(&ch->err, "frame type %u rejected: %s", type, strerror(-ret));
			break;
		}
		pos += LIVE_FRAME_HDR_LEN + len;
		if (type == LIVE_FRAME_END) {
			ch->eof = true;
			break;
		}
	}
	if (pos)
		memmove(rx, rx + pos, ch->rx_have - pos);
	ch->rx_have -= pos;
	return ret;
}

static void on_recv(void *ctx, unsigned buf, int res);

static int post_recv(struct channel *ch)
{
	size_t cap = uring_io_buf_size(ch->io);

	if (ch->ssl && !ch->ktls_rx)
		return uring_io_recv(ch->io, ch->fd, ch->rx_net_buf, 0, cap, on_recv, ch);
	return uring_io_recv(ch->io, ch->fd, ch->rx_buf, ch->rx_have, cap - ch->rx_have, on_recv, ch);
}

/* Decrypts what arrived in the ciphertext buffer into the assembly buffer. */
static int decrypt(struct channel *ch, size_t n)
{
	size_t cap = uring_io_buf_size(ch->io);
	uint8_t *rx = uring_io_buf(ch->io, ch->rx_buf);
	int ret;

	ch->tb.in = uring_io_buf(ch->io, ch->rx_net_buf);
	ch->tb.in_len = n;
	ch->tb.in_off = 0;
	for (;;) {
		int r = SSL_read(ch->ssl, rx + ch->rx_have, (int)(cap - ch->rx_have));

		if (r > 0) {
			ch->rx_have += (size_t)r;
			ret = deliver(ch);
			if (ret || ch->eof)
				return ret;
			continue;
		}
		if (SSL_get_error(ch->ssl, r) == SSL_ERROR_WANT_READ)
			return 0;
		return ssl_fail(&ch->err, "read", ch->ssl, r);
	}
}

static void on_recv(void *ctx, unsigned buf, int res)
{
	struct channel *ch = ctx;
	int ret;

	(void)buf;
	if (ch->error || ch->eof)
		return;
	if (res == 0 && ch->sent_end) {
		ch->eof = true; /* the peer closes after our END: normal */
		return;
	}
	if (res <= 0) {
		mig_err_set(&ch->err, "%s", res == 0 ? "connection closed before the end of the stream"
						     : strerror(-res));
		fail(ch, res == 0 ? -ECONNRESET : res);
		return;
	}
	if (ch->ssl && !ch->ktls_rx) {
		ret = decrypt(ch, (size_t)res);
	} else {
		ch->rx_have += (size_t)res;
		ret = deliver(ch);
	}
	if (!ret && !ch->eof)
		ret = post_recv(ch);
	if (ret) {
		if (!ch->err.msg[0])
			mig_err_set(&ch->err, "%s", strerror(-ret));
		fail(ch, ret);
	}
}

int channel_start(struct channel *ch, struct uring_io *io, channel_frame_fn on_frame, void *ctx,
		  struct mig_err *e)
{
	int ret;

	if (uring_io_buf_size(io) < LIVE_CHANNEL_BUF_SIZE) {
		mig_err_set(e, "channel %u: pool buffers of %zu bytes, need %u", ch->index, uring_io_buf_size(io),
			    LIVE_CHANNEL_BUF_SIZE);
		return -EINVAL;
	}
	ch->io = io;
	ch->on_frame = on_frame;
	ch->ctx = ctx;
	ret = uring_io_buf_get(io, &ch->rx_buf);
	if (ret)
		goto err_nobuf;
	ch->has_rx_buf = true;
	if (ch->ssl && !ch->ktls_rx) {
		ret = uring_io_buf_get(io, &ch->rx_net_buf);
		if (ret)
			goto err_nobuf;
		ch->has_rx_net_buf = true;
	}
	ret = post_recv(ch);
	if (ret) {
		mig_err_set(e, "channel %u: cannot queue a receive: %s", ch->index, strerror(-ret));
		return ret;
	}
	return 0;

err_nobuf:
	mig_err_set(e, "channel %u: no free receive buffer", ch->index);
	return ret;
}
