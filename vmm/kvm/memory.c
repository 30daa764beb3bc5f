// SPDX-License-Identifier: MIT
/* Guest RAM: the mapping, the memslot, and the one bounds-checked way into it. */
#define LOG_PREFIX "vm"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "migration/live/dirty_bitmap.h"
#include "vmm/core/errbuf.h"
#include "vmm/kvm/kvm_arm.h"
#include "vmm/kvm/vm.h"
#include "vmm/kvm/vm_internal.h"

void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (!vm->ram || gpa < vm->ram_gpa || gpa - vm->ram_gpa > vm->ram_size ||
	    len > vm->ram_size - (gpa - vm->ram_gpa))
		return NULL;
	return vm->ram + (gpa - vm->ram_gpa);
}

void vm_mark_dirty(struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct dirty_bitmap *b = __atomic_load_n(&vm->vmm_dirty, __ATOMIC_ACQUIRE);

	if (b && gpa >= vm->ram_gpa)
		dirty_bitmap_mark(b, gpa - vm->ram_gpa, len);
}

/*
 * Guest RAM: anonymous memory, or (restore) a private mapping of a snapshot's
 * memory file, so pages are read lazily on first touch and guest writes never
 * reach the file.
 */
int vm_memory_setup(struct vm *vm, int mem_fd, char *errbuf, size_t errlen)
{
	struct kvm_userspace_memory_region region;
	size_t map_len = vm->ram_size + SZ_2M;
	uint8_t *base;
	int ret;

	/* Over-allocate so the guest RAM can start on a 2 MiB (huge page) boundary. */
	base = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		ret = -errno;
		ERR("cannot reserve %llu MiB of guest RAM: %s", (unsigned long long)(vm->ram_size >> 20),
		    strerror(-ret));
		return ret;
	}
	vm->ram = (uint8_t *)ALIGN_UP((uintptr_t)base, SZ_2M);
	if (vm->ram > base)
		munmap(base, (size_t)(vm->ram - base));
	if (vm->ram + vm->ram_size < base + map_len)
		munmap(vm->ram + vm->ram_size, (size_t)(base + map_len - (vm->ram + vm->ram_size)));
	if (mem_fd >= 0) {
		void *m = mmap(vm->ram, vm->ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE,
			       mem_fd, 0);

		if (m == MAP_FAILED) {
			ret = -errno;
			ERR("cannot map the snapshot's memory: %s", strerror(-ret));
			return ret;
		}
		/* Kept to tell a later snapshot which untouched pages hold data. */
		vm->ram_fd = fcntl(mem_fd, F_DUPFD_CLOEXEC, 0);
		if (vm->ram_fd < 0) {
			ret = -errno;
			ERR("cannot keep the snapshot's memory file open: %s", strerror(-ret));
			return ret;
		}
	} else {
		madvise(vm->ram, vm->ram_size, MADV_HUGEPAGE);
	}
	madvise(vm->ram, vm->ram_size, MADV_DONTDUMP);

	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = vm->ram_gpa,
		.memory_size = vm->ram_size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->ram,
	};
	ret = kvm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
	if (ret < 0) {
		ERR("cannot register guest RAM with KVM: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/* Reads a whole file into guest RAM at gpa, at most max bytes. */
int vm_load_file(struct vm *vm, const char *path, int fd, uint64_t gpa, uint64_t size, char *errbuf,
		     size_t errlen)
{
	uint8_t *dst = vm_gpa(vm, gpa, size);
	uint64_t done = 0;

	if (!dst) {
		ERR("%s does not fit in guest RAM", path);
		return -EFAULT;
	}
	while (done < size) {
		ssize_t n = pread(fd, dst + done, (size_t)MIN(size - done, 1ULL << 30), (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ERR("cannot read %s: %s", path, strerror(errno));
			return -errno;
		}
		if (n == 0) {
			ERR("%s: file shrank while being read", path);
			return -EIO;
		}
		done += (uint64_t)n;
	}
	return 0;
}
