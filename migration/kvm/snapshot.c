// SPDX-License-Identifier: MIT
/*
 * Snapshot and restore of a whole VM: DIR/state (the versioned sections, see
 * migration/format/stream.h) and DIR/memory-<CRC of state> (guest RAM, raw, sparse:
 * untouched and zero chunks are holes; DIR/memory in older snapshots).
 *
 * Save (all vCPUs paused): sections in load order — machine, topology, vGIC
 * distributor, CPU hot-plug block, GED, every enabled vCPU's registers, every
 * possible vCPU's GIC state, UART. DIR/state is the commit point and names its
 * memory file (below): a failure or crash at any point leaves DIR with the
 * previous complete snapshot or the new one, never neither.
 *
 * Restore: read and validate the whole stream first (nothing is built from a bad
 * file), check the memory file, build the machine with the same topology (every
 * possible vCPU created, the disabled ones parked, the vGIC initialised with the
 * same layout), map the memory privately (pages are read on first touch), then
 * load: plugged vCPUs, vCPU registers, vGIC, hot-plug block, GED, UART.
 */
#define LOG_PREFIX "snapshot"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gic/gic_state.h"
#include "migration/kvm/vm_stream.h"
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

/*
 * Files in a snapshot directory. DIR/state is the commit point: it names its
 * memory file, memory-<the state stream's CRC, 8 hex digits>, written and fsynced
 * before the new state is renamed over the old one; the old memory file is removed
 * only after the new state is durable. So whatever the point of failure, DIR holds
 * the previous complete snapshot or the new one. Snapshots written before this
 * scheme have DIR/memory, which restore still accepts.
 */
#define STATE_NAME "state"
#define LEGACY_MEMORY_NAME "memory"
#define STATE_TMP ".state.tmp"
#define MEMORY_TMP ".memory.tmp"
#define MEMORY_NAME_LEN sizeof("memory-01234567")

static void memory_name(const uint8_t *state, size_t len, char name[MEMORY_NAME_LEN])
{
	const uint8_t *c = state + len - 4; /* the end record's CRC */

	snprintf(name, MEMORY_NAME_LEN, "memory-%02x%02x%02x%02x", c[0], c[1], c[2], c[3]);
}

static bool is_memory_name(const char *n)
{
	size_t i;

	if (!strcmp(n, LEGACY_MEMORY_NAME))
		return true;
	if (strlen(n) != MEMORY_NAME_LEN - 1 || strncmp(n, "memory-", 7))
		return false;
	for (i = 7; n[i]; i++)
		if (!strchr("0123456789abcdef", n[i]))
			return false;
	return true;
}

/*
 * Test hook for the crash-consistency scenario (snapshot-crash-commit):
 * VMM_TEST_SNAPSHOT_STALL=<point> makes the save stop at that point, log it and
 * wait there forever, so the test can kill -9 the process exactly there.
 */
static void stall_point(const char *point)
{
	const char *want = getenv("VMM_TEST_SNAPSHOT_STALL");

	if (!want || strcmp(want, point))
		return;
	log_warn("VMM_TEST_SNAPSHOT_STALL: stalled at '%s'", point);
	for (;;)
		pause();
}

/* Creates name in dfd (never following a symlink, never reusing a file), writes buf, fsyncs. */
static int write_file_at(int dfd, const char *name, const void *buf, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int ret;

	if (fd < 0)
		return -errno;
	ret = write_all(fd, buf, len, 0);
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * The directory holds only what vmm writes there (state, memory files,
 * temporaries of an interrupted save), all regular files: anything else is
 * refused, so a snapshot never overwrites or deletes someone else's files.
 * Leftover temporaries are removed.
 */
static int check_dir(int dfd, const char *dir, char *errbuf, size_t errlen)
{
	struct dirent *e;
	DIR *d;
	int fd, ret = 0;

	fd = dup(dfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	rewinddir(d); /* the dup shares dfd's offset */
	while ((e = readdir(d))) {
		struct stat st;
		bool tmp = !strcmp(e->d_name, STATE_TMP) || !strcmp(e->d_name, MEMORY_TMP);

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!tmp && strcmp(e->d_name, STATE_NAME) && !is_memory_name(e->d_name)) {
			ERR("%s holds '%s', which vmm did not write: refusing to snapshot there", dir, e->d_name);
			ret = -EEXIST;
			break;
		}
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
			ERR("%s/%s is not a regular file: refusing to snapshot there", dir, e->d_name);
			ret = -EEXIST;
			break;
		}
		if (tmp && unlinkat(dfd, e->d_name, 0) < 0) {
			ret = -errno;
			ERR("cannot remove the leftover %s/%s: %s", dir, e->d_name, strerror(-ret));
			break;
		}
	}
	closedir(d);
	return ret;
}

/* After the new state is durable: every memory file but keep goes. */
static void remove_old_memory(int dfd, const char *keep)
{
	struct dirent *e;
	DIR *d;
	int fd = dup(dfd);

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	rewinddir(d); /* the dup shares dfd's offset: check_dir read it to the end */
	while ((e = readdir(d)))
		if (is_memory_name(e->d_name) && strcmp(e->d_name, keep) && unlinkat(dfd, e->d_name, 0) < 0)
			log_warn("cannot remove the old memory file %s: %s", e->d_name, strerror(errno));
	closedir(d);
}

