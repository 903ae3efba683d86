/* XML 1.0 well-formedness check for the tests that write SVG files: one
 * root element, tags properly nested and closed, attribute values quoted and
 * not repeated within an element, references only to the five predefined
 * entities or to character numbers, no '<' or stray '&' in text or values,
 * and only comments, processing instructions and blanks outside the root
 * (XML 1.0, section 2). DOCTYPE declarations are not accepted (SVG files
 * written by eegnn have none). */
#ifndef EEGNN_XML_CHECK_H
#define EEGNN_XML_CHECK_H
#include <stdio.h>
#include <string.h>

static int xml__name_start(int c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || c >= 0x80; }
static int xml__name_char(int c) { return xml__name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }
static int xml__space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Length of the name at s (0 if none). */
static size_t xml__name(const unsigned char *s) {
    size_t n = 0;
    if (!xml__name_start(s[0])) return 0;
    while (xml__name_char(s[n])) n++;
    return n;
}

/* Length of a valid reference at s ("&amp;", "&#10;", "&#x1F;"), 0 if bad. */
static size_t xml__reference(const unsigned char *s) {
    static const char *const names[5] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    size_t n;
    int k;
    for (k = 0; k < 5; k++)
        if (!strncmp((const char *)s, names[k], strlen(names[k]))) return strlen(names[k]);
    if (s[1] != '#') return 0;
    n = 2;
    if (s[2] == 'x') {
        n = 3;
        while ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f') || (s[n] >= 'A' && s[n] <= 'F')) n++;
        return n > 3 && s[n] == ';' ? n + 1 : 0;
    }
    while (s[n] >= '0' && s[n] <= '9') n++;
    return n > 2 && s[n] == ';' ? n + 1 : 0;
}

/* Returns 1 when text is well-formed; otherwise 0 with a reason and byte
 * offset in err. */
static int xml_check(const char *text, char *err, size_t err_size) {
    const unsigned char *s = (const unsigned char *)text, *p = s;
    const unsigned char *stack[256];
    size_t stack_len[256];
    int depth = 0, roots = 0;
#define XML__FAIL(msg)                                                              \
    do {                                                                            \
        snprintf(err, err_size, "byte %ld: %s", (long)(p - s), msg);               \
        return 0;                                                                   \
    } while (0)
    while (*p) {
        if (*p != '<') { /* character data */
            if (depth == 0 && !xml__space(*p)) XML__FAIL("text outside the root element");
            if (*p == '&') {
                size_t n = xml__reference(p);
                if (!n) XML__FAIL("bad reference");
                p += n;
                continue;
            }
            if (*p == ']' && p[1] == ']' && p[2] == '>') XML__FAIL("']]>' in text");
            if (*p < 0x20 && !xml__space(*p)) XML__FAIL("control character");
            p++;
            continue;
        }
        if (!strncmp((const char *)p, "<!--", 4)) {
            const char *end = strstr((const char *)p + 4, "--");
            if (!end || end[2] != '>') XML__FAIL("unterminated comment or '--' inside it");
            p = (const unsigned char *)end + 3;
            continue;
        }
        if (!strncmp((const char *)p, "<![CDATA[", 9)) {
            const char *end = strstr((const char *)p + 9, "]]>");
            if (depth == 0) XML__FAIL("CDATA outside the root element");
            if (!end) XML__FAIL("unterminated CDATA section");
            p = (const unsigned char *)end + 3;
            continue;
        }
        if (p[1] == '?') {
            const char *end = strstr((const char *)p + 2, "?>");
            if (!xml__name(p + 2)) XML__FAIL("processing instruction without a target");
            if (!strncmp((const char *)p, "<?xml", 5) && xml__space(p[5]) && p != s) XML__FAIL("XML declaration not at the start");
            if (!end) XML__FAIL("unterminated processing instruction");
            p = (const unsigned char *)end + 2;
            continue;
        }
        if (p[1] == '!') XML__FAIL("DOCTYPE or other declaration");
        if (p[1] == '/') { /* end tag */
            size_t n = xml__name(p + 2);
            if (!n) XML__FAIL("end tag without a name");
            if (!depth) XML__FAIL("end tag without a start tag");
            if (n != stack_len[depth - 1] || memcmp(p + 2, stack[depth - 1], n)) XML__FAIL("end tag does not match");
            depth--;
            p += 2 + n;
            while (xml__space(*p)) p++;
            if (*p != '>') XML__FAIL("expected '>' after the end tag name");
            p++;
            continue;
        }
        { /* start tag */
            const unsigned char *name = p + 1, *attrs[128];
            size_t n = xml__name(name), attr_len[128];
            int n_attrs = 0, a;
            if (!n) XML__FAIL("tag without a name");
            if (depth == 0) {
                if (roots) XML__FAIL("second root element");
                roots++;
            }
            p = name + n;
            for (;;) {
                size_t an;
                int had_space = 0;
                while (xml__space(*p)) {
                    p++;
                    had_space = 1;
                }
                if (*p == '>' || (p[0] == '/' && p[1] == '>')) break;
                if (!had_space) XML__FAIL("expected a blank before the attribute");
                an = xml__name(p);
                if (!an) XML__FAIL("bad attribute name");
                for (a = 0; a < n_attrs; a++)
                    if (attr_len[a] == an && !memcmp(attrs[a], p, an)) XML__FAIL("repeated attribute");
                if (n_attrs == 128) XML__FAIL("too many attributes for this checker");
                attrs[n_attrs] = p;
                attr_len[n_attrs++] = an;
                p += an;
                while (xml__space(*p)) p++;
                if (*p != '=') XML__FAIL("expected '=' after the attribute name");
                p++;
                while (xml__space(*p)) p++;
                if (*p != '"' && *p != '\'') XML__FAIL("attribute value not quoted");
                {
                    unsigned char q = *p++;
                    while (*p && *p != q) {
                        if (*p == '<') XML__FAIL("'<' in an attribute value");
                        if (*p == '&') {
                            size_t rn = xml__reference(p);
                            if (!rn) XML__FAIL("bad reference in an attribute value");
                            p += rn;
                            continue;
                        }
                        p++;
                    }
                    if (!*p) XML__FAIL("unterminated attribute value");
                    p++;
                }
            }
            if (*p == '/') {
                p += 2; /* empty element */
                continue;
            }
            p++;
            if (depth == 256) XML__FAIL("nesting deeper than this checker allows");
            stack[depth] = name;
            stack_len[depth++] = n;
        }
    }
    if (depth) XML__FAIL("element not closed at the end of the document");
    if (!roots) XML__FAIL("no root element");
#undef XML__FAIL
    return 1;
}
#endif
