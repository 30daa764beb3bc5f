// SPDX-License-Identifier: MIT
/*
 * Snapshot and restore of a whole VM: DIR/state (the versioned sections, see
 * migration/format/stream.h) and DIR/memory (guest RAM, raw, sparse: untouched and zero
 * chunks are holes).
 *
 * Save (all vCPUs paused): sections in load order — machine, topology, vGIC
 * distributor, CPU hot-plug block, GED, every enabled vCPU's registers, every
 * possible vCPU's GIC state, UART. Files are written under temporary names and
 * fsynced; the old `state` is removed before the new files are renamed into place,
 * so a crash leaves either no state file or a complete, consistent pair.
 *
 * Restore: read and validate the whole stream first (nothing is built from a bad
 * file), check the memory file, build the machine with the same topology (every
 * possible vCPU created, the disabled ones parked, the vGIC initialised with the
 * same layout), map the memory privately (pages are read on first touch), then
 * load: plugged vCPUs, vCPU registers, vGIC, hot-plug block, GED, UART.
 */
#define LOG_PREFIX "snapshot"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gic/gic_state.h"
#include "migration/format/registry.h"
#include "migration/snapshot.h"
#include "migration/vm/machine_state.h"
#include "migration/vm/sections.h"
#include "migration/vm/topology.h"
#include "migration/vm/vcpu_state.h"
#include "vmm/arm64/vm_config.h"
#include "vmm/core/errbuf.h"
#include "vmm/core/log.h"
#include "vmm/kvm/save.h"
#include "vmm/kvm/virtio_disks.h"
#include "vmm/kvm/vm.h"

#define MEM_CHUNK SZ_64K

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

static bool chunk_is_zero(const uint8_t *p, size_t len)
{
	const uint64_t *w = (const uint64_t *)p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i])
			return false;
	return true;
}

/* True when the snapshot file RAM was restored from has only a hole in [off, off+len). */
static bool source_hole(int fd, uint64_t off, size_t len)
{
	off_t data = lseek(fd, (off_t)off, SEEK_DATA);

	if (data < 0)
		return errno == ENXIO; /* no data at or after off */
	return (uint64_t)data >= off + len;
}

/*
 * Guest RAM to fd, skipping all-zero chunks (holes). Chunks whose pages were never
 * touched since the VM started (neither present nor swapped, per
 * /proc/self/pagemap) are not even read: for anonymous RAM they are zero; for RAM
 * mapped from a snapshot they hold that file's data, so they are skipped only
 * where that file has a hole.
 */
