/* A tiny JSON reader for the C tests: parses a document into a tree, with lookups and a comparison
 * that follows Python's == (an int equals a float of the same value). Test code only. */
#ifndef VWO_TEST_JSON_H
#define VWO_TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
    jtype t;
    bool b;
    double n;
    char *s;            /* J_STR: decoded UTF-8, NUL-terminated */
    size_t len;         /* J_STR: bytes; J_ARR/J_OBJ: items */
    struct jval *items; /* J_ARR/J_OBJ */
    char **keys;        /* J_OBJ */
    const char *raw;    /* the value's text in the source */
    size_t raw_len;
} jval;

/* Parses `text`; NULL on a syntax error. Free with jfree. `raw` pointers point into `text`. */
jval *jparse(const char *text);
void jfree(jval *v);
const jval *jget(const jval *obj, const char *key); /* NULL if absent or not an object */
const char *jstr(const jval *v, const char *key);    /* member string or NULL */
bool jtruthy(const jval *v);
/* Python ==; `ordered`: object keys must also come in the same order. */
bool jeq(const jval *a, const jval *b, bool ordered);
/* The value's source text as a new NUL-terminated string (malloc). */
char *jraw(const jval *v);
char *read_file(const char *path, size_t *len_out);

#endif
