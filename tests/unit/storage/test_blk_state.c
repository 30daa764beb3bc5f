// SPDX-License-Identifier: MIT
/* The virtio-blk state section: round trip through its descriptor, and post_load validation. */
#include <criterion/criterion.h>
#include <string.h>

#include "migration/format/stream.h"
#include "migration/format/vmstate.h"
#include "storage/blk_state.h"

static int roundtrip(const struct blk_saved *in, struct blk_saved *out)
{
	struct mig_writer w;
	struct mig_reader r;
	struct mig_section sec;
	struct mig_err err = { "" };
	int ret;

	cr_assert_eq(vmstate_desc_check(&blk_vmstate, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_writer_add(&w, &blk_vmstate, 3, in, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_writer_finish(&w, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_reader_open(&r, w.buf, w.len, MIG_ARCH_AARCH64, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_reader_next(&r, &sec, &err), 1, "%s", err.msg);
	ret = mig_section_load(&sec, &blk_vmstate, out, &err);
	mig_writer_fini(&w);
	return ret;
}

static void sample(struct blk_saved *b)
{
	memset(b, 0, sizeof(*b));
	strcpy((char *)b->path, "/var/lib/vm/disk0.img");
	strcpy((char *)b->serial, "serial-01");
	b->size = 64ULL << 20;
	b->readonly = true;
	b->num_queues = 2;
	b->transport = (struct virtio_mmio_state){ .status = 0xf, .driver_features = 0x130000644ULL,
						   .interrupt_status = 1, .queue_sel = 1, .config_generation = 2 };
	b->queues[0] = (struct vq_state){ .num = 256, .ready = 1, .desc = 0x41000000, .avail = 0x41001000,
					  .used = 0x41002000, .last_avail = 65535, .used_idx = 65535, .signalled = 7 };
	b->queues[1] = (struct vq_state){ .num = 128, .ready = 1, .desc = 0x42000000, .avail = 0x42001000,
					  .used = 0x42002000, .last_avail = 3, .used_idx = 2 };
}

Test(blk_state, round_trip)
{
	static struct blk_saved a, b;

	sample(&a);
	cr_assert_eq(roundtrip(&a, &b), 0);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
}

Test(blk_state, invalid_state_rejected)
{
	static struct blk_saved a, b;

	sample(&a);
	a.queues[0].num = 100; /* not a power of two */
	cr_assert_lt(roundtrip(&a, &b), 0);
	sample(&a);
	a.queues[3].ready = 1; /* beyond num_queues */
	cr_assert_lt(roundtrip(&a, &b), 0);
	sample(&a);
	a.size = 1000;
	cr_assert_lt(roundtrip(&a, &b), 0);
	sample(&a);
	memset(a.path, 'x', sizeof(a.path)); /* unterminated */
	cr_assert_lt(roundtrip(&a, &b), 0);
}
