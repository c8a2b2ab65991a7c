/*
 * test_mail.c: mail.c -- subjects and display names as RFC 2047 B words
 * (decoded here word by word: each must be valid UTF-8 on its own, so no
 * character is split), plain ASCII left plain, the Date header, the
 * Message-ID and boundary derived from the key, both base64 parts decoded
 * back to their bodies, CRLF and 78 columns everywhere, and every reject.
 *
 * The test has its own base64 decoder, UTF-8 check and header unfolding,
 * so that nothing of mail.c checks mail.c.  The Date rows were computed
 * apart: Python's email.utils.format_datetime on a hand-written UTC time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alerts/alerts.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define BIG      (2 * 1024 * 1024)

/* The subject from the brief: 35 characters, 93 bytes. */
#define ZH "【重大】九龙岗镇煤矿瓦斯爆炸：5小时权威发布 剩余1小时"

/* 2026-11-27T03:00:00Z, 11:00 in Beijing */
#define T0 1795748400000LL

static const struct mail_addr base_to[] = {
    {"张伟", "zhang@example.org"},
};

/* A valid message; each test changes what it is about. */
static struct mail_msg
base_msg(void)
{
	struct mail_msg m;

	memset(&m, 0, sizeof(m));
	m.from.name = "舆情监测";
	m.from.addr = "yq@alerts.example.org";
	m.to = base_to;
	m.nto = NELEM(base_to);
	m.subject = ZH;
	m.text = "正文";
	m.textlen = strlen(m.text);
	m.html = "<p>正文</p>";
	m.htmllen = strlen(m.html);
	m.time_ms = T0;
	m.utc_offset_min = 480;
	m.key = "inc:1234:release:warn-1h:zhang:email";
	m.msgid_domain = "yq.example.org";
	return m;
}

/* Helpers --------------------------------------------------------------- */

static int
b64_value(int c)
{
	const char *t =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(t, c) : NULL;

	return p != NULL ? (int)(p - t) : -1;
}

/* Strict base64 (length a multiple of 4, padding only at the end),
 * appended to out at *on; -1 if malformed. */
static int
b64_decode(const char *s, size_t n, char *out, size_t *on)
{
	size_t i, k;
	int v[4];

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		for (k = 0; k < 4; k++)
			v[k] = b64_value(s[i + k]);
		if (v[0] < 0 || v[1] < 0)
			return -1;
		if (v[2] < 0 && (s[i + 2] != '=' || s[i + 3] != '='))
			return -1;
		if (v[3] < 0 && s[i + 3] != '=')
			return -1;
		if ((v[2] < 0 || v[3] < 0) && i + 4 != n)
			return -1;
		out[(*on)++] = (char)(v[0] << 2 | v[1] >> 4);
		if (v[2] >= 0)
			out[(*on)++] = (char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (v[3] >= 0)
			out[(*on)++] = (char)((v[2] & 0x3) << 6 | v[3]);
	}
	return 0;
}

/* Valid UTF-8: no overlong forms, surrogates or truncated sequences. */
static int
utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len, k;
	unsigned long cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			len = 3;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4;
		else
			return 0;
		if (n - i < len)
			return 0;
		cp = s[i] & (0x7f >> len);
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* CRLF only, 7-bit, every line within max columns, ending in CRLF. */
static void
check_lines(const char *msg, size_t len, size_t max)
{
	size_t i, col = 0;

	assert_true(len >= 2);
	assert_memory_equal(msg + len - 2, "\r\n", 2);
	for (i = 0; i < len; i++) {
		assert_true(msg[i] != '\0' && (unsigned char)msg[i] < 0x80);
		if (msg[i] == '\r') {
			assert_int_equal(msg[i + 1], '\n');
			assert_true(col <= max);
			col = 0;
			i++;
		} else {
			assert_true(msg[i] != '\n');
			col++;
		}
	}
}

static char *
compose(const struct mail_msg *m, size_t *len)
{
	char err[MAIL_ERR_MAX] = "", *out = NULL;

	if (mail_compose(m, &out, len, err, sizeof(err)) != 0)
		fail_msg("mail_compose: %s", err);
	assert_non_null(out);
	assert_int_equal(strlen(out), *len);
	return out;
}

/* The unfolded value of header name (after its colon), in the header
 * section only; NULL if absent.  The caller frees it. */
static char *
header(const char *msg, const char *name)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p = msg, *eol;
	size_t nl = strlen(name), n = 0;
	char *v;

	assert_non_null(end);
	while (p < end && !(strncmp(p, name, nl) == 0 && p[nl] == ':'))
		p = strstr(p, "\r\n") + 2;
	if (p >= end)
		return NULL;
	v = calloc(1, (size_t)(end - p) + 1);
	assert_non_null(v);
	p += nl + 1;
	for (;;) {
		eol = strstr(p, "\r\n");
		memcpy(v + n, p, (size_t)(eol - p));
		n += (size_t)(eol - p);
		p = eol + 2;
		if (p >= end || (*p != ' ' && *p != '\t'))
			break;
	}
	return v;
}

