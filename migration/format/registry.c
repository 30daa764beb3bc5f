// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/registry.h"

void mig_registry_init(struct mig_registry *reg)
{
	*reg = (struct mig_registry){ 0 };
}

void mig_registry_fini(struct mig_registry *reg)
{
	if (!reg)
		return;
	free(reg->entries);
	*reg = (struct mig_registry){ 0 };
}

const struct mig_entry *mig_registry_find(const struct mig_registry *reg, const char *name, uint32_t instance)
{
	for (size_t i = 0; i < reg->nr; i++) {
		const struct mig_entry *e = &reg->entries[i];

		if (e->instance == instance && strcmp(e->desc->name, name) == 0)
			return e;
	}
	return NULL;
}

int mig_registry_add(struct mig_registry *reg, const struct vmstate_desc *desc, uint32_t instance, void *state,
		     int priority, uint32_t flags, struct mig_err *err)
{
	struct mig_entry *e;
	int ret;

	ret = vmstate_desc_check(desc, err);
	if (ret)
		return ret;
	if (!state) {
		mig_err_set(err, "section '%s' instance %" PRIu32 ": no state", desc->name, instance);
		return -EINVAL;
	}
	if (mig_registry_find(reg, desc->name, instance)) {
		mig_err_set(err, "section '%s' instance %" PRIu32 " is already registered", desc->name, instance);
		return -EEXIST;
	}
	if (reg->nr >= MIG_MAX_SECTIONS) {
		mig_err_set(err, "more than %u sections", MIG_MAX_SECTIONS);
		return -E2BIG;
	}
	if (reg->nr == reg->cap) {
		size_t cap = reg->cap ? reg->cap * 2 : 16;

		e = realloc(reg->entries, cap * sizeof(*e));
		if (!e) {
			mig_err_set(err, "out of memory");
			return -ENOMEM;
		}
		reg->entries = e;
		reg->cap = cap;
	}
	reg->entries[reg->nr] = (struct mig_entry){
		.desc = desc, .instance = instance, .state = state, .priority = priority, .flags = flags,
		.seq = (uint32_t)reg->nr,
	};
	reg->nr++;
	return 0;
}

static int cmp_save_order(const void *a, const void *b)
{
	const struct mig_entry *x = *(const struct mig_entry *const *)a;
	const struct mig_entry *y = *(const struct mig_entry *const *)b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int mig_registry_save(const struct mig_registry *reg, struct mig_writer *w, struct mig_err *err)
{
	const struct mig_entry **order;
	int ret = 0;

	order = calloc(reg->nr ? reg->nr : 1, sizeof(*order));
	if (!order) {
		mig_err_set(err, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < reg->nr; i++)
		order[i] = &reg->entries[i];
	qsort(order, reg->nr, sizeof(*order), cmp_save_order);
	for (size_t i = 0; i < reg->nr && !ret; i++) {
		const struct mig_entry *e = order[i];
		bool optional = e->flags & MIG_ENTRY_OPTIONAL;

		if (optional && !vmstate_needed(e->desc, e->state))
			continue;
		ret = mig_writer_add(w, e->desc, e->instance, e->state, optional ? MIG_SEC_OPTIONAL : 0, err);
	}
	free(order);
	return ret;
}

/* Entries sorted by (name, instance) for lookups while loading. */
static int cmp_key(const struct mig_entry *e, const char *name, uint32_t instance)
{
	int c = strcmp(e->desc->name, name);

	if (c)
		return c;
	return e->instance < instance ? -1 : e->instance > instance;
}

static int cmp_name(const void *a, const void *b)
{
	const struct mig_entry *y = *(const struct mig_entry *const *)b;

	return cmp_key(*(const struct mig_entry *const *)a, y->desc->name, y->instance);
}

static long lookup(const struct mig_entry *const *idx, size_t n, const char *name, uint32_t instance)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key(idx[mid], name, instance);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

struct load_run {
	const struct mig_entry **idx; /* sorted by name, instance */
	uint8_t **scratch;            /* per idx slot: the decoded state, or NULL */
	size_t n;
};

static void run_free(struct load_run *run)
{
	for (size_t i = 0; run->scratch && i < run->n; i++)
		free(run->scratch[i]);
	free(run->scratch);
	free(run->idx);
}

static int load_one(struct load_run *run, const struct mig_section *sec, struct mig_err *err)
{
	const struct mig_entry *e;
	long i = lookup(run->idx, run->n, sec->name, sec->instance);

	if (i < 0) {
		if (sec->flags & MIG_SEC_OPTIONAL)
			return 0; /* unknown optional: skipped */
		mig_err_set(err, "unknown mandatory section '%s' instance %" PRIu32, sec->name, sec->instance);
		return -ENOENT;
	}
	e = run->idx[i];
	if (run->scratch[i]) {
		mig_err_set(err, "duplicate section '%s' instance %" PRIu32, sec->name, sec->instance);
		return -EINVAL;
	}
	run->scratch[i] = malloc(e->desc->size);
	if (!run->scratch[i]) {
		mig_err_set(err, "out of memory");
		return -ENOMEM;
	}
	memcpy(run->scratch[i], e->state, e->desc->size);
	return mig_section_load(sec, e->desc, run->scratch[i], err);
}

int mig_registry_load(const struct mig_registry *reg, const void *buf, size_t len, uint32_t arch,
		      uint32_t read_flags, struct mig_err *err)
{
	struct load_run run = { .n = reg->nr };
	struct mig_reader r;
	struct mig_section sec;
	int ret;

	ret = mig_reader_open(&r, buf, len, arch, read_flags, err);
	if (ret)
		return ret;
	run.idx = calloc(run.n ? run.n : 1, sizeof(*run.idx));
	run.scratch = calloc(run.n ? run.n : 1, sizeof(*run.scratch));
	if (!run.idx || !run.scratch) {
		mig_err_set(err, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < run.n; i++)
		run.idx[i] = &reg->entries[i];
	qsort(run.idx, run.n, sizeof(*run.idx), cmp_name);

	while ((ret = mig_reader_next(&r, &sec, err)) > 0) {
		ret = load_one(&run, &sec, err);
		if (ret)
			goto out;
	}
	if (ret)
		goto out;
	for (size_t i = 0; i < run.n; i++) {
		if (!run.scratch[i] && !(run.idx[i]->flags & MIG_ENTRY_OPTIONAL)) {
			mig_err_set(err, "section '%s' instance %" PRIu32 " is missing from the stream",
				    run.idx[i]->desc->name, run.idx[i]->instance);
			ret = -ENODATA;
			goto out;
		}
	}
	/* Everything decoded and validated: commit. */
	for (size_t i = 0; i < run.n; i++)
		if (run.scratch[i])
			memcpy(run.idx[i]->state, run.scratch[i], run.idx[i]->desc->size);
out:
	run_free(&run);
	return ret;
}
