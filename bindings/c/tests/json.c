#define _POSIX_C_SOURCE 200809L
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p;
    int depth;
} parser;

static void skip_ws(parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t') ps->p++;
}

static bool parse_value(parser *ps, jval *out);

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool read_hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

static size_t put_utf8(char *dst, unsigned cp) {
    if (cp < 0x80) { dst[0] = (char)cp; return 1; }
    if (cp < 0x800) { dst[0] = (char)(0xC0 | (cp >> 6)); dst[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12)); dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18)); dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static bool parse_string(parser *ps, char **out, size_t *len) {
    if (*ps->p != '"') return false;
    ps->p++;
    const char *start = ps->p;
    size_t cap = 0;
    while (start[cap] && start[cap] != '"') { if (start[cap] == '\\' && start[cap + 1]) cap++; cap++; }
    char *buf = malloc(cap + 1);
    if (!buf) return false;
    size_t n = 0;
    while (*ps->p != '"') {
        char c = *ps->p;
        if (!c) { free(buf); return false; }
        if (c != '\\') { buf[n++] = c; ps->p++; continue; }
        ps->p++;
        char e = *ps->p++;
        switch (e) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(ps->p, &cp)) { free(buf); return false; }
            ps->p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                unsigned lo;
                if (read_hex4(ps->p + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    ps->p += 6;
                }
            }
            n += put_utf8(buf + n, cp); /* \uXXXX (6 bytes of input) never yields more than 4 */
            break;
        }
        default: free(buf); return false;
        }
    }
    ps->p++;
    buf[n] = 0;
    *out = buf;
    *len = n;
    return true;
}

static bool parse_container(parser *ps, jval *out, bool is_obj) {
    char close = is_obj ? '}' : ']';
    if (++ps->depth > 1000) return false;
    ps->p++;
    size_t cap = 4, n = 0;
    jval *items = calloc(cap, sizeof *items);
    char **keys = is_obj ? calloc(cap, sizeof *keys) : NULL;
    out->t = is_obj ? J_OBJ : J_ARR;
    out->items = items;
    out->keys = keys;
    out->len = 0;
    skip_ws(ps);
    if (*ps->p == close) { ps->p++; ps->depth--; return true; }
    for (;;) {
        if (n == cap) {
            cap *= 2;
            out->items = items = realloc(items, cap * sizeof *items);
            if (is_obj) out->keys = keys = realloc(keys, cap * sizeof *keys);
        }
        memset(&items[n], 0, sizeof items[n]);
        skip_ws(ps);
        if (is_obj) {
            size_t kl;
            keys[n] = NULL;
            if (!parse_string(ps, &keys[n], &kl)) { out->len = n; return false; }
            skip_ws(ps);
            if (*ps->p != ':') { out->len = n + 1; return false; }
            ps->p++;
        }
        out->len = n + 1;
        if (!parse_value(ps, &items[n])) return false;
        n++;
        skip_ws(ps);
        if (*ps->p == ',') { ps->p++; continue; }
        if (*ps->p == close) { ps->p++; break; }
        return false;
    }
    ps->depth--;
    return true;
}

static bool parse_value(parser *ps, jval *out) {
    skip_ws(ps);
    const char *start = ps->p;
    bool ok = true;
    memset(out, 0, sizeof *out);
    switch (*ps->p) {
    case '{': ok = parse_container(ps, out, true); break;
    case '[': ok = parse_container(ps, out, false); break;
    case '"': out->t = J_STR; ok = parse_string(ps, &out->s, &out->len); break;
    case 't': ok = strncmp(ps->p, "true", 4) == 0; out->t = J_BOOL; out->b = true; ps->p += ok ? 4 : 0; break;
    case 'f': ok = strncmp(ps->p, "false", 5) == 0; out->t = J_BOOL; ps->p += ok ? 5 : 0; break;
    case 'n': ok = strncmp(ps->p, "null", 4) == 0; out->t = J_NULL; ps->p += ok ? 4 : 0; break;
    default: {
        char *end;
        out->t = J_NUM;
        out->n = strtod(ps->p, &end);
        ok = end != ps->p;
        ps->p = end;
    }
    }
    out->raw = start;
    out->raw_len = (size_t)(ps->p - start);
    return ok;
}

static void free_inner(jval *v) {
    if (v->t == J_STR) free(v->s);
    if (v->t == J_ARR || v->t == J_OBJ) {
        for (size_t i = 0; i < v->len; i++) {
            free_inner(&v->items[i]);
            if (v->keys) free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
    }
}

jval *jparse(const char *text) {
    parser ps = {text, 0};
    jval *v = calloc(1, sizeof *v);
    if (!parse_value(&ps, v)) { free_inner(v); free(v); return NULL; }
    skip_ws(&ps);
    if (*ps.p) { free_inner(v); free(v); return NULL; }
    return v;
}

void jfree(jval *v) {
    if (!v) return;
    free_inner(v);
    free(v);
}

const jval *jget(const jval *obj, const char *key) {
    if (!obj || obj->t != J_OBJ) return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

const char *jstr(const jval *v, const char *key) {
    const jval *m = jget(v, key);
    return m && m->t == J_STR ? m->s : NULL;
}

bool jtruthy(const jval *v) {
    if (!v) return false;
    switch (v->t) {
    case J_NULL: return false;
    case J_BOOL: return v->b;
    case J_NUM: return v->n != 0;
    case J_STR: return v->len > 0;
    default: return v->len > 0;
    }
}

bool jeq(const jval *a, const jval *b, bool ordered) {
    if (!a || !b) return a == b;
    if (a->t != b->t) return false;
    switch (a->t) {
    case J_NULL: return true;
    case J_BOOL: return a->b == b->b;
    case J_NUM: return a->n == b->n || (isnan(a->n) && isnan(b->n));
    case J_STR: return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    case J_ARR:
        if (a->len != b->len) return false;
        for (size_t i = 0; i < a->len; i++)
            if (!jeq(&a->items[i], &b->items[i], ordered)) return false;
        return true;
    case J_OBJ:
        if (a->len != b->len) return false;
        for (size_t i = 0; i < a->len; i++) {
            if (ordered) {
                if (strcmp(a->keys[i], b->keys[i]) != 0) return false;
                if (!jeq(&a->items[i], &b->items[i], ordered)) return false;
            } else if (!jeq(&a->items[i], jget(b, a->keys[i]), ordered)) {
                return false;
            }
        }
        return true;
    }
    return false;
}

char *jraw(const jval *v) {
    char *s = malloc(v->raw_len + 1);
    memcpy(s, v->raw, v->raw_len);
    s[v->raw_len] = 0;
    return s;
}

char *read_file(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    if (len_out) *len_out = got;
    return buf;
}