/* Decode a run of whitespace-separated encoded-words into out; each one
 * is checked for form, length and UTF-8 validity on its own.  Returns
 * the number of words. */
static int
decode_words(const char *s, char *out, size_t *on)
{
	const char *tok, *end;
	size_t n;
	int words = 0;

	*on = 0;
	for (tok = s; *tok != '\0'; tok = end) {
		tok += strspn(tok, " \t");
		if (*tok == '\0')
			break;
		end = tok + strcspn(tok, " \t");
		n = (size_t)(end - tok);
		assert_true(n <= 75);
		assert_true(n > 12 && strncmp(tok, "=?UTF-8?B?", 10) == 0);
		assert_memory_equal(end - 2, "?=", 2);
		{
			size_t before = *on;

			assert_int_equal(b64_decode(tok + 10, n - 12, out, on),
			                 0);
			assert_true(utf8_valid(out + before, *on - before));
		}
		words++;
	}
	out[*on] = '\0';
	return words;
}

/* An unstructured value as written: all encoded-words, or plain text. */
static int
decode_unstructured(const char *v, char *out)
{
	size_t n;

	if (*v == ' ')
		v++;
	if (strncmp(v, "=?", 2) == 0)
		return decode_words(v, out, &n);
	strcpy(out, v);
	return 0;
}

/* "phrase <addr>" or "addr" back into name and addr. */
static void
decode_mailbox(const char *s, char *name, char *addr)
{
	const char *lt, *end;
	size_t n = 0, i;

	s += strspn(s, " ");
	end = s + strlen(s);
	name[0] = '\0';
	if (end == s || end[-1] != '>') {
		strcpy(addr, s);
		return;
	}
	lt = strrchr(s, '<');
	assert_non_null(lt);
	memcpy(addr, lt + 1, (size_t)(end - lt - 2));
	addr[end - lt - 2] = '\0';
	while (lt > s && lt[-1] == ' ')
		lt--;
	if (*s == '"') {
		for (i = 1; s + i < lt - 1; i++) {
			if (s[i] == '\\')
				i++;
			name[n++] = s[i];
		}
		name[n] = '\0';
	} else if (strncmp(s, "=?", 2) == 0) {
		char tmp[1024];

		memcpy(tmp, s, (size_t)(lt - s));
		tmp[lt - s] = '\0';
		decode_words(tmp, name, &n);
	} else {
		memcpy(name, s, (size_t)(lt - s));
		name[lt - s] = '\0';
	}
}

/* The next mailbox of an address list into buf; commas inside quotes or
 * angle brackets do not count.  Returns where the next one starts. */
static const char *
next_mailbox(const char *s, char *buf)
{
	int quoted = 0, angle = 0;
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (quoted && *s == '\\') {
			buf[n++] = *s++;
		} else if (*s == '"') {
			quoted = !quoted;
		} else if (!quoted && (*s == '<' || *s == '>')) {
			angle = *s == '<';
		} else if (!quoted && !angle && *s == ',') {
			s++;
			break;
		}
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return s;
}

/*
 * The two parts: checks the multipart structure and each part's headers,
 * and decodes the base64 (76-column lines) into text and html.
 */
static void
decode_parts(const char *msg, char *text, size_t *tn, char *html, size_t *hn)
{
	static const char *const types[] = {"text/plain", "text/html"};
	char *ct = header(msg, "Content-Type"), want[128], delim[64];
	const char *p, *body, *next, *eol;
	char *outs[] = {text, html};
	size_t *lens[] = {tn, hn}, i;

	assert_non_null(ct);
	assert_int_equal(
	    strncmp(ct, " multipart/alternative; boundary=\"=_", 36), 0);
	snprintf(delim, sizeof(delim), "\r\n--%s", strchr(ct, '"') + 1);
	delim[strlen(delim) - 1] = '\0'; /* the closing quote */
	p = strstr(msg, "\r\n\r\n") + 2;
	for (i = 0; i < 2; i++) {
		assert_memory_equal(p, delim, strlen(delim));
		p += strlen(delim);
		snprintf(want, sizeof(want),
		         "\r\nContent-Type: %s; charset=UTF-8\r\n"
		         "Content-Transfer-Encoding: base64\r\n\r\n",
		         types[i]);
		assert_memory_equal(p, want, strlen(want));
		body = p + strlen(want);
		next = strstr(body - 2, delim);
		assert_non_null(next);
		*lens[i] = 0;
		for (p = body; p < next; p = eol + 2) {
			eol = strstr(p, "\r\n");
			assert_true(eol - p <= 76);
			assert_int_equal(
			    b64_decode(p, (size_t)(eol - p), outs[i], lens[i]),
			    0);
		}
		p = next;
	}
	assert_memory_equal(p, delim, strlen(delim));
	assert_string_equal(p + strlen(delim), "--\r\n");
	free(ct);
}

