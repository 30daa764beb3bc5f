// SPDX-License-Identifier: MIT
/*
 *   vmm migrate --api PATH --to HOST[:PORT] (--tls-dir DIR | --plain) [--downtime-ms N]
 *               [--connections N] [--zstd-level N] [--zstd-always] [--keep]
 *
 * Starts a live migration of the VM behind PATH (QMP migrate), follows it with
 * query-migrate (a live progress line on a terminal) and ends with a summary.
 * Exit 0 when the guest runs on the destination, 1 when the migration failed or
 * was cancelled (the source then runs on), 2 on a usage error.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "migration/migrate.h"
#include "vmm/cli/cmd.h"
#include "vmm/qmp/client.h"

#define POLL_MS 200
#define USAGE                                                                                                  \
	"usage: vmm migrate --api PATH --to HOST[:PORT] (--tls-dir DIR | --plain) [--downtime-ms N]\n"          \
	"                   [--connections N] [--zstd-level N] [--zstd-always] [--keep]\n"                      \
	"  the default port is 7480; --keep leaves the source paused instead of ending it;\n"                  \
	"  zstd is used while it moves RAM faster than raw batches (measured) unless --zstd-always\n"

static int64_t get_i(struct json_object *o, const char *k)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static double get_d(struct json_object *o, const char *k)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

static const char *get_s(struct json_object *o, const char *k)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static void progress(struct json_object *info, bool tty)
{
	struct json_object *ram = NULL;

	json_object_object_get_ex(info, "ram", &ram);
	fprintf(stderr, "%s%-14s pass %-3lld %8.1f MiB sent %7.1f Mbit/s  %7.1f MiB dirty  expected downtime %lld ms%s",
		tty ? "\r" : "", get_s(info, "status"), (long long)get_i(ram, "dirty-sync-count"),
		(double)get_i(ram, "transferred") / 1048576.0, get_d(ram, "mbps"),
		(double)get_i(ram, "remaining") / 1048576.0, (long long)get_i(info, "expected-downtime"),
		tty ? "   " : "\n");
	fflush(stderr);
}

int cmd_migrate(int argc, char **argv)
{
	const char *api = NULL, *to = NULL, *tls = NULL;
	int downtime = -1, conns = -1, level = -1;
	bool plain = false, keep = false, always = false, tty = isatty(STDERR_FILENO);
	struct json_object *args, *ret = NULL, *info = NULL, *ram = NULL;
	struct qmp_client *c;
	struct migrate_params p;
	char err[256];
	const char *st = "";
	char last_status[32] = "";
	int64_t last_pass = -1;
	int rc;
	const struct cmd_opt opts[] = {
		{ "--api", .str = &api },       { "--to", .str = &to },         { "--tls-dir", .str = &tls },
		{ "--plain", .set = &plain },   { "--downtime-ms", .num = &downtime },
		{ "--connections", .num = &conns }, { "--zstd-level", .num = &level }, { "--keep", .set = &keep },
		{ "--zstd-always", .set = &always },
		{ 0 },
	};

	if (cmd_parse_args(argc, argv, opts, NULL, 0, false) || !api || !to) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (plain == !!tls) {
		fprintf(stderr, "vmm: error: give --tls-dir DIR, or --plain for explicitly unencrypted TCP\n");
		return 2;
	}
	migrate_params_default(&p);
	if (migrate_parse_address(to, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmm: error: --to %s\n", err);
		return 2;
	}
	if ((downtime != -1 && downtime < 1) || (conns != -1 && (conns < 1 || conns > MIGRATE_MAX_CONNECTIONS)) ||
	    (level != -1 && (level < 0 || level > 19))) {
		fprintf(stderr, "vmm: error: --downtime-ms must be >= 1, --connections 1 to %u, --zstd-level 0 to 19\n",
			MIGRATE_MAX_CONNECTIONS);
		return 2;
	}
	if (cmd_connect(api, &c) < 0)
		return 1;
	args = json_object_new_object();
	{
		char uri[300];

		snprintf(uri, sizeof(uri), "tcp:%s%s%s:%u", strchr(p.host, ':') ? "[" : "", p.host,
			 strchr(p.host, ':') ? "]" : "", p.port);
		json_object_object_add(args, "uri", json_object_new_string(uri));
	}
	json_object_object_add(args, "tls-creds", json_object_new_string(plain ? "" : tls));
	if (downtime != -1)
		json_object_object_add(args, "downtime-limit", json_object_new_int64(downtime));
	if (conns != -1)
		json_object_object_add(args, "multifd-channels", json_object_new_int64(conns));
	if (level != -1)
		json_object_object_add(args, "multifd-zstd-level", json_object_new_int64(level));
	if (always)
		json_object_object_add(args, "x-zstd-always", json_object_new_boolean(true));
	/* The source stays until this client has read the result; then it is told to quit (unless --keep). */
	json_object_object_add(args, "keep", json_object_new_boolean(true));
	rc = cmd_execute(c, "migrate", args, &ret);
	json_object_put(args);
	json_object_put(ret);
	if (rc < 0) {
		qmp_client_close(c);
		return 1;
	}
	for (;;) {
		struct timespec ts = { 0, POLL_MS * 1000000L };
		struct json_object *r2 = NULL;
		int64_t pass;

		json_object_put(info);
		info = NULL;
		rc = cmd_execute(c, "query-migrate", NULL, &info);
		if (rc < 0)
			break;
		st = get_s(info, "status");
		if (!strcmp(st, "completed") || !strcmp(st, "failed") || !strcmp(st, "cancelled"))
			break;
		json_object_object_get_ex(info, "ram", &r2);
		pass = get_i(r2, "dirty-sync-count");
		/* On a terminal a live line; in a log one line per pass or status change. */
		if (tty || pass != last_pass || strcmp(st, last_status)) {
			progress(info, tty);
			last_pass = pass;
			snprintf(last_status, sizeof(last_status), "%s", st);
		}
		nanosleep(&ts, NULL);
	}
	if (tty)
		fputc('\n', stderr);
	if (rc == 0) {
		json_object_object_get_ex(info, "ram", &ram);
		if (!strcmp(st, "completed")) {
			double tx = (double)get_i(ram, "transferred");

			printf("migration completed to %s:%u: total %lld ms, downtime %lld ms (%lld ms until the "
			       "destination had the state, %lld ms its load), %.1f MiB on the wire, "
			       "%lld passes, compression %.2f:1%s\n",
			       p.host, p.port, (long long)get_i(info, "total-time"), (long long)get_i(info, "downtime"),
			       (long long)get_i(info, "x-downtime-source"), (long long)get_i(info, "x-destination-load"),
			       tx / 1048576.0, (long long)get_i(ram, "dirty-sync-count"), get_d(info, "x-compression-ratio"),
			       plain ? ", plain TCP" : get_i(info, "x-ktls") ? ", TLS (kernel)" : ", TLS");
			if (!keep) {
				struct json_object *q = NULL;

				if (cmd_execute(c, "quit", NULL, &q) < 0)
					fprintf(stderr, "vmm: warning: the source did not take quit; it stays paused\n");
				json_object_put(q);
			}
		} else {
			fprintf(stderr, "vmm: error: migration %s: %s (the VM keeps running on this host)\n", st,
				get_s(info, "error-desc"));
			rc = -EIO;
		}
	}
	json_object_put(info);
	qmp_client_close(c);
	return rc < 0 ? 1 : 0;
}
