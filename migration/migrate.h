/* SPDX-License-Identifier: MIT */
/*
 * Live migration of a running VM (migration/kvm/migrate_out.c, the source, and
 * migrate_in.c, the destination), over the transport of migration/live/.
 *
 * The source runs the migration on its own thread; everything that touches the
 * VM's topology or pauses it (collecting the offer, the switchover, resuming after
 * a failure) is done on the control thread through a mailbox, so a hot-plug
 * request served there never interleaves with them. The stream:
 *
 *   connect N channels (TLS 1.3 mutual auth unless plain was asked for)
 *   OFFER  (brief pause: the whole VM state)  →  destination checks it exactly as
 *          a restore would (compatibility checker, host limits), builds the machine
 *          (every possible vCPU created, the disabled ones parked, before the vGIC)
 *   ACCEPT ←  (or REFUSE with every reason: nothing was sent, the source runs on)
 *   RAM pass 0 (all pages), passes 1..n (pages the guest dirtied; KVM dirty log
 *          with manual re-protection + pages the VMM wrote), each ended by a barrier
 *   switchover when the expected downtime (RAM + device state + the destination's
 *          load time + a round trip) is within the limit: vCPUs paused, state
 *          collected, last dirty pages, STATE
 *   LOADED ←  the acknowledgement: from here the destination owns the guest and
 *          the source never resumes it
 *   COMMIT →  RUNNING ←  END
 *
 * Before LOADED every failure (destination gone, connection cut, TLS, refusal,
 * cancel) resumes the source as it was.
 */
#ifndef MIGRATION_MIGRATE_H
#define MIGRATION_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

#define MIGRATE_DEFAULT_PORT 7480
#define MIGRATE_DEFAULT_DOWNTIME_MS 300
#define MIGRATE_DEFAULT_CONNECTIONS 2
#define MIGRATE_MAX_CONNECTIONS 16
#define MIGRATE_DEFAULT_ZSTD_LEVEL 1

struct migrate_params {
	char host[256];
	uint16_t port;
	char tls_dir[1024]; /* credentials directory (ca-cert.pem, client-/server-cert.pem and -key.pem) */
	bool plain;         /* explicitly unencrypted TCP (then tls_dir is empty) */
	bool ktls;          /* kernel TLS after the handshake where the kernel has it */
	unsigned connections;
	unsigned downtime_ms;
	int zstd_level;       /* 0: no compression */
	bool zstd_always;     /* compress every batch, also while the link waits for data (ram_sender.h) */
	bool keep;            /* source: stay paused after completion instead of ending */
	bool hold_switchover; /* source: converge, then wait in pre-switchover for migrate-continue */
	bool defer;           /* destination: `--incoming defer`, the address comes with QMP migrate-incoming */
};

/* Defaults for everything but the address. */
void migrate_params_default(struct migrate_params *p);
/* "HOST[:PORT]" or "tcp:HOST:PORT" into p->host/p->port (default port when absent). */
int migrate_parse_address(const char *s, struct migrate_params *p, char *errbuf, size_t errlen) __must_check;

enum migrate_status {
	MIGRATE_NONE = 0,
	MIGRATE_SETUP,
	MIGRATE_ACTIVE,
	MIGRATE_PRE_SWITCHOVER,
	MIGRATE_DEVICE,
	MIGRATE_CANCELLING,
	MIGRATE_CANCELLED,
	MIGRATE_FAILED,
	MIGRATE_COMPLETED,
};

/* QEMU's names: none, setup, active, pre-switchover, device, cancelling, cancelled, failed, completed. */
const char *migrate_status_name(enum migrate_status s);
bool migrate_status_finished(enum migrate_status s);

/* What query-migrate reports (QEMU's field names). */
struct migrate_stats {
	enum migrate_status status;
	uint64_t total_ms, setup_ms, expected_downtime_ms;
	uint64_t downtime_ms;        /* vCPUs paused on the source -> the guest runs on the destination */
	uint64_t source_downtime_ms; /* paused -> the destination has all the state (QEMU's definition) */
	uint64_t dest_load_ms;       /* the destination's decode and load of the final state */
	uint64_t passes;             /* dirty-sync-count */
	uint64_t ram_total, ram_remaining;
	uint64_t ram_transferred;    /* bytes on the wire (before TLS) */
	uint64_t ram_normal_pages, ram_duplicate_pages, ram_normal_bytes;
	double mbps;
	uint64_t dirty_pages_rate;   /* pages/s in the last pass */
	unsigned throttle_pct;
	double compression;          /* raw bytes / wire bytes */
	uint64_t state_bytes;
	bool tls, ktls;
	unsigned connections;
	char error[512];
};

#endif
