// SPDX-License-Identifier: MIT
/* `vmm describe-host` and `vmm --dump-descriptors FILE` (migration/compat/). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/compat/descriptors.h"
#include "migration/compat/host_desc.h"
#include "vmm/cli/cmd.h"

int cmd_describe_host(int argc, char **argv)
{
	struct mig_err err = { "" };
	struct host_desc *h;
	struct json_object *o = NULL;
	int ret;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: vmm describe-host\n");
		return 2;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return 1;
	ret = host_desc_init_build(h, &err);
	if (!ret)
		ret = host_desc_query_kvm(h, &err);
	if (!ret)
		ret = host_desc_to_json(h, &o);
	if (!ret)
		ret = dj_write_file(o, "-", &err);
	if (ret)
		fprintf(stderr, "vmm: error: cannot describe this host: %s\n", err.msg[0] ? err.msg : strerror(-ret));
	json_object_put(o);
	free(h);
	return ret ? 1 : 0;
}

int cmd_dump_descriptors(int argc, char **argv)
{
	struct mig_err err = { "" };
	struct json_object *o = NULL;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: vmm --dump-descriptors FILE\n");
		return 2;
	}
	ret = compat_descriptors_dump(&o, &err);
	if (!ret)
		ret = dj_write_file(o, argv[1], &err);
	if (ret)
		fprintf(stderr, "vmm: error: cannot dump the descriptors: %s\n", err.msg);
	json_object_put(o);
	return ret ? 1 : 0;
}
