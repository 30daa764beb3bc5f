/* SPDX-License-Identifier: MIT */
/*
 * The MMIO bus: guest-physical address ranges emulated in userspace, looked up on
 * every KVM_EXIT_MMIO. Regions never overlap. Lookups take a read lock that is held
 * while the handler runs, so unregistering a region (hot-unplug) waits until no
 * vCPU is inside its handler: a handler is never called after unregister returns.
 * Handlers therefore must not register or unregister regions themselves.
 */
#ifndef VMM_MMIO_BUS_H
#define VMM_MMIO_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/compiler.h"
#include "vmm/core/log.h"

/*
 * Called with offset relative to the region base and len within the region's
 * access-size limits. For reads, fill data[0..len-1] (little-endian); data is
 * zeroed beforehand.
 */
typedef void (*mmio_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

struct mmio_region {
	const char *name;
	uint64_t base;
	uint64_t size;
	uint8_t min_access;   /* bytes; 0 means 1 */
	uint8_t max_access;   /* bytes; 0 means 8 */
	bool aligned;         /* accesses must be naturally aligned */
	mmio_fn fn;
	void *opaque;
};

struct mmio_bus {
	pthread_rwlock_t lock;
	struct mmio_region *regions; /* sorted by base */
	size_t nr, cap;
	uint64_t bad_accesses;       /* unassigned or invalid, for diagnostics */
	struct log_ratelimit rl;
};

int mmio_bus_init(struct mmio_bus *bus) __must_check;
void mmio_bus_fini(struct mmio_bus *bus);
/* -EINVAL for an empty/overflowing range or bad size limits, -EEXIST on overlap. */
int mmio_bus_register(struct mmio_bus *bus, const struct mmio_region *r) __must_check;
/* -ENOENT when no region starts at base. */
int mmio_bus_unregister(struct mmio_bus *bus, uint64_t base) __must_check;
/*
 * Dispatches a guest access. Returns 0 when a handler ran; otherwise -ENOENT
 * (nothing there) or -EINVAL (straddles a region end, bad size or alignment). In
 * the error cases reads return zeros and writes are dropped (RAZ/WI), and a
 * rate-limited warning is logged.
 */
int mmio_bus_access(struct mmio_bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif
