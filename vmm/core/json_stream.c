// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "vmm/core/json_stream.h"

/* Nesting deeper than this is malformed input for every protocol we speak. */
#define JSON_STREAM_MAX_DEPTH 64

int json_stream_init(struct json_stream *js, size_t max_value)
{
	if (!max_value)
		return -EINVAL;
	js->tok = json_tokener_new_ex(JSON_STREAM_MAX_DEPTH);
	if (!js->tok)
		return -ENOMEM;
	/* Strict RFC 8259 input, valid UTF-8, several values back to back. */
	json_tokener_set_flags(js->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					JSON_TOKENER_VALIDATE_UTF8);
	js->max_value = max_value;
	js->value_bytes = 0;
	return 0;
}

void json_stream_fini(struct json_stream *js)
{
	if (js->tok)
		json_tokener_free(js->tok);
	js->tok = NULL;
}

enum json_stream_status json_stream_feed(struct json_stream *js, const char *buf, size_t len,
					 size_t *used, struct json_object **value,
					 const char **errmsg)
{
	enum json_tokener_error jerr;
	struct json_object *obj;
	size_t chunk = len, end;
	const char *nl;

	*used = 0;
	*value = NULL;
	*errmsg = NULL;
	if (js->value_bytes > js->max_value)
		return JSON_STREAM_OVERSIZE;	/* sticky: the stream is beyond repair */
	if (!len)
		return JSON_STREAM_MORE;
	/* Never feed the tokenizer more than one byte past the limit. */
	chunk = MIN(chunk, js->max_value - js->value_bytes + 1);
	chunk = MIN(chunk, (size_t)INT_MAX);

	obj = json_tokener_parse_ex(js->tok, buf, (int)chunk);
	jerr = json_tokener_get_error(js->tok);
	end = json_tokener_get_parse_end(js->tok);

	if (jerr == json_tokener_success) {
		json_tokener_reset(js->tok);
		js->value_bytes += end;
		if (js->value_bytes > js->max_value) {
			json_object_put(obj);
			return JSON_STREAM_OVERSIZE;
		}
		js->value_bytes = 0;
		*used = end;
		*value = obj;
		return JSON_STREAM_VALUE;
	}
	if (jerr == json_tokener_continue) {
		js->value_bytes += chunk;
		*used = chunk;
		return js->value_bytes > js->max_value ? JSON_STREAM_OVERSIZE : JSON_STREAM_MORE;
	}

	/*
	 * Malformed. `end` is where the tokenizer stopped, at (or just past) the offending
	 * byte; drop the rest of the line so that the next message parses afresh.
	 */
	*errmsg = json_tokener_error_desc(jerr);
	json_tokener_reset(js->tok);
	js->value_bytes = 0;
	end = MIN(end, len);
	nl = memchr(buf + end, '\n', len - end);
	*used = nl ? (size_t)(nl - buf) + 1 : len;
	return JSON_STREAM_ERROR;
}
