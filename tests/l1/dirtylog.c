// SPDX-License-Identifier: MIT
/*
 * dirtylog: measures what it costs to collect a guest's dirty pages with KVM's
 * two mechanisms on the same machine, for the live-migration choice
 * (ARCHITECTURE.md, "Dirty logging"; issue "Live migration", item 2):
 *
 *   bitmap  KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: KVM_GET_DIRTY_LOG of the slot, the
 *           set bits counted, KVM_CLEAR_DIRTY_LOG of those bits (what vmm does)
 *   ring    KVM_CAP_DIRTY_LOG_RING_ACQ_REL: the vCPU's ring walked (acquire load
 *           of each entry's flags, release store of RESET), KVM_RESET_DIRTY_RINGS
 *
 *   dirtylog bitmap|ring MIB PAGES ROUNDS
 *
 * One VM with one vCPU and a MIB MiB slot logged for dirty pages. The guest (a loop
 * of 9 instructions, MMU off) writes one word in each of PAGES pages spread over the
 * slot, then stores to an unassigned address: that MMIO exit is where the pages are
 * collected, ROUNDS times. Each round checks that exactly PAGES pages were reported
 * (a full ring exits early: its pages are collected and the guest resumes). Prints
 *   @round N pages P us T          the collection of one round, microseconds
 *   @median us T                   over the rounds after the first (which also
 *                                  faults the pages in)
 * Exit 1 with a message when KVM lacks the mechanism or a count is wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP
#define KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP 225
#endif
/* arm64's offset (arch/arm64/include/uapi/asm/kvm.h); older headers lack it. */
#if !defined(KVM_DIRTY_LOG_PAGE_OFFSET) || KVM_DIRTY_LOG_PAGE_OFFSET == 0
#undef KVM_DIRTY_LOG_PAGE_OFFSET
#define KVM_DIRTY_LOG_PAGE_OFFSET 64
#endif

#define CODE_GPA 0x10000000ull
#define DATA_GPA 0x40000000ull
#define EXIT_GPA 0x20000000ull /* unassigned: the guest's store there exits to us */
#define RING_ENTRIES 65536u    /* KVM_DIRTY_RING_MAX_ENTRIES */
#define MAX_ROUNDS 64

static int die(const char *what)
{
	fprintf(stderr, "dirtylog: %s: %s\n", what, strerror(errno));
	return 1;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int set_reg(int vcpu, uint64_t id, uint64_t v)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&v };

	return ioctl(vcpu, KVM_SET_ONE_REG, &r);
}

#define CORE_REG(x) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, x) / 4))

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct ring {
	struct kvm_dirty_gfn *gfn;
	uint32_t next; /* the next entry to look at */
};

/* Collects what the ring holds: entries are published with DIRTY, handed back with RESET. */
static uint64_t ring_collect(struct ring *r)
{
	uint64_t n = 0;

	for (;;) {
		struct kvm_dirty_gfn *e = &r->gfn[r->next % RING_ENTRIES];

		if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_DIRTY))
			break;
		n++;
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		r->next++;
	}
	return n;
}

