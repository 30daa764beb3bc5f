// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/arm64/memory_map.h"
#include "vmm/cli/run_args.h"

const char cli_run_usage[] =
	"usage: vmm run --kernel IMAGE [--initrd FILE] [--cmdline STR]\n"
	"               [--cpus boot=N,max=M] [--memory SIZE] [--acpi on|off]\n"
	"               [--pmu on|off] [--api-socket PATH] [--disk path=FILE,...]...\n"
	"       vmm run --incoming [tcp:]ADDR[:PORT] (--tls-dir DIR | --plain) [--api-socket PATH]\n"
	"       vmm run --incoming defer --api-socket PATH   (then QMP migrate-incoming)\n"
	"  --kernel IMAGE     arm64 Linux Image (uncompressed)\n"
	"  --initrd FILE      initial ramdisk\n"
	"  --cmdline STR      kernel command line (default: console=ttyAMA0)\n"
	"  --cpus boot=N,max=M  N vCPUs enabled at boot, up to M hot-pluggable (default 1)\n"
	"  --memory SIZE      guest RAM, e.g. 512M or 2G (default 512M)\n"
	"  --acpi on|off      boot with ACPI tables (default) or a device tree\n"
	"  --pmu on|off       the guest's PMUv3 (default: on when KVM offers one); a snapshot\n"
	"                     and a migration keep the choice\n"
	"  --api-socket PATH  QMP control socket\n"
	"  --incoming ADDR    receive a live migration on ADDR (default port 7480); the VM's\n"
	"                     configuration comes from the source, so no guest options are given\n"
	"  --tls-dir DIR      TLS 1.3 credentials (ca-cert.pem, server-cert.pem, server-key.pem)\n"
	"  --plain            explicitly unencrypted TCP for --incoming\n"
	"  --disk path=FILE[,readonly=on][,serial=S][,cache=writeback|none][,num_queues=N]\n"
	"                     a virtio-blk disk (repeatable)\n"
	"Console: stdin/stdout; on a terminal, Ctrl-A x quits.\n";

int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K': mul = 1ULL << 10; end++; break;
	case 'M': mul = 1ULL << 20; end++; break;
	case 'G': mul = 1ULL << 30; end++; break;
	case 'T': mul = 1ULL << 40; end++; break;
	default:
		return -EINVAL;
	}
	if (mul > 1 && (!strcasecmp(end, "iB") || !strcasecmp(end, "B")))
		end += strlen(end);
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*out = v * mul;
	return 0;
}

static int parse_uint(const char *s, size_t n, unsigned *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 9)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = (unsigned)v;
	return 0;
}

int cli_parse_cpus(const char *s, unsigned *boot, unsigned *max, char *errbuf, size_t errlen)
{
	unsigned b = 0, m = 0;
	bool have_b = false, have_m = false;
	const char *p = s;

	if (!s || !*s)
		goto bad;
	if (isdigit((unsigned char)*s)) {
		if (parse_uint(s, strlen(s), &b))
			goto bad;
		m = b;
		have_b = have_m = true;
	} else {
		while (*p) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			const char *eq = memchr(p, '=', len);
			unsigned v;

			if (!eq || parse_uint(eq + 1, len - (size_t)(eq + 1 - p), &v))
				goto bad;
			if ((size_t)(eq - p) == 4 && !strncmp(p, "boot", 4) && !have_b) {
				b = v;
				have_b = true;
			} else if ((size_t)(eq - p) == 3 && !strncmp(p, "max", 3) && !have_m) {
				m = v;
				have_m = true;
			} else {
				goto bad;
			}
			p += len;
			if (*p == ',' && !*++p)
				goto bad; /* trailing comma */
		}
		if (!have_b)
			b = 1;
		if (!have_m)
			m = b;
	}
	if (m == 0) {
		snprintf(errbuf, errlen, "--cpus: max must be at least 1 (got max=%u)", m);
		return -EINVAL;
	}
	if (b == 0) {
		snprintf(errbuf, errlen, "--cpus: boot must be at least 1 (got boot=%u)", b);
		return -EINVAL;
	}
	if (b > m) {
		snprintf(errbuf, errlen, "--cpus: boot=%u is more than max=%u", b, m);
		return -EINVAL;
	}
	if (m > LAYOUT_MAX_VCPUS) {
		snprintf(errbuf, errlen, "--cpus: max=%u is above the machine limit of %u vCPUs", m,
			 LAYOUT_MAX_VCPUS);
		return -EINVAL;
	}
	*boot = b;
	*max = m;
	return 0;
