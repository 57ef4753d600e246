#define _POSIX_C_SOURCE 200809L
#include "collector.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct collector {
    int fd;
    int port;
    pthread_t thread;
    pthread_mutex_t lock;
    http_request *reqs;
    size_t n, cap;
    _Atomic int stop;
};

static void handle(collector *c, int conn) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    char *head_end = NULL;
    size_t want = 0;
    for (;;) {
        if (n + 1 >= cap) { cap *= 2; buf = realloc(buf, cap); }
        ssize_t got = recv(conn, buf + n, cap - n - 1, 0);
        if (got <= 0) break;
        n += (size_t)got;
        buf[n] = 0;
        if (!head_end) {
            head_end = strstr(buf, "\r\n\r\n");
            if (head_end) {
                size_t body_len = 0;
                for (char *line = strstr(buf, "\r\n"); line && line < head_end; line = strstr(line + 2, "\r\n")) {
                    if (strncasecmp(line + 2, "Content-Length:", 15) == 0) body_len = (size_t)strtoul(line + 17, NULL, 10);
                }
                want = (size_t)(head_end - buf) + 4 + body_len;
            }
        }
        if (head_end) {
            head_end = strstr(buf, "\r\n\r\n"); /* buf may have moved */
            if (n >= want) break;
        }
    }
    if (head_end) {
        http_request r;
        char *sp1 = strchr(buf, ' ');
        char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
        if (sp1 && sp2) {
            r.method = strndup(buf, (size_t)(sp1 - buf));
            r.target = strndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
            r.body = strndup(head_end + 4, want - (size_t)(head_end + 4 - buf));
            pthread_mutex_lock(&c->lock);
            if (c->n == c->cap) { c->cap = c->cap ? c->cap * 2 : 64; c->reqs = realloc(c->reqs, c->cap * sizeof *c->reqs); }
            c->reqs[c->n++] = r;
            pthread_mutex_unlock(&c->lock);
        }
        const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        ssize_t w = send(conn, ok, strlen(ok), MSG_NOSIGNAL);
        (void)w;
    }
    free(buf);
    close(conn);
}

static void *serve(void *arg) {
    collector *c = arg;
    while (!c->stop) {
        struct pollfd p = {c->fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        int conn = accept(c->fd, NULL, NULL);
        if (conn >= 0) handle(c, conn);
    }
    return NULL;
}

collector *collector_start(void) {
    collector *c = calloc(1, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(c->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(c->fd, 64) != 0) { close(c->fd); free(c); return NULL; }
    socklen_t len = sizeof a;
    getsockname(c->fd, (struct sockaddr *)&a, &len);
    c->port = ntohs(a.sin_port);
    pthread_mutex_init(&c->lock, NULL);
    pthread_create(&c->thread, NULL, serve, c);
    return c;
}

int collector_port(const collector *c) { return c->port; }

size_t collector_take(collector *c, http_request **out) {
    pthread_mutex_lock(&c->lock);
    size_t n = c->n;
    *out = c->reqs;
    c->reqs = NULL;
    c->n = c->cap = 0;
    pthread_mutex_unlock(&c->lock);
    return n;
}

void collector_free_requests(http_request *reqs, size_t n) {
    for (size_t i = 0; i < n; i++) { free(reqs[i].method); free(reqs[i].target); free(reqs[i].body); }
    free(reqs);
}

void collector_stop(collector *c) {
    c->stop = 1;
    pthread_join(c->thread, NULL);
    close(c->fd);
    http_request *r;
    size_t n = collector_take(c, &r);
    collector_free_requests(r, n);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