/* "aaaaaaaaaa@" and a domain of 63-character labels, len bytes in all. */
static void
make_addr(char *buf, size_t len)
{
	size_t i;

	memset(buf, 'a', 10);
	buf[10] = '@';
	for (i = 11; i < len; i++)
		buf[i] = (i - 11) % 64 == 63 ? '.' : 'b';
	buf[len] = '\0';
}

/* Subjects ------------------------------------------------------------- */

struct subject_case {
	const char *subject;
	int min_words; /* encoded-words expected at least; 0: written plain */
};

static const struct subject_case subject_cases[] = {
    {ZH, 2},
    {ZH ZH ZH ZH ZH ZH ZH, 13},
    {"Plain ASCII alert: Jiulonggang mine, 5 hours in", 0},
    {"", 0},
    {"Too many words to fit on one line, so they are folded at the "
     "spaces between them and nowhere else; unfolding gives back the "
     "subject exactly as it was given, character for character, "
     "including punctuation (like this) and \"quotes\".",
     0},
    {"x=?UTF-8?B?Zm9v?= looks encoded", 1},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     2},
    {" leading space", 1},
    {"trailing space ", 1},
    {"two  spaces", 1},
    {"tab\there", 1},
    {"Café résumé naïve", 1},
    {"🚨告警🔥 alert 🚨🚨🚨🚨🚨🚨🚨🚨🚨🚨🚨🚨🚨🚨🚨🚨🚨🚨🚨🚨 end", 2},
    {"a中b文c字d", 1},
};

static void
test_subjects(void **state)
{
	struct mail_msg m = base_msg();
	char *msg, *v, out[4096];
	size_t i, len;
	int words;

	(void)state;
	for (i = 0; i < NELEM(subject_cases); i++) {
		m.subject = subject_cases[i].subject;
		msg = compose(&m, &len);
		check_lines(msg, len, 78);
		v = header(msg, "Subject");
		assert_non_null(v);
		words = decode_unstructured(v, out);
		assert_string_equal(out, m.subject);
		if (subject_cases[i].min_words == 0)
			assert_int_equal(words, 0);
		else if (words < subject_cases[i].min_words)
			fail_msg("subject %zu: %d words", i, words);
		free(v);
		free(msg);
	}
}

/* The longest subject allowed: 333 three-byte characters and one byte. */
static void
test_subject_max(void **state)
{
	struct mail_msg m = base_msg();
	char subject[MAIL_SUBJECT_MAX + 1], out[4096], *msg, *v;
	size_t i, len;

	(void)state;
	for (i = 0; i + 3 <= MAIL_SUBJECT_MAX; i += 3)
		memcpy(subject + i, "煤", 3);
	subject[i++] = '!';
	subject[i] = '\0';
	assert_int_equal(strlen(subject), MAIL_SUBJECT_MAX);
	m.subject = subject;
	msg = compose(&m, &len);
	check_lines(msg, len, 78);
	v = header(msg, "Subject");
	assert_true(decode_unstructured(v, out) >= 20);
	assert_string_equal(out, subject);
	free(v);
	free(msg);
}

/* Display names -------------------------------------------------------- */

struct name_case {
	const char *name; /* NULL and "" both give a bare address */
	const char *form; /* how the header must start: "\"", "=?", or "" */
};

static const struct name_case name_cases[] = {
    {"Zhang Wei", "Z"},
    {"O'Brien ops-team", "O"},
    {"Wei, Zhang (ops)", "\""},
    {"Say \"hi\" \\o/", "\""},
    {"张伟", "=?"},
    {"舆情监测值班室（九龙岗镇煤矿瓦斯爆炸事件专班）联络人张伟同志", "=?"},
    {"A组：舆情监测值班室（九龙岗镇煤矿瓦斯爆炸事件专班）联络人", "=?"},
    {"=?UTF-8?B?Zm9v?=", "=?"},
    {"Zhang.Wei has a very long name that needs more than one line", "=?"},
    {"", "y"},
    {NULL, "y"},
};

static void
test_names(void **state)
{
	struct mail_msg m = base_msg();
	char name[1024], addr[300], *msg, *v;
	size_t i, len;

	(void)state;
	for (i = 0; i < NELEM(name_cases); i++) {
		m.from.name = name_cases[i].name;
		msg = compose(&m, &len);
		check_lines(msg, len, 78);
		v = header(msg, "From");
		assert_non_null(v);
		assert_int_equal(strncmp(v + 1, name_cases[i].form,
		                         strlen(name_cases[i].form)),
		                 0);
		decode_mailbox(v, name, addr);
		assert_string_equal(name, m.from.name ? m.from.name : "");
		assert_string_equal(addr, m.from.addr);
		free(v);
		free(msg);
	}
}