int main(int argc, char **argv)
{
	static const uint32_t code[] = {
		0xAA0003E4, /* loop: mov  x4, x0        base                   */
		0xAA0203E5, /*       mov  x5, x2        count                  */
		0xF9000086, /* 1:    str  x6, [x4]                             */
		0x8B010084, /*       add  x4, x4, x1    stride                 */
		0xF10004A5, /*       subs x5, x5, #1                           */
		0x54FFFFA1, /*       b.ne 1b                                   */
		0x910004C6, /*       add  x6, x6, #1                           */
		0xF9000066, /*       str  x6, [x3]      exit to the VMM         */
		0x17FFFFF8, /*       b    loop                                 */
	};
	uint64_t us[MAX_ROUNDS], mib, pages, slot_pages, words, stride;
	unsigned rounds, done = 0;
	int kvm, vm, vcpu, ring_mode;
	struct kvm_vcpu_init init;
	struct kvm_run *run;
	struct ring ring = { 0 };
	uint64_t *bitmap;
	uint8_t *data, *text;
	long psz = sysconf(_SC_PAGESIZE);
	int run_sz;

	if (argc != 5 || (strcmp(argv[1], "bitmap") && strcmp(argv[1], "ring"))) {
		fprintf(stderr, "usage: dirtylog bitmap|ring MIB PAGES ROUNDS\n");
		return 2;
	}
	ring_mode = !strcmp(argv[1], "ring");
	mib = strtoull(argv[2], NULL, 0);
	pages = strtoull(argv[3], NULL, 0);
	rounds = (unsigned)strtoul(argv[4], NULL, 0);
	slot_pages = (mib << 20) / 4096;
	if (psz != 4096 || !mib || !pages || pages > slot_pages || rounds < 2 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "dirtylog: need 4 KiB host pages, 1 <= PAGES <= the slot's pages, 2 <= ROUNDS <= %d\n",
			MAX_ROUNDS);
		return 2;
	}
	stride = slot_pages / pages * 4096;
	words = (slot_pages + 63) / 64;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return die("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return die("KVM_CREATE_VM");
	if (ring_mode) {
		struct kvm_enable_cap c = { .cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL,
					    .args = { RING_ENTRIES * sizeof(struct kvm_dirty_gfn) } };
		struct kvm_enable_cap b = { .cap = KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP };

		if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_ACQ_REL) <= 0) {
			fprintf(stderr, "dirtylog: KVM has no KVM_CAP_DIRTY_LOG_RING_ACQ_REL\n");
			return 1;
		}
		if (ioctl(vm, KVM_ENABLE_CAP, &c) < 0)
			return die("enable the dirty ring");
		/* What a VM with a vGIC needs on arm64 (its table saves are not in vCPU context). */
		if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP) > 0 &&
		    ioctl(vm, KVM_ENABLE_CAP, &b) < 0)
			return die("enable the ring's backup bitmap");
	} else {
		struct kvm_enable_cap c = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					    .args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE } };

		if (ioctl(vm, KVM_ENABLE_CAP, &c) < 0)
			return die("enable KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
	}
	text = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	data = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	bitmap = calloc(words, sizeof(*bitmap));
	if (text == MAP_FAILED || data == MAP_FAILED || !bitmap)
		return die("guest memory");
	memcpy(text, code, sizeof(code));
	{
		struct kvm_userspace_memory_region t = { .slot = 1, .guest_phys_addr = CODE_GPA, .memory_size = 65536,
							 .userspace_addr = (uint64_t)(uintptr_t)text };
		struct kvm_userspace_memory_region d = { .slot = 0, .flags = KVM_MEM_LOG_DIRTY_PAGES,
							 .guest_phys_addr = DATA_GPA, .memory_size = mib << 20,
							 .userspace_addr = (uint64_t)(uintptr_t)data };

		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &t) < 0 || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &d) < 0)
			return die("KVM_SET_USER_MEMORY_REGION");
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return die("KVM_CREATE_VCPU");
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0 || ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0)
		return die("KVM_ARM_VCPU_INIT");
	if (set_reg(vcpu, CORE_REG(regs.pc), CODE_GPA) || set_reg(vcpu, CORE_REG(regs.regs[0]), DATA_GPA) ||
	    set_reg(vcpu, CORE_REG(regs.regs[1]), stride) || set_reg(vcpu, CORE_REG(regs.regs[2]), pages) ||
	    set_reg(vcpu, CORE_REG(regs.regs[3]), EXIT_GPA))
		return die("KVM_SET_ONE_REG");
	run_sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)run_sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return die("mmap kvm_run");
	if (ring_mode) {
		ring.gfn = mmap(NULL, RING_ENTRIES * sizeof(struct kvm_dirty_gfn), PROT_READ | PROT_WRITE, MAP_SHARED,
				vcpu, KVM_DIRTY_LOG_PAGE_OFFSET * psz);
		if (ring.gfn == MAP_FAILED)
			return die("mmap the dirty ring");
	}
	while (done < rounds) {
		uint64_t t0, t1, n = 0;

		if (ioctl(vcpu, KVM_RUN, 0) < 0 && errno != EINTR)
			return die("KVM_RUN");
		if (ring_mode && run->exit_reason == KVM_EXIT_DIRTY_RING_FULL) {
			/* Not a round: the guest resumes once the ring has room again. */
			ring_collect(&ring);
			if (ioctl(vm, KVM_RESET_DIRTY_RINGS, 0) < 0)
				return die("KVM_RESET_DIRTY_RINGS");
			fprintf(stderr, "dirtylog: the ring filled (%u entries) before the round ended\n", RING_ENTRIES);
			return 1;
		}
		if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write || run->mmio.phys_addr != EXIT_GPA) {
			fprintf(stderr, "dirtylog: unexpected exit %u\n", run->exit_reason);
			return 1;
		}
		t0 = now_ns();
		if (ring_mode) {
			n = ring_collect(&ring);
			if (ioctl(vm, KVM_RESET_DIRTY_RINGS, 0) < 0)
				return die("KVM_RESET_DIRTY_RINGS");
		} else {
			struct kvm_dirty_log g = { .slot = 0, .dirty_bitmap = bitmap };
			struct kvm_clear_dirty_log c = { .slot = 0, .first_page = 0, .num_pages = (uint32_t)slot_pages,
							 .dirty_bitmap = bitmap };

			if (ioctl(vm, KVM_GET_DIRTY_LOG, &g) < 0)
				return die("KVM_GET_DIRTY_LOG");
			for (uint64_t w = 0; w < words; w++)
				n += (uint64_t)__builtin_popcountll(bitmap[w]);
			if (ioctl(vm, KVM_CLEAR_DIRTY_LOG, &c) < 0)
				return die("KVM_CLEAR_DIRTY_LOG");
		}
		t1 = now_ns();
		if (n != pages) {
			fprintf(stderr, "dirtylog: round %u: %llu dirty pages reported, the guest wrote %llu\n", done,
				(unsigned long long)n, (unsigned long long)pages);
			return 1;
		}
		us[done] = (t1 - t0) / 1000;
		printf("@round %u pages %llu us %llu\n", done, (unsigned long long)n, (unsigned long long)us[done]);
		done++;
	}
	qsort(us + 1, rounds - 1, sizeof(us[0]), cmp_u64);
	printf("@median us %llu\n", (unsigned long long)us[1 + (rounds - 1) / 2]);
	return 0;
}
