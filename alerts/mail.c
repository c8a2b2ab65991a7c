/*
 * mail.c: compose the RFC 5322 message for one e-mail alert.  Headers are
 * 7-bit: non-ASCII display names and subjects become RFC 2047 "B"
 * encoded-words in UTF-8, each holding whole characters and folded to
 * 78 columns; the body is multipart/alternative with a text/plain and a
 * text/html part, both base64.  The Message-ID and the boundary come from
 * the alert's idempotency key, so a retried send is the same message.
 * Hostile values (line breaks, control characters, invalid UTF-8,
 * implausible addresses, oversized fields) are rejected, never repaired.
 * Pure code: no I/O, no global state.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"

#define MAIL_LINE      78 /* RFC 5322: lines SHOULD stay within this */
#define MAIL_EW_MAX    75 /* RFC 2047: longest encoded-word */
#define MAIL_EW_EXTRA  12 /* "=?UTF-8?B?" and "?=" around the base64 */
#define MAIL_EW_MIN    20 /* room for one encoded 4-byte character */
#define MAIL_WORD_MAX  60 /* longest plain word written as is */
#define MAIL_B64_RAW   57 /* bytes per 76-column base64 body line */
#define MAIL_ID_PREFIX "Message-ID: <yq."
#define MAIL_ID_HASH   17 /* "." and 16 hex digits */
#define MAIL_ID_TEXT   40 /* longest readable part of a Message-ID */
#define MAIL_TIME_MAX  253402300799999LL /* 9999-12-31T23:59:59.999Z */
#define MAIL_ZONE_MAX  (24 * 60 - 1)     /* +2359 */
#define MAIL_DATE_LEN  128               /* more than the widest Date value */

/* One header field being written, with the column of its current line. */
struct mail_hdr {
	struct text_buf *b;
	size_t col;
	int words; /* words on the current line after the field name */
};

/* How a display name is written. */
enum mail_name_form {
	MAIL_NAME_ATOMS,
	MAIL_NAME_QUOTED,
	MAIL_NAME_ENCODED,
};