/* Several recipients, names with commas and quotes included. */
static void
test_recipients(void **state)
{
	static const struct mail_addr to[] = {
	    {"张伟", "zhang@example.org"},
	    {"Li, Na", "li.na@example.org"},
	    {NULL, "ops+yq@example.org"},
	    {"值班室（夜班）", "duty@example.gov.cn"},
	    {"Wang \"Ops\" Fang", "wang@example.org"},
	};
	struct mail_msg m = base_msg();
	char buf[1024], name[1024], addr[300], *msg, *v;
	const char *p;
	size_t i, len;

	(void)state;
	m.to = to;
	m.nto = NELEM(to);
	msg = compose(&m, &len);
	check_lines(msg, len, 78);
	v = header(msg, "To");
	p = v;
	for (i = 0; i < NELEM(to); i++) {
		assert_true(*p != '\0');
		p = next_mailbox(p, buf);
		decode_mailbox(buf, name, addr);
		assert_string_equal(name, to[i].name ? to[i].name : "");
		assert_string_equal(addr, to[i].addr);
	}
	assert_string_equal(p, "");
	free(v);
	free(msg);
}

/* The most recipients, each with a long name: still 78 columns. */
static void
test_recipients_max(void **state)
{
	static struct mail_addr to[MAIL_TO_MAX];
	static char addrs[MAIL_TO_MAX][32];
	struct mail_msg m = base_msg();
	char buf[1024], name[1024], addr[300], *msg, *v;
	const char *p;
	size_t i, len;

	(void)state;
	for (i = 0; i < MAIL_TO_MAX; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "user%zu@example.org", i);
		to[i].addr = addrs[i];
		to[i].name = name_cases[i % NELEM(name_cases)].name;
	}
	m.to = to;
	m.nto = MAIL_TO_MAX;
	msg = compose(&m, &len);
	check_lines(msg, len, 78);
	v = header(msg, "To");
	for (p = v, i = 0; *p != '\0'; i++) {
		p = next_mailbox(p, buf);
		decode_mailbox(buf, name, addr);
		assert_string_equal(name, to[i].name ? to[i].name : "");
		assert_string_equal(addr, to[i].addr);
	}
	assert_int_equal(i, MAIL_TO_MAX);
	free(v);
	free(msg);
}

/* The longest address accepted: alone on its line, within 998. */
static void
test_address_max(void **state)
{
	struct mail_addr to[1];
	struct mail_msg m = base_msg();
	char addr[MAIL_ADDR_MAX + 1], *msg, *v;
	size_t len;

	(void)state;
	make_addr(addr, MAIL_ADDR_MAX);
	to[0].name = "张伟";
	to[0].addr = addr;
	m.to = to;
	m.nto = 1;
	msg = compose(&m, &len);
	check_lines(msg, len, 998);
	v = header(msg, "To");
	assert_non_null(strstr(v, addr));
	free(v);
	free(msg);
}

/* Date ------------------------------------------------------------------ */

struct date_case {
	int64_t ms;
	int off;
	const char *want;
};

static const struct date_case date_cases[] = {
    {T0, 480, "Fri, 27 Nov 2026 11:00:00 +0800"},
    {0, 0, "Thu, 01 Jan 1970 00:00:00 +0000"},
    {0, -300, "Wed, 31 Dec 1969 19:00:00 -0500"},
    {1709222399999LL, 480, "Thu, 29 Feb 2024 23:59:59 +0800"},
    {1709222400000LL, 480, "Fri, 01 Mar 2024 00:00:00 +0800"},
    {951868800000LL, 330, "Wed, 01 Mar 2000 05:30:00 +0530"},
    {253402300799999LL, 0, "Fri, 31 Dec 9999 23:59:59 +0000"},
    {2147483648000LL, -720, "Mon, 18 Jan 2038 15:14:08 -1200"},
};

static void
test_dates(void **state)
{
	struct mail_msg m = base_msg();
	char *msg, *v;
	size_t i, len;

	(void)state;
	for (i = 0; i < NELEM(date_cases); i++) {
		m.time_ms = date_cases[i].ms;
		m.utc_offset_min = date_cases[i].off;
		msg = compose(&m, &len);
		v = header(msg, "Date");
		assert_non_null(v);
		assert_string_equal(v + 1, date_cases[i].want);
		free(v);
		free(msg);
	}
}

/* Message-ID and boundary ---------------------------------------------- */