static int write_memory(struct vm *vm, int fd, uint64_t *written)
{
	long psize = sysconf(_SC_PAGESIZE);
	uint64_t off, entries[MEM_CHUNK / 4096];
	size_t per_chunk;
	int pm, ret;

	*written = 0;
	if (psize <= 0 || MEM_CHUNK % (uint64_t)psize)
		psize = 4096;
	per_chunk = MEM_CHUNK / (uint64_t)psize;
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	for (off = 0; off < vm->ram_size; off += MEM_CHUNK) {
		const uint8_t *p = vm->ram + off;
		size_t len = (size_t)MIN(MEM_CHUNK, vm->ram_size - off), k, n = (len + psize - 1) / psize;
		bool touched = true;

		if (pm >= 0 && n <= per_chunk) {
			off_t at = (off_t)((uintptr_t)p / (uint64_t)psize * sizeof(uint64_t));

			if (pread(pm, entries, n * sizeof(uint64_t), at) == (ssize_t)(n * sizeof(uint64_t))) {
				touched = false;
				for (k = 0; k < n; k++)
					touched |= (entries[k] & (3ULL << 62)) != 0; /* present or swapped */
			}
		}
		if (!touched && (vm->ram_fd < 0 || source_hole(vm->ram_fd, off, len)))
			continue;
		if (chunk_is_zero(p, len))
			continue;
		ret = write_all(fd, p, len, (off_t)off);
		if (ret < 0)
			goto out;
		*written += len;
	}
	ret = ftruncate(fd, (off_t)vm->ram_size) < 0 ? -errno : 0;
out:
	if (pm >= 0)
		close(pm);
	return ret;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret;

	if (fd < 0)
		return -errno;
	ret = write_all(fd, buf, len, 0);
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int vm_snapshot_save(struct vm *vm, const char *dir, struct snapshot_stats *stats, char *errbuf, size_t errlen)
{
	char state_tmp[4096], mem_tmp[4096], state_path[4096], mem_path[4096];
	struct mig_registry reg;
	struct mig_writer w;
	struct mig_err merr = { "" };
	struct vm_saved *s;
	int ret, fd = -1;

	if (snprintf(state_path, sizeof(state_path), "%s/state", dir) >= (int)sizeof(state_path)) {
		ERR("snapshot directory path too long");
		return -ENAMETOOLONG;
	}
	snprintf(mem_path, sizeof(mem_path), "%s/memory", dir);
	snprintf(state_tmp, sizeof(state_tmp), "%s/.state.tmp", dir);
	snprintf(mem_tmp, sizeof(mem_tmp), "%s/.memory.tmp", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		ERR("cannot create %s: %s", dir, strerror(-ret));
		return ret;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	mig_registry_init(&reg);
	ret = mig_writer_init(&w, MIG_ARCH_AARCH64, 0);
	if (ret < 0) {
		free(s);
		return ret;
	}
	ret = vm_state_collect(vm, s, errbuf, errlen);
	if (ret < 0)
		goto out;
	ret = vm_sections_register(&reg, s, vm->max_vcpus, &merr);
	if (!ret)
		ret = mig_registry_save(&reg, &w, &merr);
	if (!ret)
		ret = mig_writer_finish(&w, &merr);
	if (ret < 0) {
		ERR("cannot encode the state: %s", merr.msg);
		goto out;
	}
	fd = open(mem_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		ERR("cannot create %s: %s", mem_tmp, strerror(-ret));
		goto out;
	}
	ret = write_memory(vm, fd, stats ? &stats->memory_written : &(uint64_t){ 0 });
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	if (ret < 0) {
		ERR("cannot write the guest memory to %s: %s", mem_tmp, strerror(-ret));
		goto out_unlink;
	}
	ret = write_file(state_tmp, w.buf, w.len);
	if (ret < 0) {
		ERR("cannot write %s: %s", state_tmp, strerror(-ret));
		goto out_unlink;
	}
	/* No moment where an old state file sits beside a new memory file. */
	if ((unlink(state_path) < 0 && errno != ENOENT) || fsync_dir(dir) < 0 || rename(mem_tmp, mem_path) < 0 ||
	    rename(state_tmp, state_path) < 0 || fsync_dir(dir) < 0) {
		ret = -errno;
		ERR("cannot move the snapshot files into place in %s: %s", dir, strerror(-ret));
		goto out_unlink;
	}
	if (stats) {
		stats->state_bytes = w.len;
		stats->memory_size = vm->ram_size;
	}
	goto out;
out_unlink:
	unlink(state_tmp);
	unlink(mem_tmp);
out:
	mig_writer_fini(&w);
	mig_registry_fini(&reg);
	vm_saved_free(s);
	return ret;
}

static int read_whole(const char *path, uint8_t **out, size_t *len, char *errbuf, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ERR("cannot open %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > MIG_MAX_STREAM_LEN) {
		ERR("%s is not a snapshot state file (size %lld)", path, (long long)st.st_size);
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			ERR("cannot read %s: %s", path, n < 0 ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return ret;
		}
		done += (size_t)n;
	}
	close(fd);
	*out = buf;
	*len = done;
	return 0;
}

/* The machine and topology sections, read before anything is built. */
static int read_head(const uint8_t *buf, size_t len, struct vm_saved *s, char *errbuf, size_t errlen)
{
	struct mig_reader r;
	struct mig_section sec;
	struct mig_err merr = { "" };
	bool have_cfg = false, have_topo = false;
	int ret;

	ret = mig_reader_open(&r, buf, len, MIG_ARCH_AARCH64, 0, &merr);
	while (ret >= 0 && (ret = mig_reader_next(&r, &sec, &merr)) == 1) {
		if (!strcmp(sec.name, config_vmstate.name)) {
			ret = mig_section_load(&sec, &config_vmstate, &s->config, &merr);
			have_cfg = true;
		} else if (!strcmp(sec.name, topology_vmstate.name)) {
			ret = mig_section_load(&sec, &topology_vmstate, &s->topology, &merr);
			have_topo = true;
		}
	}
	if (ret < 0) {
		ERR("bad snapshot state: %s", merr.msg);
		return ret;
	}
	if (!have_cfg || !have_topo) {
		ERR("bad snapshot state: the '%s' section is missing", have_cfg ? "topology" : "machine");
		return -EINVAL;
	}
	if (s->topology.max_vcpus != s->config.max_vcpus) {
		ERR("bad snapshot state: topology has %u vCPUs, the machine %u", s->topology.max_vcpus,
		    s->config.max_vcpus);
		return -EINVAL;
	}
	return 0;
}

int vm_snapshot_restore(const char *dir, const struct vm_hooks *hooks, void *hooks_ctx, struct vm_config *cfg_out,
			struct vm_config_state *cfg_storage, struct vm **out, char *errbuf, size_t errlen)
{
	char path[4096];
	struct mig_registry reg;
	struct mig_err merr = { "" };
	struct vm_saved *s;
	struct vm_config cfg;
	struct vm *vm = NULL;
	uint8_t *buf = NULL;
	struct stat st;
	size_t len = 0;
		int ret, mem_fd = -1;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	mig_registry_init(&reg);
	snprintf(path, sizeof(path), "%s/state", dir);
	ret = read_whole(path, &buf, &len, errbuf, errlen);
	if (ret < 0)
		goto out;
	ret = read_head(buf, len, s, errbuf, errlen);
	if (ret < 0)
		goto out;
	/* Decode everything into scratch state before touching KVM. */
	ret = vm_saved_alloc_vcpus(s);
	if (!ret)
		ret = vm_sections_register(&reg, s, s->topology.max_vcpus, &merr);
	if (!ret)
		ret = mig_registry_load(&reg, buf, len, MIG_ARCH_AARCH64, 0, &merr);
	if (ret < 0) {
		ERR("bad snapshot state: %s", merr.msg);
		goto out;
	}
	{
		struct vm_config overrides = *cfg_out; /* vmm restore --disk */

		config_state_to(&s->config, &cfg);
		ret = vm_disks_cfg_from_saved(s, &overrides, &cfg, errbuf, errlen);
		if (ret < 0)
			goto out;
	}
	{
		uint64_t host_mem = 0;
		unsigned host_vcpus = 0;
		char why[256];

		if (vm_host_limits(&host_mem, &host_vcpus) == 0 &&
		    vm_config_check_host(&cfg, host_mem, host_vcpus, why, sizeof(why)) < 0) {
			ERR("this host cannot provide the snapshot's machine: %s", why);
			ret = -E2BIG;
			goto out;
		}
	}
	snprintf(path, sizeof(path), "%s/memory", dir);
	mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (mem_fd < 0) {
		ret = -errno;
		ERR("cannot open %s: %s", path, strerror(-ret));
		goto out;
	}
	if (fstat(mem_fd, &st) < 0 || (uint64_t)st.st_size != s->config.mem_size) {
		ERR("%s is %lld bytes, the snapshot's guest RAM is %llu: truncated or not this snapshot's memory",
		    path, (long long)st.st_size, (unsigned long long)s->config.mem_size);
		ret = -EINVAL;
		goto out;
	}
	ret = vm_create_ex(&cfg, hooks, hooks_ctx, mem_fd, &vm, errbuf, errlen);
	if (ret < 0)
		goto out;
	ret = vm_state_check(vm, s, errbuf, errlen);
	if (ret == 0)
		ret = vm_state_apply(vm, s, errbuf, errlen);
	if (ret < 0) {
		vm_destroy(vm);
		goto out;
	}
	*cfg_storage = s->config;
	config_state_to(cfg_storage, cfg_out);
	cfg_out->nr_disks = cfg.nr_disks;
	memcpy(cfg_out->disks, cfg.disks, sizeof(cfg.disks));
	vm->cfg = *cfg_out;
	*out = vm;
out:
	if (mem_fd >= 0)
		close(mem_fd);
	free(buf);
	mig_registry_fini(&reg);
	vm_saved_free(s);
	return ret;
}