static void mail_err(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Write the reason for a failure into err, if the caller gave one. */
static void
mail_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The message is a text_buf capped at MAIL_OUT_MAX; reaching the cap
 * (truncated) fails the message, see mail_compose. */
static void
mail_buf_str(struct text_buf *b, const char *s)
{
	text_buf_add(b, s, strlen(s));
}

/*
 * Base64 of n bytes into out (outsz bytes, 4 * ceil(n / 3) + 1 is
 * enough: callers pass fixed small chunks); returns its length.
 */
static size_t
mail_b64(const char *s, size_t n, char *out, size_t outsz)
{
	if (sign_base64(s, n, out, outsz) == -1)
		return 0;
	return strlen(out);
}

/*
 * Check a header value (subject or display name): at most max bytes, no
 * line breaks, no other control character but TAB, valid UTF-8.  Returns
 * 0, or -1 with the reason, naming the field as what.
 */
static int
mail_check_value(const char *what, const char *s, size_t max, char *err,
                 size_t errlen)
{
	size_t n = strlen(s), i = 0;
	long cp;

	if (n > max) {
		mail_err(err, errlen, "%s is longer than %zu bytes", what, max);
		return -1;
	}
	while (i < n) {
		cp = text_utf8_next(s, n, &i);
		if (cp == '\r' || cp == '\n') {
			mail_err(err, errlen, "%s contains a line break", what);
			return -1;
		}
		if ((cp >= 0 && cp < 0x20 && cp != '\t') || cp == 0x7f) {
			mail_err(err, errlen, "%s contains a control character",
			         what);
			return -1;
		}
		if (cp < 0) {
			mail_err(err, errlen, "%s is not valid UTF-8", what);
			return -1;
		}
	}
	return 0;
}

static int
mail_is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* RFC 5322 atext. */
static int
mail_is_atext(int c)
{
	return mail_is_alnum(c) ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A host name: labels of letters, digits and '-', 1..63 long, <= 253. */
static int
mail_domain_ok(const char *d, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (mail_is_alnum(d[i]) || d[i] == '-') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

/* A dot-atom local part: atext runs joined by single dots, <= 64. */
static int
mail_local_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return 0;
		if (s[i] != '.' && !mail_is_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* A plausible addr-spec: dot-atom@hostname, ASCII, <= MAIL_ADDR_MAX. */
static int
mail_addr_ok(const char *a)
{
	const char *at;
	size_t n;

	if (a == NULL)
		return 0;
	n = strlen(a);
	at = strchr(a, '@');
	if (n > MAIL_ADDR_MAX || at == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	return mail_local_ok(a, (size_t)(at - a)) &&
	       mail_domain_ok(at + 1, n - (size_t)(at - a) - 1);
}

/* Check one mailbox; what names it in the reason ("from", "to[2]"). */
static int
mail_check_mailbox(const char *what, const struct mail_addr *mb, char *err,
                   size_t errlen)
{
	char field[32];

	if (!mail_addr_ok(mb->addr)) {
		mail_err(err, errlen, "%s address is not a plausible addr-spec",
		         what);
		return -1;
	}
	if (mb->name == NULL)
		return 0;
	snprintf(field, sizeof(field), "%s name", what);
	return mail_check_value(field, mb->name, MAIL_NAME_MAX, err, errlen);
}

static int
mail_check_body(const char *what, const char *s, size_t n, char *err,
                size_t errlen)
{
	if (s == NULL && n > 0) {
		mail_err(err, errlen, "%s body is missing", what);
		return -1;
	}
	if (n > MAIL_BODY_MAX) {
		mail_err(err, errlen, "%s body is larger than %d bytes", what,
		         MAIL_BODY_MAX);
		return -1;
	}
	return 0;
}

static int
mail_check_addrs(const struct mail_msg *m, char *err, size_t errlen)
{
	char what[32];
	size_t i;

	if (mail_check_mailbox("from", &m->from, err, errlen) == -1)
		return -1;
	if (m->to == NULL || m->nto == 0 || m->nto > MAIL_TO_MAX) {
		mail_err(err, errlen, "recipients must number 1 to %d",
		         MAIL_TO_MAX);
		return -1;
	}
	for (i = 0; i < m->nto; i++) {
		snprintf(what, sizeof(what), "to[%zu]", i);
		if (mail_check_mailbox(what, &m->to[i], err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* Check everything in m before writing a byte. */
/* Is s 1..64 bytes of the characters in ok? */
static int
mail_token_ok(const char *s, const char *ok)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n > 0 && n <= 64 && strspn(s, ok) == n;
}

static int
mail_check_att(const struct mail_msg *m, char *err, size_t errlen)
{
	static const char name_ok[] = "abcdefghijklmnopqrstuvwxyz"
	                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	static const char type_ok[] =
	    "abcdefghijklmnopqrstuvwxyz0123456789/.+-";
	size_t i;

	if (m->natt > MAIL_ATT_MAX || (m->natt > 0 && m->att == NULL)) {
		mail_err(err, errlen, "too many attachments");
		return -1;
	}
	for (i = 0; i < m->natt; i++) {
		const struct mail_attachment *a = &m->att[i];

		if (!mail_token_ok(a->name, name_ok) ||
		    !mail_token_ok(a->type, type_ok) ||
		    (a->data == NULL && a->len > 0) || a->len > MAIL_BODY_MAX) {
			mail_err(err, errlen,
			         "attachment %zu: bad name, type or size", i);
			return -1;
		}
	}
	return 0;
}

static int
mail_check(const struct mail_msg *m, char *err, size_t errlen)
{
	if (mail_check_addrs(m, err, errlen) == -1)
		return -1;
	if (m->subject == NULL) {
		mail_err(err, errlen, "subject is missing");
		return -1;
	}
	if (mail_check_value("subject", m->subject, MAIL_SUBJECT_MAX, err,
	                     errlen) == -1)
		return -1;
	if (mail_check_body("text", m->text, m->textlen, err, errlen) == -1 ||
	    mail_check_body("html", m->html, m->htmllen, err, errlen) == -1)
		return -1;
	if (m->time_ms < 0 || m->time_ms > MAIL_TIME_MAX) {
		mail_err(err, errlen, "send time is out of range");
		return -1;
	}
	if (m->utc_offset_min < -MAIL_ZONE_MAX ||
	    m->utc_offset_min > MAIL_ZONE_MAX) {
		mail_err(err, errlen, "utc offset is out of range");
		return -1;
	}
	return mail_check_att(m, err, errlen);
}

/* The domain after the '@' of a checked address. */
static const char *
mail_addr_domain(const char *addr)
{
	return strchr(addr, '@') + 1;
}

/*
 * The readable part of a Message-ID: the key's letters, digits, '-' and
 * '_', every other run of bytes as one '.', at most max characters and no
 * dot at either end, so that it is dot-atom-text.  Returns its length.
 */
static size_t
mail_id_text(const char *key, char *out, size_t max)
{
	size_t n = 0;
	int c;

	for (; *key != '\0' && n < max; key++) {
		c = (unsigned char)*key;
		if (mail_is_alnum(c) || c == '-' || c == '_')
			out[n++] = (char)c;
		else if (n > 0 && out[n - 1] != '.')
			out[n++] = '.';
	}
	while (n > 0 && out[n - 1] == '.')
		n--;
	return n;
}

/*
 * <yq.READABLE.HASH@domain>: the hash (FNV-1a of the whole key) makes it
 * unique, the readable part makes it traceable in mail logs; that part
 * is shortened so that the Message-ID line fits MAIL_LINE when it can.
 */
int
mail_message_id(const char *key, const char *domain, char *buf, size_t len)
{
	char text[MAIL_ID_TEXT + 1];
	size_t klen, dlen, fixed, room, n;
	int w;

	if (key == NULL || domain == NULL)
		return -1;
	klen = strlen(key);
	dlen = strlen(domain);
	if (klen == 0 || klen > MAIL_KEY_MAX || !mail_domain_ok(domain, dlen))
		return -1;
	fixed = strlen(MAIL_ID_PREFIX) + MAIL_ID_HASH + 1 + dlen + 1;
	room = fixed < MAIL_LINE ? MAIL_LINE - fixed : 0;
	n = mail_id_text(key, text, room < MAIL_ID_TEXT ? room : MAIL_ID_TEXT);
	text[n] = '\0';
	w = snprintf(buf, len, "<yq.%s%s%016llx@%s>", text, n > 0 ? "." : "",
	             (unsigned long long)text_hash(key, strlen(key)), domain);
	if (w < 0 || (size_t)w >= len)
		return -1;
	return 0;
}

/* The MIME boundary for key: "=_" cannot occur in base64 text. */
static void
mail_boundary(const char *key, char out[32])
{
	snprintf(out, 32, "=_yq.%016llx",
	         (unsigned long long)text_hash(key, strlen(key)));
}

/* Floor division, for times before the epoch once the zone is applied. */
static long long
mail_floordiv(long long a, long long b)
{
	long long q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* "Fri, 27 Nov 2026 11:00:00 +0800" for ms at UTC offset off minutes. */
static void
mail_date(long long ms, int off, char out[MAIL_DATE_LEN])
{
	static const char *const wday[] = {"Thu", "Fri", "Sat", "Sun",
	                                   "Mon", "Tue", "Wed"};
	static const char *const mname[] = {"Jan", "Feb", "Mar", "Apr",
	                                    "May", "Jun", "Jul", "Aug",
	                                    "Sep", "Oct", "Nov", "Dec"};
	long long t, days, secs;
	int64_t y;
	int mon, mday, aoff = off < 0 ? -off : off;

	t = mail_floordiv(ms, 1000) + (long long)off * 60;
	days = mail_floordiv(t, 86400);
	secs = t - days * 86400;
	sign_civil(days, &y, &mon, &mday);
	snprintf(out, MAIL_DATE_LEN,
	         "%s, %02d %s %04lld %02lld:%02lld:%02lld %c%02d%02d",
	         wday[days - mail_floordiv(days, 7) * 7], mday, mname[mon - 1],
	         (long long)y, secs / 3600, secs / 60 % 60, secs % 60,
	         off < 0 ? '-' : '+', aoff / 60, aoff % 60);
}

static void
mail_hdr_begin(struct mail_hdr *h, struct text_buf *b, const char *name)
{
	h->b = b;
	h->col = strlen(name);
	h->words = 0;
	mail_buf_str(b, name);
}

static void
mail_hdr_end(struct mail_hdr *h)
{
	text_buf_add(h->b, "\r\n", 2);
}

static void
mail_hdr_fold(struct mail_hdr *h)
{
	text_buf_add(h->b, "\r\n", 2);
	h->col = 0;
	h->words = 0;
}

/* Columns left on the current line for a word after its leading space. */
static size_t
mail_hdr_left(const struct mail_hdr *h)
{
	return h->col + 1 < MAIL_LINE ? MAIL_LINE - h->col - 1 : 0;
}

/*
 * Add a word, preceded by a space, folding first if it would pass
 * MAIL_LINE and the line already holds a word.  Folding only ever puts a
 * CRLF before an existing space, so unfolding gives the value back.
 */
static void
mail_hdr_word(struct mail_hdr *h, const char *w, size_t n)
{
	if (h->words > 0 && n > mail_hdr_left(h))
		mail_hdr_fold(h);
	text_buf_add(h->b, " ", 1);
	text_buf_add(h->b, w, n);
	h->col += 1 + n;
	h->words++;
}

/* Add space-separated plain words (checked to be at most MAIL_WORD_MAX). */
static void
mail_hdr_words(struct mail_hdr *h, const char *s)
{
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, " ");
		mail_hdr_word(h, s, n);
		s += n;
		if (*s == ' ')
			s++;
	}
}

/*
 * Add s (n bytes of valid UTF-8) as B encoded-words.  Each takes as many
 * whole characters as fit both MAIL_EW_MAX and the current line, so no
 * character is split across two words.
 */
static void
mail_hdr_encoded(struct mail_hdr *h, const char *s, size_t n)
{
	char word[MAIL_EW_MAX + 1];
	size_t i = 0, take, next, room, raw, len;

	while (i < n) {
		if (h->words > 0 && mail_hdr_left(h) < MAIL_EW_MIN)
			mail_hdr_fold(h);
		room = mail_hdr_left(h);
		if (room > MAIL_EW_MAX)
			room = MAIL_EW_MAX;
		raw = room > MAIL_EW_EXTRA ? (room - MAIL_EW_EXTRA) / 4 * 3 : 0;
		take = 0;
		while (i + take < n) {
			next = i + take;
			text_utf8_next(s, n, &next);
			if (take > 0 && next - i > raw)
				break;
			take = next - i;
		}
		memcpy(word, "=?UTF-8?B?", 10);
		len = 10 + mail_b64(s + i, take, word + 10, sizeof(word) - 10);
		memcpy(word + len, "?=", 2);
		mail_hdr_word(h, word, len + 2);
		i += take;
	}
}

/*
 * Whether an ASCII value can be written as plain words: printable, no
 * "=?" (a decoder would take it for an encoded-word), single spaces only
 * between words, none at either end, each word at most MAIL_WORD_MAX.
 */
static int
mail_plain_ok(const char *s)
{
	size_t i, word = 0;

	if (s[0] == ' ')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
		if (s[i] == '=' && s[i + 1] == '?')
			return 0;
		if (s[i] == ' ') {
			if (s[i + 1] == ' ' || s[i + 1] == '\0')
				return 0;
			word = 0;
		} else if (++word > MAIL_WORD_MAX) {
			return 0;
		}
	}
	return 1;
}

/* Atoms if it can, a quoted-string if that fits a line, else encoded. */
static enum mail_name_form
mail_name_form(const char *name)
{
	size_t i, qlen = 2;
	int atoms = 1;

	if (!mail_plain_ok(name))
		return MAIL_NAME_ENCODED;
	for (i = 0; name[i] != '\0'; i++) {
		if (name[i] != ' ' && !mail_is_atext((unsigned char)name[i]))
			atoms = 0;
		qlen += (name[i] == '"' || name[i] == '\\') ? 2 : 1;
	}
	if (atoms)
		return MAIL_NAME_ATOMS;
	return qlen <= MAIL_WORD_MAX ? MAIL_NAME_QUOTED : MAIL_NAME_ENCODED;
}

/* The name as a quoted-string token (fits: see mail_name_form). */
static void
mail_hdr_quoted(struct mail_hdr *h, const char *name)
{
	char q[MAIL_WORD_MAX + 1];
	size_t n = 0;

	q[n++] = '"';
	for (; *name != '\0'; name++) {
		if (*name == '"' || *name == '\\')
			q[n++] = '\\';
		q[n++] = *name;
	}
	q[n++] = '"';
	mail_hdr_word(h, q, n);
}

/* One mailbox, "name <addr>" or a bare addr, with a comma if not last. */
static void
mail_hdr_mailbox(struct mail_hdr *h, const struct mail_addr *mb, int last)
{
	char a[MAIL_ADDR_MAX + 4];
	int named = mb->name != NULL && mb->name[0] != '\0';
	int n;

	if (named) {
		switch (mail_name_form(mb->name)) {
		case MAIL_NAME_ATOMS:
			mail_hdr_words(h, mb->name);
			break;
		case MAIL_NAME_QUOTED:
			mail_hdr_quoted(h, mb->name);
			break;
		case MAIL_NAME_ENCODED:
			mail_hdr_encoded(h, mb->name, strlen(mb->name));
			break;
		}
	}
	n = snprintf(a, sizeof(a), "%s%s%s%s", named ? "<" : "", mb->addr,
	             named ? ">" : "", last ? "" : ",");
	mail_hdr_word(h, a, (size_t)n);
}

static void
mail_hdr_subject(struct text_buf *b, const char *subject)
{
	struct mail_hdr h;

	mail_hdr_begin(&h, b, "Subject:");
	if (mail_plain_ok(subject))
		mail_hdr_words(&h, subject);
	else
		mail_hdr_encoded(&h, subject, strlen(subject));
	mail_hdr_end(&h);
}

static void
mail_hdr_simple(struct text_buf *b, const char *name, const char *value)
{
	mail_buf_str(b, name);
	mail_buf_str(b, value);
	text_buf_add(b, "\r\n", 2);
}

/* The header section, blank line included. */
static void
mail_headers(struct text_buf *b, const struct mail_msg *m, const char *id,
             const char *type, const char *boundary)
{
	struct mail_hdr h;
	char date[MAIL_DATE_LEN];
	size_t i;

	mail_date(m->time_ms, m->utc_offset_min, date);
	mail_hdr_simple(b, "Date: ", date);
	mail_hdr_begin(&h, b, "From:");
	mail_hdr_mailbox(&h, &m->from, 1);
	mail_hdr_end(&h);
	mail_hdr_begin(&h, b, "To:");
	for (i = 0; i < m->nto; i++)
		mail_hdr_mailbox(&h, &m->to[i], i + 1 == m->nto);
	mail_hdr_end(&h);
	mail_hdr_subject(b, m->subject);
	mail_hdr_simple(b, "Message-ID: ", id);
	mail_hdr_simple(b, "Auto-Submitted: ", "auto-generated");
	mail_hdr_simple(b, "MIME-Version: ", "1.0");
	mail_buf_str(b, "Content-Type: ");
	mail_buf_str(b, type);
	mail_buf_str(b, "; boundary=\"");
	mail_buf_str(b, boundary);
	mail_buf_str(b, "\"\r\n\r\n");
}

static void mail_b64_lines(struct text_buf *, const char *, size_t);

/* One body part, base64 in 76-column lines; its delimiter comes next. */
static void
mail_part(struct text_buf *b, const char *boundary, const char *type,
          const char *s, size_t n)
{
	mail_buf_str(b, "--");
	mail_buf_str(b, boundary);
	mail_buf_str(b, "\r\nContent-Type: ");
	mail_buf_str(b, type);
	mail_buf_str(b, "; charset=UTF-8\r\n"
	                "Content-Transfer-Encoding: base64\r\n\r\n");
	mail_b64_lines(b, s, n);
}

/* An attachment part (name and type checked: no quoting needed). */
static void
mail_attachment_part(struct text_buf *b, const char *boundary,
                     const struct mail_attachment *a)
{
	mail_buf_str(b, "--");
	mail_buf_str(b, boundary);
	mail_buf_str(b, "\r\nContent-Type: ");
	mail_buf_str(b, a->type);
	if (strncmp(a->type, "text/", 5) == 0) /* our texts are UTF-8 */
		mail_buf_str(b, "; charset=UTF-8");
	mail_buf_str(b, "; name=\"");
	mail_buf_str(b, a->name);
	mail_buf_str(b, "\"\r\nContent-Disposition: attachment; filename=\"");
	mail_buf_str(b, a->name);
	mail_buf_str(b, "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	mail_b64_lines(b, a->data, a->len);
}

/* s in base64, 76-column CRLF lines. */
static void
mail_b64_lines(struct text_buf *b, const char *s, size_t n)
{
	char line[80];
	size_t i, len;

	for (i = 0; i < n; i += MAIL_B64_RAW) {
		len =
		    mail_b64(s + i, n - i < MAIL_B64_RAW ? n - i : MAIL_B64_RAW,
		             line, sizeof(line));
		memcpy(line + len, "\r\n", 2);
		text_buf_add(b, line, len + 2);
	}
	if (n == 0)
		text_buf_add(b, "\r\n", 2);
}

/* Check m, then write it; see alerts/alerts.h for who owns what. */
int
mail_compose(const struct mail_msg *m, char **out, size_t *outlen, char *err,
             size_t errlen)
{
	struct text_buf b;
	char id[MAIL_MSGID_MAX], boundary[32], mixed[40];
	const char *domain;
	size_t i;

	*out = NULL;
	*outlen = 0;
	if (mail_check(m, err, errlen) == -1)
		return -1;
	domain = m->msgid_domain;
	if (domain == NULL)
		domain = mail_addr_domain(m->from.addr);
	if (mail_message_id(m->key, domain, id, sizeof(id)) == -1) {
		mail_err(err, errlen,
		         "idempotency key or message-id domain "
		         "is empty, too long or malformed");
		return -1;
	}
	mail_boundary(m->key, boundary);
	snprintf(mixed, sizeof(mixed), "%s.m", boundary);
	text_buf_init(&b, MAIL_OUT_MAX);
	if (m->natt > 0) {
		mail_headers(&b, m, id, "multipart/mixed", mixed);
		mail_buf_str(&b, "--");
		mail_buf_str(&b, mixed);
		mail_buf_str(&b, "\r\nContent-Type: multipart/alternative; "
		                 "boundary=\"");
		mail_buf_str(&b, boundary);
		mail_buf_str(&b, "\"\r\n\r\n");
	} else {
		mail_headers(&b, m, id, "multipart/alternative", boundary);
	}
	mail_part(&b, boundary, "text/plain", m->text, m->textlen);
	mail_part(&b, boundary, "text/html", m->html, m->htmllen);
	mail_buf_str(&b, "--");
	mail_buf_str(&b, boundary);
	mail_buf_str(&b, "--\r\n");
	for (i = 0; i < m->natt; i++)
		mail_attachment_part(&b, mixed, &m->att[i]);
	if (m->natt > 0) {
		mail_buf_str(&b, "--");
		mail_buf_str(&b, mixed);
		mail_buf_str(&b, "--\r\n");
	}
	if (b.truncated) {
		if (b.nomem)
			mail_err(err, errlen, "out of memory");
		else
			mail_err(err, errlen, "message is larger than %d bytes",
			         MAIL_OUT_MAX);
		text_buf_free(&b);
		return -1;
	}
	*outlen = b.len;
	*out = text_buf_take(&b); /* the caller's now */
	return 0;
}
