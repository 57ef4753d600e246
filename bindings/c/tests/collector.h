/* A tiny HTTP collector on 127.0.0.1 for the C tests: answers every request 200 (Connection: close)
 * and records method, target and body, in arrival order. */
#ifndef VWO_TEST_COLLECTOR_H
#define VWO_TEST_COLLECTOR_H

#include <stddef.h>

typedef struct {
    char *method;
    char *target; /* path?query */
    char *body;   /* NUL-terminated; "" when none */
} http_request;

typedef struct collector collector;

collector *collector_start(void);
int collector_port(const collector *c);
/* Moves the requests received so far to *out (malloc'd array; free with collector_free_requests). */
size_t collector_take(collector *c, http_request **out);
void collector_free_requests(http_request *reqs, size_t n);
void collector_stop(collector *c);

#endif