/* <dot-atom-text@domain>, and the line within 78 columns. */
static void
check_msgid(const char *id, const char *domain)
{
	const char *at = strchr(id, '@');
	const char *p;

	assert_non_null(at);
	assert_true(id[0] == '<' && id[1] != '.' && at[-1] != '.');
	for (p = id + 1; p < at; p++) {
		assert_true(*p != '.' || p[1] != '.');
		assert_true(*p == '.' || strchr("!#$%&'*+-/=?^_`{|}~", *p) ||
		            (*p >= 'a' && *p <= 'z') ||
		            (*p >= 'A' && *p <= 'Z') ||
		            (*p >= '0' && *p <= '9'));
	}
	assert_memory_equal(at + 1, domain, strlen(domain));
	assert_string_equal(at + 1 + strlen(domain), ">");
}

static void
test_message_id(void **state)
{
	static const char *const keys[] = {
	    "inc:1234:release:warn-1h:zhang:email",
	    "inc:1234:release:warn-1h:li:email",
	    "inc:1234:release:warn-2h:zhang:email",
	    "x",
	    "::::",
	    "张伟:\r\n<>@ \"\\",
	};
	struct mail_msg m = base_msg();
	char *msg, *again, *id, *id2, *ct, *ct2, *seen[NELEM(keys)];
	char api[MAIL_MSGID_MAX];
	size_t i, k, len;

	(void)state;
	for (i = 0; i < NELEM(keys); i++) {
		m.key = keys[i];
		m.subject = i % 2 ? "other subject" : ZH;
		msg = compose(&m, &len);
		check_lines(msg, len, 78);
		id = header(msg, "Message-ID");
		ct = header(msg, "Content-Type");
		check_msgid(id + 1, m.msgid_domain);
		assert_int_equal(
		    mail_message_id(keys[i], m.msgid_domain, api, sizeof(api)),
		    0);
		assert_string_equal(id + 1, api);
		/* the same key, other content: the same id and boundary */
		m.subject = "changed";
		m.time_ms += 60000;
		again = compose(&m, &len);
		id2 = header(again, "Message-ID");
		ct2 = header(again, "Content-Type");
		assert_string_equal(id, id2);
		assert_string_equal(ct, ct2);
		for (k = 0; k < i; k++)
			assert_string_not_equal(id, seen[k]);
		seen[i] = id;
		free(id2);
		free(ct);
		free(ct2);
		free(msg);
		free(again);
	}
	/* the readable part, cut to keep the line within 78 columns */
	assert_non_null(strstr(seen[0], "<yq.inc.1234.release.warn-1h.zhan."));
	for (i = 0; i < NELEM(keys); i++)
		free(seen[i]);
}

/* msgid_domain NULL: the From domain; a long domain: still valid. */
static void
test_message_id_domain(void **state)
{
	const char *longdom = "a-rather-long-subdomain.of-the-alerting-service."
	                      "example.org";
	struct mail_msg m = base_msg();
	char *msg, *id;
	size_t len;

	(void)state;
	m.msgid_domain = NULL;
	msg = compose(&m, &len);
	id = header(msg, "Message-ID");
	check_msgid(id + 1, "alerts.example.org");
	free(id);
	free(msg);
	m.msgid_domain = longdom;
	msg = compose(&m, &len);
	check_lines(msg, len, 998);
	id = header(msg, "Message-ID");
	check_msgid(id + 1, longdom);
	free(id);
	free(msg);
}

/* Bodies ---------------------------------------------------------------- */

struct body_case {
	const char *text, *html;
	size_t textlen, htmllen; /* 0: strlen */
};

static const struct body_case body_cases[] = {
    {"九龙岗镇煤矿瓦斯爆炸\r\n距权威发布时限还剩 1 小时。\r\n",
     "<html><body><h1>【重大】</h1><p>距权威发布时限还剩 1 小时。</p>"
     "</body></html>",
     0, 0},
    {"", "", 0, 0},
    {NULL, NULL, 0, 0},
    {"123456789012345678901234567890123456789012345678901234567", "x", 0, 0},
    {"1234567890123456789012345678901234567890123456789012345678", "xy", 0, 0},
    {"--=_yq.0123456789abcdef\r\n--=_yq.0123456789abcdef--\r\n",
     "=_=_=_=_ ==== \n\n\r\r", 0, 0},
    {"NUL\0inside", "\0\xff\xfe raw bytes", 10, 13},
};

static void
test_bodies(void **state)
{
	struct mail_msg m = base_msg();
	char *msg, *text = malloc(BIG), *html = malloc(BIG);
	size_t i, len, tn, hn;

	(void)state;
	assert_non_null(text);
	assert_non_null(html);
	for (i = 0; i < NELEM(body_cases); i++) {
		m.text = body_cases[i].text;
		m.html = body_cases[i].html;
		m.textlen = body_cases[i].textlen;
		if (m.textlen == 0 && m.text != NULL)
			m.textlen = strlen(m.text);
		m.htmllen = body_cases[i].htmllen;
		if (m.htmllen == 0 && m.html != NULL)
			m.htmllen = strlen(m.html);
		msg = compose(&m, &len);
		check_lines(msg, len, 78);
		decode_parts(msg, text, &tn, html, &hn);
		assert_int_equal(tn, m.textlen);
		assert_int_equal(hn, m.htmllen);
		if (tn > 0)
			assert_memory_equal(text, m.text, tn);
		if (hn > 0)
			assert_memory_equal(html, m.html, hn);
		free(msg);
	}
	free(text);
	free(html);
}