int vm_snapshot_save(struct vm *vm, const char *dir, struct snapshot_stats *stats, char *errbuf, size_t errlen)
{
	char mem_name[MEMORY_NAME_LEN];
	struct mig_writer w;
	int ret, fd = -1, dfd;
	bool mem_tmp = false, state_tmp = false;

	if (strlen(dir) >= 4000) {
		ERR("snapshot directory path too long");
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		ERR("cannot create %s: %s", dir, strerror(-ret));
		return ret;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		ret = -errno;
		struct stat lst;
		bool link = ret == -ELOOP || (ret == -ENOTDIR && lstat(dir, &lst) == 0 && S_ISLNK(lst.st_mode));

		ERR("cannot open the directory %s: %s", dir, link ? "it is a symbolic link" : strerror(-ret));
		return ret;
	}
	ret = check_dir(dfd, dir, errbuf, errlen);
	if (ret < 0) {
		close(dfd);
		return ret;
	}
	ret = vm_stream_save(vm, &w, errbuf, errlen);
	if (ret < 0) {
		close(dfd);
		return ret;
	}
	memory_name(w.buf, w.len, mem_name);
	/* 1. The new memory under a temporary name, durable. */
	fd = openat(dfd, MEMORY_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		ERR("cannot create %s/%s: %s", dir, MEMORY_TMP, strerror(-ret));
		goto out;
	}
	mem_tmp = true;
	ret = write_memory(vm, fd, stats ? &stats->memory_written : &(uint64_t){ 0 });
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	if (ret < 0) {
		ERR("cannot write the guest memory to %s/%s: %s", dir, MEMORY_TMP, strerror(-ret));
		goto out_unlink;
	}
	stall_point("memory-written");
	/* 2. Under the name the new state gives it (never replacing a file: the old
	 *    snapshot's memory has another name). */
	if (renameat2(dfd, MEMORY_TMP, dfd, mem_name, RENAME_NOREPLACE) < 0 || fsync(dfd) < 0) {
		ret = -errno;
		ERR("cannot move the memory file into place in %s: %s", dir,
		    ret == -EEXIST ? "a memory file with that name exists (take the snapshot again)" : strerror(-ret));
		goto out_unlink;
	}
	mem_tmp = false;
	stall_point("memory-renamed");
	/* 3. The new state, durable, then renamed over the old one: the commit point. */
	state_tmp = true;
	ret = write_file_at(dfd, STATE_TMP, w.buf, w.len);
	if (ret < 0) {
		ERR("cannot write %s/%s: %s", dir, STATE_TMP, strerror(-ret));
		goto out_unlink_mem;
	}
	stall_point("state-written");
	if (renameat(dfd, STATE_TMP, dfd, STATE_NAME) < 0) {
		ret = -errno;
		ERR("cannot move the state file into place in %s: %s", dir, strerror(-ret));
		goto out_unlink_mem;
	}
	state_tmp = false;
	/* Renamed: the new state may be the one on disk, so its memory stays, and so does the old one. */
	if (fsync(dfd) < 0) {
		ret = -errno;
		ERR("cannot sync %s after the new state: %s", dir, strerror(-ret));
		goto out;
	}
	stall_point("state-renamed");
	/* 4. Only now the previous snapshot's memory goes. */
	remove_old_memory(dfd, mem_name);
	if (fsync(dfd) < 0)
		log_warn("cannot sync %s: %s", dir, strerror(errno));
	stall_point("old-memory-removed");
	if (stats) {
		stats->state_bytes = w.len;
		stats->memory_size = vm->ram_size;
	}
	goto out;
out_unlink_mem:
	/* Not committed: the new memory file is nobody's. */
	unlinkat(dfd, mem_name, 0);
out_unlink:
	if (state_tmp)
		unlinkat(dfd, STATE_TMP, 0);
	if (mem_tmp)
		unlinkat(dfd, MEMORY_TMP, 0);
out:
	close(dfd);
	mig_writer_fini(&w);
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

int vm_snapshot_restore(const char *dir, const struct vm_hooks *hooks, void *hooks_ctx, struct vm_config *cfg_out,
			struct vm_config_state *cfg_storage, struct vm **out, char *errbuf, size_t errlen)
{
	char path[4096];
	struct vm_saved *s = NULL;
	struct vm_config cfg;
	struct vm *vm = NULL;
	uint8_t *buf = NULL;
	struct stat st;
	size_t len = 0;
	int ret, mem_fd = -1;

	snprintf(path, sizeof(path), "%s/state", dir);
	ret = read_whole(path, &buf, &len, errbuf, errlen);
	if (ret < 0)
		goto out;
	/* Decode and cross-check everything before touching KVM; then what this host can run. */
	ret = vm_stream_load(buf, len, "snapshot", &s, &cfg, errbuf, errlen);
	if (ret < 0)
		goto out;
	ret = vm_stream_check_host(&cfg, "snapshot", errbuf, errlen);
	if (ret == 0)
		ret = vm_stream_check_compat(buf, len, "snapshot", errbuf, errlen);
	if (ret < 0)
		goto out;
	{
		struct vm_config overrides = *cfg_out; /* vmm restore --disk */

		ret = vm_disks_cfg_from_saved(s, &overrides, &cfg, errbuf, errlen);
		if (ret < 0)
			goto out;
	}
	/* The memory file the state names; a snapshot from before that scheme has DIR/memory. */
	{
		char name[MEMORY_NAME_LEN];

		memory_name(buf, len, name);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		mem_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (mem_fd < 0 && errno == ENOENT) {
			snprintf(path, sizeof(path), "%s/%s", dir, LEGACY_MEMORY_NAME);
			mem_fd = open(path, O_RDONLY | O_CLOEXEC);
		}
	}
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
	vm_saved_free(s);
	return ret;
}