bad:
	snprintf(errbuf, errlen, "--cpus: cannot parse '%s' (expected boot=N,max=M)", s ? s : "");
	return -EINVAL;
}

enum {
	OPT_KERNEL = 1, OPT_INITRD, OPT_CMDLINE, OPT_CPUS, OPT_MEMORY, OPT_ACPI, OPT_PMU, OPT_API, OPT_DISK, OPT_HELP,
	OPT_INCOMING, OPT_TLS_DIR, OPT_PLAIN,
};

/* "on" or "off" for option opt. */
static int parse_on_off(const char *opt, const char *arg, bool *on, char *errbuf, size_t errlen)
{
	if (strcmp(arg, "on") && strcmp(arg, "off")) {
		snprintf(errbuf, errlen, "%s: expected 'on' or 'off', got '%s'", opt, arg);
		return -EINVAL;
	}
	*on = !strcmp(arg, "on");
	return 0;
}

int cli_parse_run(int argc, char **argv, struct vm_config *cfg, char *errbuf, size_t errlen)
{
	return cli_parse_run_ex(argc, argv, cfg, NULL, NULL, errbuf, errlen);
}

int cli_parse_run_ex(int argc, char **argv, struct vm_config *cfg, struct migrate_params *in, bool *incoming,
		     char *errbuf, size_t errlen)
{
	const char *in_addr = NULL, *tls_dir = NULL, *guest_opt = NULL;
	bool plain = false, on;
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "acpi", required_argument, NULL, OPT_ACPI },
		{ "pmu", required_argument, NULL, OPT_PMU },
		{ "api-socket", required_argument, NULL, OPT_API },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "incoming", required_argument, NULL, OPT_INCOMING },
		{ "tls-dir", required_argument, NULL, OPT_TLS_DIR },
		{ "plain", no_argument, NULL, OPT_PLAIN },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	*cfg = (struct vm_config){
		.cmdline = "console=ttyAMA0",
		.boot_vcpus = 1,
		.max_vcpus = 1,
		.mem_size = CLI_DEFAULT_MEM,
		.acpi = true,
	};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL:
			guest_opt = "--kernel";
			cfg->kernel = optarg;
			break;
		case OPT_INITRD:
			guest_opt = "--initrd";
			cfg->initrd = optarg;
			break;
		case OPT_CMDLINE:
			guest_opt = "--cmdline";
			cfg->cmdline = optarg;
			break;
		case OPT_CPUS:
			guest_opt = "--cpus";
			ret = cli_parse_cpus(optarg, &cfg->boot_vcpus, &cfg->max_vcpus, errbuf, errlen);
			if (ret)
				return ret;
			break;
		case OPT_MEMORY:
			guest_opt = "--memory";
			ret = cli_parse_size(optarg, &cfg->mem_size);
			if (ret) {
				snprintf(errbuf, errlen, "--memory: cannot parse '%s' (expected e.g. 512M or 2G)", optarg);
				return -EINVAL;
			}
			break;
		case OPT_ACPI:
			guest_opt = "--acpi";
			if (parse_on_off(guest_opt, optarg, &on, errbuf, errlen))
				return -EINVAL;
			cfg->acpi = on;
			break;
		case OPT_PMU:
			guest_opt = "--pmu";
			if (parse_on_off(guest_opt, optarg, &on, errbuf, errlen))
				return -EINVAL;
			cfg->pmu = on ? VM_PMU_ON : VM_PMU_OFF;
			break;
		case OPT_API:
			cfg->api_socket = optarg;
			break;
		case OPT_INCOMING:
			in_addr = optarg;
			break;
		case OPT_TLS_DIR:
			tls_dir = optarg;
			break;
		case OPT_PLAIN:
			plain = true;
			break;
		case OPT_DISK:
			guest_opt = "--disk";
			if (cfg->nr_disks >= VM_MAX_DISKS) {
				snprintf(errbuf, errlen, "--disk: at most %u disks", VM_MAX_DISKS);
				return -EINVAL;
			}
			ret = cli_parse_disk(optarg, &cfg->disks[cfg->nr_disks], errbuf, errlen);
			if (ret)
				return ret;
			cfg->nr_disks++;
			break;
		case 'h':
		case OPT_HELP:
			snprintf(errbuf, errlen, "%s", cli_run_usage);
			return 1;
		case ':':
			snprintf(errbuf, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			snprintf(errbuf, errlen, "unknown option '%s' (see vmm run --help)", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(errbuf, errlen, "unexpected argument '%s' (see vmm run --help)", argv[optind]);
		return -EINVAL;
	}
	if (incoming)
		*incoming = in_addr != NULL;
	if (in_addr && !in) {
		snprintf(errbuf, errlen, "--incoming is not available here");
		return -EINVAL;
	}
	if (in_addr) {
		if (guest_opt) {
			snprintf(errbuf, errlen, "%s cannot be given with --incoming: the VM's configuration comes from "
				 "the source", guest_opt);
			return -EINVAL;
		}
		migrate_params_default(in);
		if (!strcmp(in_addr, "defer")) {
			if (tls_dir || plain || !cfg->api_socket) {
				snprintf(errbuf, errlen, "--incoming defer takes its address and credentials from QMP "
					 "migrate-incoming: give --api-socket, not --tls-dir/--plain");
				return -EINVAL;
			}
			in->defer = true;
			return 0;
		}
		if (migrate_parse_address(in_addr, in, errbuf, errlen) < 0)
			return -EINVAL;
		if (plain == !!tls_dir) {
			snprintf(errbuf, errlen, "--incoming needs either --tls-dir DIR or, for unencrypted TCP, --plain");
			return -EINVAL;
		}
		in->plain = plain;
		if (tls_dir && snprintf(in->tls_dir, sizeof(in->tls_dir), "%s", tls_dir) >= (int)sizeof(in->tls_dir)) {
			snprintf(errbuf, errlen, "--tls-dir: path too long");
			return -EINVAL;
		}
		return 0;
	}
	if (tls_dir || plain) {
		snprintf(errbuf, errlen, "%s is for --incoming (vmm migrate takes its own)", tls_dir ? "--tls-dir" : "--plain");
		return -EINVAL;
	}
	if (!cfg->kernel) {
		snprintf(errbuf, errlen, "--kernel is required (an arm64 Linux Image)");
		return -EINVAL;
	}
	if (cfg->mem_size == 0) {
		snprintf(errbuf, errlen, "--memory: guest RAM cannot be 0");
		return -EINVAL;
	}
	if (cfg->mem_size < CLI_MIN_MEM) {
		snprintf(errbuf, errlen, "--memory: %" PRIu64 " bytes is too small (at least %llu MiB)",
			 cfg->mem_size, CLI_MIN_MEM >> 20);
		return -EINVAL;
	}
	if (!IS_ALIGNED(cfg->mem_size, SZ_2M)) {
		snprintf(errbuf, errlen, "--memory: size must be a multiple of 2 MiB (got %" PRIu64 " bytes)",
			 cfg->mem_size);
		return -EINVAL;
	}
	return 0;
}