/* Both bodies at MAIL_BODY_MAX: within MAIL_OUT_MAX, decoded back. */
static void
test_bodies_max(void **state)
{
	struct mail_msg m = base_msg();
	char *msg, *body = malloc(MAIL_BODY_MAX), *text = malloc(BIG),
	           *html = malloc(BIG);
	size_t i, len, tn, hn;

	(void)state;
	assert_true(body != NULL && text != NULL && html != NULL);
	for (i = 0; i < MAIL_BODY_MAX; i++)
		body[i] = "煤矿\n"[i % 7];
	m.text = m.html = body;
	m.textlen = m.htmllen = MAIL_BODY_MAX;
	msg = compose(&m, &len);
	assert_true(len < MAIL_OUT_MAX);
	check_lines(msg, len, 78);
	decode_parts(msg, text, &tn, html, &hn);
	assert_int_equal(tn, MAIL_BODY_MAX);
	assert_int_equal(hn, MAIL_BODY_MAX);
	assert_memory_equal(text, body, tn);
	assert_memory_equal(html, body, hn);
	free(msg);
	free(body);
	free(text);
	free(html);
}

/* The fixed headers. */
static void
test_headers(void **state)
{
	struct mail_msg m = base_msg();
	char *msg, *v;
	size_t len;

	(void)state;
	msg = compose(&m, &len);
	v = header(msg, "MIME-Version");
	assert_string_equal(v, " 1.0");
	free(v);
	v = header(msg, "Auto-Submitted");
	assert_string_equal(v, " auto-generated");
	free(v);
	assert_null(header(msg, "Bcc"));
	free(msg);
}

/* Rejects --------------------------------------------------------------- */

enum field {
	F_FROM_ADDR,
	F_FROM_NAME,
	F_TO_ADDR,
	F_TO_NAME,
	F_SUBJECT,
	F_KEY,
	F_DOMAIN,
	F_TEXT,
	F_HTML,
	F_TIME,
	F_OFFSET,
	F_NTO,
};

struct reject_case {
	enum field f;
	const char *s;    /* the new value of a string field */
	long long n;      /* the new value of a number (body: its length) */
	const char *want; /* in the reason */
};

static char long_subject[MAIL_SUBJECT_MAX + 2];
static char long_name[MAIL_NAME_MAX + 2];
static char long_addr[MAIL_ADDR_MAX + 2];
static char long_local[80];
static char long_key[MAIL_KEY_MAX + 2];

