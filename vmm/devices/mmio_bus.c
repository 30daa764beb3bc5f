// SPDX-License-Identifier: MIT
#define LOG_PREFIX "mmio"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/devices/mmio_bus.h"

int mmio_bus_init(struct mmio_bus *bus)
{
	int ret;

	memset(bus, 0, sizeof(*bus));
	ret = pthread_rwlock_init(&bus->lock, NULL);
	return -ret;
}

void mmio_bus_fini(struct mmio_bus *bus)
{
	free(bus->regions);
	bus->regions = NULL;
	bus->nr = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
}

/* Index of the first region whose base is > addr. Called with the lock held. */
static size_t upper_bound_locked(const struct mmio_bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bus->regions[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool valid_size(uint8_t sz)
{
	return sz == 0 || sz == 1 || sz == 2 || sz == 4 || sz == 8;
}

int mmio_bus_register(struct mmio_bus *bus, const struct mmio_region *r)
{
	size_t pos;
	int ret = 0;

	if (!r->fn || r->size == 0 || r->base + r->size - 1 < r->base)
		return -EINVAL;
	if (!valid_size(r->min_access) || !valid_size(r->max_access) ||
	    (r->min_access && r->max_access && r->min_access > r->max_access))
		return -EINVAL;

	pthread_rwlock_wrlock(&bus->lock);
	pos = upper_bound_locked(bus, r->base);
	/* Overlap with the region before (which starts at or below base) or after. */
	if (pos > 0) {
		const struct mmio_region *prev = &bus->regions[pos - 1];

		if (prev->base + prev->size - 1 >= r->base) {
			ret = -EEXIST;
			goto out;
		}
	}
	if (pos < bus->nr && bus->regions[pos].base <= r->base + r->size - 1) {
		ret = -EEXIST;
		goto out;
	}
	if (bus->nr == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 8;
		struct mmio_region *n = realloc(bus->regions, cap * sizeof(*n));

		if (!n) {
			ret = -ENOMEM;
			goto out;
		}
		bus->regions = n;
		bus->cap = cap;
	}
	memmove(&bus->regions[pos + 1], &bus->regions[pos], (bus->nr - pos) * sizeof(*r));
	bus->regions[pos] = *r;
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int mmio_bus_unregister(struct mmio_bus *bus, uint64_t base)
{
	size_t pos;
	int ret = -ENOENT;

	/* The write lock waits for every handler running under the read lock. */
	pthread_rwlock_wrlock(&bus->lock);
	pos = upper_bound_locked(bus, base);
	if (pos > 0 && bus->regions[pos - 1].base == base) {
		pos--;
		memmove(&bus->regions[pos], &bus->regions[pos + 1],
			(bus->nr - pos - 1) * sizeof(bus->regions[0]));
		bus->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int mmio_bus_access(struct mmio_bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	const struct mmio_region *r = NULL;
	uint64_t off = 0;
	size_t pos;
	int ret = -ENOENT;

	if (!is_write && len <= 8)
		memset(data, 0, len);
	if (len != 1 && len != 2 && len != 4 && len != 8) {
		ret = -EINVAL;
		goto bad;
	}

	pthread_rwlock_rdlock(&bus->lock);
	pos = upper_bound_locked(bus, addr);
	if (pos > 0) {
		r = &bus->regions[pos - 1];
		off = addr - r->base;
		if (off >= r->size)
			r = NULL;
	}
	if (r) {
		uint8_t min = r->min_access ? r->min_access : 1;
		uint8_t max = r->max_access ? r->max_access : 8;

		if (len > r->size - off || len < min || len > max || (r->aligned && (addr & (len - 1)))) {
			ret = -EINVAL;
		} else {
			r->fn(r->opaque, off, data, len, is_write);
			ret = 0;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	if (ret == 0)
		return 0;
bad:
	__atomic_add_fetch(&bus->bad_accesses, 1, __ATOMIC_RELAXED);
	if (log_ratelimit_ok(&bus->rl, 10, 5000))
		log_warn("guest %s of %u bytes at 0x%llx: %s", is_write ? "write" : "read", len,
			 (unsigned long long)addr, ret == -ENOENT ? "nothing mapped there" : "invalid access size or alignment");
	return ret;
}
