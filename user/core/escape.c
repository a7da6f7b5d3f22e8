// SPDX-License-Identifier: GPL-2.0
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/escape.h"

size_t bw_utf8_len(const unsigned char *s, size_t avail, bool no_c1)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if (i >= avail || (s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (no_c1 && cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

void bw_json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t len;

	fputc('"', f);
	while (*s) {
		const unsigned char *run = s;

		/* What needs no escape goes out in one write: names are mostly that. */
		while (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
			s++;
		if (s > run) {
			fwrite(run, 1, s - run, f);
			continue;
		}
		if (*s == '"' || *s == '\\') {
			fputc('\\', f);
			fputc(*s++, f);
		} else if (*s == '\n') {
			fputs("\\n", f);
			s++;
		} else if (*s == '\t') {
			fputs("\\t", f);
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else if ((len = bw_utf8_len(s, SIZE_MAX, false)) > 0) {
			fwrite(s, 1, len, f);
			s += len;
		} else {
			fprintf(f, "\\u%04x", *s++);
		}
	}
	fputc('"', f);
}

/* The text form of byte c into out (at most 4 bytes); also: more bytes to write as \xNN. */
static size_t text_byte(unsigned char c, const char *also, char *out)
{
	if (c == '\\') {
		out[0] = out[1] = '\\';
		return 2;
	}
	if (c >= 0x20 && c < 0x7f && !(also && strchr(also, c))) {
		out[0] = c;
		return 1;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = "0123456789abcdef"[c >> 4];
	out[3] = "0123456789abcdef"[c & 0xf];
	return 4;
}

static void text_write(FILE *f, const char *str, size_t max, const char *also)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	char esc[4];
	size_t i, len;

	for (i = 0; (!max || i < max) && s[i]; i++) { /* s[max] may be past the field */
		len = text_byte(s[i], also, esc);
		if (len == 1)
			fputc(esc[0], f);
		else
			fwrite(esc, 1, len, f);
	}
}

void bw_text_str(FILE *f, const char *s, size_t max)
{
	text_write(f, s, max, NULL);
}

void bw_folded_str(FILE *f, const char *s, size_t max)
{
	text_write(f, s, max, ";");
}

char *bw_text_dup(const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	char *out = malloc(strlen((const char *)s) * 4 + 1), *p = out;

	if (!out)
		return NULL;
	for (; *s; s++)
		p += text_byte(*s, NULL, p);
	*p = '\0';
	return out;
}

void bw_prom_label_str(FILE *f, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t i = 0, len;

	if (!max)
		max = SIZE_MAX;
	while (i < max && s[i]) {
		if (s[i] == '\\') {
			fputs("\\\\", f);
		} else if (s[i] == '"') {
			fputs("\\\"", f);
		} else if (s[i] == '\n') {
			fputs("\\n", f);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			fprintf(f, "\\\\x%02x", s[i]);
		} else if ((len = bw_utf8_len(s + i, max - i, true)) > 0) {
			fwrite(s + i, 1, len, f);
			i += len;
			continue;
		} else {
			fprintf(f, "\\\\x%02x", s[i]);
		}
		i++;
	}
}