static const struct reject_case reject_cases[] = {
    {F_SUBJECT, "alert\r\nBcc: evil@example.com", 0, "subject contains a line"},
    {F_SUBJECT, "alert\nBcc: evil@example.com", 0, "subject contains a line"},
    {F_SUBJECT, "alert\rx", 0, "subject contains a line break"},
    {F_SUBJECT, "报警\r\n", 0, "subject contains a line break"},
    {F_SUBJECT, long_subject, 0, "subject is longer than 1000 bytes"},
    {F_SUBJECT, "bell\a", 0, "subject contains a control character"},
    {F_SUBJECT, "del\x7f", 0, "subject contains a control character"},
    {F_SUBJECT, "cut \xe4\xb8", 0, "subject is not valid UTF-8"},
    {F_SUBJECT, "overlong \xc0\xaf", 0, "subject is not valid UTF-8"},
    {F_SUBJECT, "surrogate \xed\xa0\x80", 0, "subject is not valid UTF-8"},
    {F_SUBJECT, "\xff", 0, "subject is not valid UTF-8"},
    {F_SUBJECT, "gbk \xc3\xba\xbf\xf3", 0, "subject is not valid UTF-8"},
    {F_SUBJECT, NULL, 0, "subject is missing"},
    {F_FROM_NAME, "x\r\nBcc: evil@example.com", 0, "from name contains a"},
    {F_FROM_NAME, long_name, 0, "from name is longer than 256 bytes"},
    {F_TO_NAME, "\xe5\xbc\xa0\xe4", 0, "to[1] name is not valid UTF-8"},
    {F_TO_NAME, "a\nb", 0, "to[1] name contains a line break"},
    {F_FROM_ADDR, "yq@example.org\r\nBcc: evil@example.com", 0,
     "from address is not"},
    {F_FROM_ADDR, NULL, 0, "from address is not a plausible addr-spec"},
    {F_TO_ADDR, "", 0, "to[1] address is not a plausible addr-spec"},
    {F_TO_ADDR, "a b@example.org", 0, "to[1] address"},
    {F_TO_ADDR, "a@b@example.org", 0, "to[1] address"},
    {F_TO_ADDR, "@example.org", 0, "to[1] address"},
    {F_TO_ADDR, "zhang@", 0, "to[1] address"},
    {F_TO_ADDR, "zhang", 0, "to[1] address"},
    {F_TO_ADDR, "zhang..wei@example.org", 0, "to[1] address"},
    {F_TO_ADDR, ".zhang@example.org", 0, "to[1] address"},
    {F_TO_ADDR, "zhang.@example.org", 0, "to[1] address"},
    {F_TO_ADDR, "zhang@example..org", 0, "to[1] address"},
    {F_TO_ADDR, "zhang@example.org.", 0, "to[1] address"},
    {F_TO_ADDR, "zhang@exa_mple.org", 0, "to[1] address"},
    {F_TO_ADDR, "<zhang@example.org>", 0, "to[1] address"},
    {F_TO_ADDR, "zhang@example.org, evil@example.com", 0, "to[1] address"},
    {F_TO_ADDR, "\"zhang wei\"@example.org", 0, "to[1] address"},
    {F_TO_ADDR, "张伟@example.org", 0, "to[1] address"},
    {F_TO_ADDR, "zhang@[127.0.0.1]", 0, "to[1] address"},
    {F_TO_ADDR, "zhang@example.org\n", 0, "to[1] address"},
    {F_TO_ADDR, "zhang\t@example.org", 0, "to[1] address"},
    {F_TO_ADDR, long_addr, 0, "to[1] address"},
    {F_TO_ADDR, long_local, 0, "to[1] address"},
    {F_TO_ADDR, NULL, 0, "to[1] address"},
    {F_NTO, NULL, 0, "recipients must number 1 to 100"},
    {F_NTO, NULL, MAIL_TO_MAX + 1, "recipients must number 1 to 100"},
    {F_TEXT, NULL, MAIL_BODY_MAX + 1, "text body is larger than 1048576"},
    {F_HTML, NULL, MAIL_BODY_MAX + 1, "html body is larger than 1048576"},
    {F_TEXT, NULL, -5, "text body is missing"},
    {F_TIME, NULL, -1, "send time is out of range"},
    {F_TIME, NULL, 253402300800000LL, "send time is out of range"},
    {F_OFFSET, NULL, 1440, "utc offset is out of range"},
    {F_OFFSET, NULL, -1440, "utc offset is out of range"},
    {F_KEY, "", 0, "idempotency key or message-id domain"},
    {F_KEY, NULL, 0, "idempotency key or message-id domain"},
    {F_KEY, long_key, 0, "idempotency key or message-id domain"},
    {F_DOMAIN, "bad domain", 0, "idempotency key or message-id domain"},
    {F_DOMAIN, "yq..example.org", 0, "idempotency key or message-id domain"},
    {F_DOMAIN, "", 0, "idempotency key or message-id domain"},
};

static int
setup_rejects(void **state)
{
	(void)state;
	memset(long_subject, 'a', MAIL_SUBJECT_MAX + 1);
	memset(long_name, 'n', MAIL_NAME_MAX + 1);
	make_addr(long_addr, MAIL_ADDR_MAX + 1);
	memset(long_local, 'l', 65);
	strcpy(long_local + 65, "@b.cn");
	memset(long_key, 'k', MAIL_KEY_MAX + 1);
	return 0;
}

/* Apply one reject case to m (whose to[] is the caller's tos). */
static void
apply(struct mail_msg *m, struct mail_addr *tos, const struct reject_case *c,
      const char *body)
{
	switch (c->f) {
	case F_FROM_ADDR:
		m->from.addr = c->s;
		break;
	case F_FROM_NAME:
		m->from.name = c->s;
		break;
	case F_TO_ADDR:
		tos[1].addr = c->s;
		break;
	case F_TO_NAME:
		tos[1].name = c->s;
		break;
	case F_SUBJECT:
		m->subject = c->s;
		break;
	case F_KEY:
		m->key = c->s;
		break;
	case F_DOMAIN:
		m->msgid_domain = c->s;
		break;
	case F_TEXT:
	case F_HTML:
		if (c->f == F_TEXT) {
			m->text = c->n < 0 ? NULL : body;
			m->textlen = (size_t)(c->n < 0 ? -c->n : c->n);
		} else {
			m->html = body;
			m->htmllen = (size_t)c->n;
		}
		break;
	case F_TIME:
		m->time_ms = c->n;
		break;
	case F_OFFSET:
		m->utc_offset_min = (int)c->n;
		break;
	case F_NTO:
		m->nto = (size_t)c->n;
		break;
	}
}

