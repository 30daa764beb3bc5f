// SPDX-License-Identifier: MIT
/* Splitting a byte stream into JSON values. */
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>

#include "vmm/core/json_stream.h"

TestSuite(qmp_json_stream, .timeout = 30);

struct result {
	enum json_stream_status st;
	char text[256];
};

/* Feeds `in` in chunks of `chunk` bytes, collecting what comes out. */
static size_t run(struct json_stream *js, const char *in, size_t chunk, struct result *out,
		  size_t max)
{
	size_t len = strlen(in), off = 0, n = 0;

	while (off < len && n < max) {
		size_t end = off + chunk < len ? off + chunk : len;

		while (off < end && n < max) {
			struct json_object *v;
			const char *why;
			size_t used;
			enum json_stream_status st =
				json_stream_feed(js, in + off, end - off, &used, &v, &why);

			cr_assert(used > 0 || st != JSON_STREAM_MORE, "no progress");
			off += used;
			if (st == JSON_STREAM_MORE)
				continue;
			out[n].st = st;
			snprintf(out[n].text, sizeof(out[n].text), "%s",
				 st == JSON_STREAM_VALUE ?
					 json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) :
					 (why ? why : ""));
			json_object_put(v);
			n++;
			if (st == JSON_STREAM_OVERSIZE)
				return n;
		}
	}
	return n;
}

Test(qmp_json_stream, values_back_to_back_in_any_chunks)
{
	const char *in = "{\"a\":1}{\"b\":[true,null]}\r\n  \"s\\n\" [1,2]\n{\"c\":{}}";
	size_t chunk;

	for (chunk = 1; chunk <= strlen(in); chunk++) {
		struct json_stream js;
		struct result r[8];
		size_t n;

		cr_assert_eq(json_stream_init(&js, 1024), 0);
		n = run(&js, in, chunk, r, 8);
		cr_assert_eq(n, 5, "chunk %zu: %zu values", chunk, n);
		cr_assert_str_eq(r[0].text, "{\"a\":1}");
		cr_assert_str_eq(r[1].text, "{\"b\":[true,null]}");
		cr_assert_str_eq(r[2].text, "\"s\\n\"");
		cr_assert_str_eq(r[3].text, "[1,2]");
		cr_assert_str_eq(r[4].text, "{\"c\":{}}");
		json_stream_fini(&js);
	}
}

Test(qmp_json_stream, resynchronises_after_errors)
{
	const char *in = "{\"a\": nope, \"b\": 2}\n{\"ok\":1}\n{\"x\":\"\xff\"}\n{\"ok\":2}";
	struct json_stream js;
	struct result r[8];
	size_t n;

	cr_assert_eq(json_stream_init(&js, 1024), 0);
	n = run(&js, in, strlen(in), r, 8);
	cr_assert_eq(n, 4);
	cr_assert_eq(r[0].st, JSON_STREAM_ERROR);
	cr_assert_str_eq(r[1].text, "{\"ok\":1}");
	cr_assert_eq(r[2].st, JSON_STREAM_ERROR);
	cr_assert_str_eq(r[3].text, "{\"ok\":2}");
	json_stream_fini(&js);
}

Test(qmp_json_stream, oversize)
{
	char in[300];
	struct json_stream js;
	struct result r[4];

	memset(in, ' ', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	memcpy(in, "{\"a\": \"", 7);
	cr_assert_eq(json_stream_init(&js, 100), 0);
	cr_assert_eq(run(&js, in, 7, r, 4), 1);
	cr_assert_eq(r[0].st, JSON_STREAM_OVERSIZE);
	json_stream_fini(&js);

	/* Exactly at the limit is fine. */
	cr_assert_eq(json_stream_init(&js, 9), 0);
	cr_assert_eq(run(&js, "{\"a\":123}{\"a\":1234}", 4, r, 4), 2);
	cr_assert_eq(r[0].st, JSON_STREAM_VALUE);
	cr_assert_eq(r[1].st, JSON_STREAM_OVERSIZE);
	json_stream_fini(&js);
}
