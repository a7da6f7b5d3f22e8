// SPDX-License-Identifier: GPL-2.0
/*
 * Escaping of target-controlled strings. bw_json_str must always yield one
 * valid JSON string (json-c, strict, UTF-8 validated) that decodes to text
 * escaping again to the same value; bw_text_str and bw_text_dup must yield
 * the same printable ASCII, bw_folded_str that without ';', and
 * bw_prom_label_str no control byte (a label value stays on its line).
 */
#include <json-c/json.h>
#include "core/escape.h"
#include "fuzz_util.h"

/* Writes s through bw_json_str and parses it back; aborts when it is not JSON. */
static char *json_roundtrip(const char *s)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj;
	char *out = NULL, *dec;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f || !tok)
		abort();
	bw_json_str(f, s);
	fclose(f);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20)
			abort(); /* JSON forbids raw control characters in strings */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, out, (int)len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(obj, json_type_string)) {
		fprintf(stderr, "invalid JSON from bw_json_str: %s\n", out);
		abort();
	}
	dec = strdup(json_object_get_string(obj));
	if (!dec)
		abort();
	json_object_put(obj);
	json_tokener_free(tok);
	free(out);
	return dec;
}

static void check_text(const char *s, size_t max)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		abort();
	bw_text_str(f, s, max);
	fclose(f);
	for (i = 0; i < len; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			abort(); /* a control byte or non-ASCII reached the terminal */
	/* Each input byte becomes at most 4 ("\xNN"). */
	if (max && len > 4 * max)
		abort();
	free(out);
}

/* The folded and label forms of s: one frame, one label value. */
static void check_frame_and_label(const char *s)
{
	char *out = NULL, *dup;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		abort();
	bw_folded_str(f, s, 0);
	fclose(f);
	for (i = 0; i < len; i++)
		if (out[i] < 0x20 || out[i] > 0x7e || out[i] == ';')
			abort(); /* a frame would split, or a line break */
	free(out);
	out = NULL;
	f = open_memstream(&out, &len);
	if (!f)
		abort();
	bw_text_str(f, s, 0);
	fclose(f);
	dup = bw_text_dup(s);
	if (!dup || strcmp(dup, out))
		abort(); /* pprof's strings are the text report's */
	free(dup);
	free(out);
	out = NULL;
	f = open_memstream(&out, &len);
	if (!f)
		abort();
	bw_prom_label_str(f, s, 0);
	fclose(f);
	for (i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size), *d1, *d2;
	size_t i, ascii = 1;

	d1 = json_roundtrip(s);
	d2 = json_roundtrip(d1);
	if (strcmp(d1, d2))
		abort(); /* escaping is not stable */
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] >= 0x80)
			ascii = 0;
	if (ascii && strcmp(s, d1))
		abort(); /* ASCII must come back unchanged */
	check_text(s, 0);
	check_text(s, size % 17);
	check_frame_and_label(s);
	/* "At most max bytes of s": a field of max bytes need not end in NUL. */
	if (size) {
		char *raw = malloc(size), *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);

		if (!raw || !f)
			abort();
		memcpy(raw, data, size);
		bw_text_str(f, raw, size);
		fclose(f);
		free(out);
		free(raw);
	}
	free(d1);
	free(d2);
	free(s);
	return 0;
}