static void
test_rejects(void **state)
{
	struct mail_addr tos[MAIL_TO_MAX + 1];
	struct mail_msg m;
	char err[MAIL_ERR_MAX], *out, *body = calloc(1, MAIL_BODY_MAX + 1);
	size_t i, k, len;

	(void)state;
	assert_non_null(body);
	assert_int_equal(strlen(long_addr), MAIL_ADDR_MAX + 1);
	for (i = 0; i < NELEM(reject_cases); i++) {
		for (k = 0; k < NELEM(tos); k++) {
			tos[k].name = "Li Na";
			tos[k].addr = "li.na@example.org";
		}
		m = base_msg();
		m.to = tos;
		m.nto = 2;
		apply(&m, tos, &reject_cases[i], body);
		out = (char *)&m; /* must be reset */
		len = 99;
		strcpy(err, "untouched");
		if (mail_compose(&m, &out, &len, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted", i);
		assert_null(out);
		assert_int_equal(len, 0);
		if (strstr(err, reject_cases[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
			         reject_cases[i].want);
		/* no reason wanted: still -1, nothing written */
		assert_int_equal(mail_compose(&m, &out, &len, NULL, 0), -1);
		assert_null(out);
	}
	free(body);
}

/* A missing To list, and the reason cut to a small err buffer. */
static void
test_reject_args(void **state)
{
	struct mail_msg m = base_msg();
	char err[8], *out;
	size_t len;

	(void)state;
	m.to = NULL;
	assert_int_equal(mail_compose(&m, &out, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "recipie");
	m = base_msg();
	assert_int_equal(
	    mail_message_id(m.key, "yq.example.org", err, sizeof(err)), -1);
	assert_int_equal(mail_message_id(m.key, NULL, err, sizeof(err)), -1);
}

/* An attachment: multipart/mixed around the alternative, the CSV part
 * decodes back byte for byte; bad names and too many are refused. */
static void
test_attachments(void **state)
{
	static const char csv[] =
	    "milestone,rate\r\nrelease,50.0\r\n\"a,b\",1\r\n";
	struct mail_attachment att = {"report-2026-W48.csv", "text/csv", csv,
	                              sizeof(csv) - 1};
	struct mail_msg m = base_msg();
	char *msg, *ct, delim[80], out[256], err[MAIL_ERR_MAX];
	const char *p, *body, *end, *eol;
	size_t len, on = 0;

	(void)state;
	m.att = &att;
	m.natt = 1;
	msg = compose(&m, &len);
	ct = header(msg, "Content-Type");
	assert_non_null(ct);
	assert_int_equal(strncmp(ct, " multipart/mixed; boundary=\"=_", 30), 0);
	snprintf(delim, sizeof(delim), "--%s", strchr(ct, '"') + 1);
	delim[strlen(delim) - 1] = '\0';
	/* the alternative comes first, inside */
	p = strstr(msg, delim);
	assert_non_null(p);
	assert_non_null(strstr(p, "Content-Type: multipart/alternative; "
	                          "boundary=\"=_"));
	p = strstr(msg, "Content-Disposition: attachment; "
	                "filename=\"report-2026-W48.csv\"\r\n");
	assert_non_null(p);
	assert_non_null(strstr(msg, "Content-Type: text/csv; charset=UTF-8; "
	                            "name=\"report-2026-W48.csv\""));
	body = strstr(p, "\r\n\r\n") + 4;
	end = strstr(body, delim);
	assert_non_null(end);
	for (p = body; p < end - 2; p = eol + 2) {
		eol = strstr(p, "\r\n");
		assert_int_equal(b64_decode(p, (size_t)(eol - p), out, &on), 0);
	}
	assert_int_equal(on, sizeof(csv) - 1);
	assert_memory_equal(out, csv, on);
	snprintf(out, sizeof(out), "%s--\r\n", delim);
	assert_string_equal(msg + len - strlen(out), out);
	check_lines(msg, len, 78);
	free(ct);
	free(msg);

	att.name = "../etc/passwd";
	assert_int_equal(mail_compose(&m, &msg, &len, err, sizeof(err)), -1);
	att.name = "a b.csv";
	assert_int_equal(mail_compose(&m, &msg, &len, err, sizeof(err)), -1);
	att.name = "ok.csv";
	att.type = "text/csv\r\nX: y";
	assert_int_equal(mail_compose(&m, &msg, &len, err, sizeof(err)), -1);
	att.type = "text/csv";
	m.natt = MAIL_ATT_MAX + 1;
	assert_int_equal(mail_compose(&m, &msg, &len, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_subjects),
	    cmocka_unit_test(test_subject_max),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_recipients),
	    cmocka_unit_test(test_recipients_max),
	    cmocka_unit_test(test_address_max),
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_message_id),
	    cmocka_unit_test(test_message_id_domain),
	    cmocka_unit_test(test_bodies),
	    cmocka_unit_test(test_bodies_max),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_attachments),
	    cmocka_unit_test_setup(test_rejects, setup_rejects),
	    cmocka_unit_test(test_reject_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
