/* C tests of libvwo's C API (include/vwo.h), linking the real library.
 *
 *   test_vwo VECTORS_DIR SETTINGS_BENCH [suite...]     suites: vectors corpus abuse threads storage compact (default: all)
 *
 * VWO_TEST_THREAD_OPS sets the decisions per thread of the threads suite (default 100000; the
 * valgrind run uses fewer). Exit status 0 when every check passed. */
#define _POSIX_C_SOURCE 200809L
#include "vwo.h"

#include "collector.h"
#include "json.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static int checks;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            if (failures <= 60) {                                                                  \
                fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                               \
                fprintf(stderr, __VA_ARGS__);                                                      \
                fprintf(stderr, "\n");                                                             \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static const char *last_error(void) {
    static _Thread_local char buf[1024];
    vwo_last_error_message(buf, sizeof buf);
    return buf;
}

static char *str_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static jval *jnew(jtype t) {
    jval *v = calloc(1, sizeof *v);
    v->t = t;
    return v;
}
static jval *jnew_bool(bool b) {
    jval *v = jnew(J_BOOL);
    v->b = b;
    return v;
}
static jval *jnew_str(const char *s) {
    jval *v = jnew(J_STR);
    v->s = strdup(s);
    v->len = strlen(s);
    return v;
}
/* A JSON text from libvwo (freed here), or null for NULL. */
static jval *jfrom_owned(char *text) {
    if (!text) return jnew(J_NULL);
    jval *v = jparse(text);
    vwo_string_free(text);
    return v ? v : jnew_str("<unparsable result>");
}

/* ------------------------------------------------------------------------------- callbacks */

static void quiet_logger(void *user_data, int level, const char *message) {
    (void)level;
    (void)message;
    if (user_data) ((int *)user_data)[0]++;
}

typedef struct {
    char *user, *campaign, *json;
} record;

typedef struct {
    pthread_mutex_t lock;
    record *recs;
    size_t n, cap;
} mem_storage;

static _Thread_local char *storage_get_buf; /* valid until the next storage_get on this thread */

static const char *mem_get(void *ud, const char *user, const char *campaign) {
    mem_storage *st = ud;
    const char *found = NULL;
    pthread_mutex_lock(&st->lock);
    for (size_t i = 0; i < st->n; i++) {
        if (strcmp(st->recs[i].user, user) == 0 && strcmp(st->recs[i].campaign, campaign) == 0) {
            free(storage_get_buf);
            storage_get_buf = strdup(st->recs[i].json);
            found = storage_get_buf;
            break;
        }
    }
    pthread_mutex_unlock(&st->lock);
    return found;
}

static int mem_set(void *ud, const char *record_json) {
    mem_storage *st = ud;
    jval *r = jparse(record_json);
    const char *user = jstr(r, "userId"), *campaign = jstr(r, "campaignKey");
    if (!user || !campaign) {
        jfree(r);
        return 1;
    }
    pthread_mutex_lock(&st->lock);
    size_t i = 0;
    while (i < st->n && !(strcmp(st->recs[i].user, user) == 0 && strcmp(st->recs[i].campaign, campaign) == 0)) i++;
    if (i == st->n) {
        if (st->n == st->cap) {
            st->cap = st->cap ? st->cap * 2 : 16;
            st->recs = realloc(st->recs, st->cap * sizeof *st->recs);
        }
        st->recs[i].user = strdup(user);
        st->recs[i].campaign = strdup(campaign);
        st->recs[i].json = NULL;
        st->n++;
    }
    free(st->recs[i].json);
    st->recs[i].json = strdup(record_json);
    pthread_mutex_unlock(&st->lock);
    jfree(r);
    return 0;
}

static mem_storage *mem_storage_new(void) {
    mem_storage *st = calloc(1, sizeof *st);
    pthread_mutex_init(&st->lock, NULL);
    return st;
}

static void mem_storage_free(mem_storage *st) {
    if (!st) return;
    for (size_t i = 0; i < st->n; i++) {
        free(st->recs[i].user);
        free(st->recs[i].campaign);
        free(st->recs[i].json);
    }
    free(st->recs);
    pthread_mutex_destroy(&st->lock);
    free(st);
    free(storage_get_buf);
    storage_get_buf = NULL;
}

static int record_cmp(const void *a, const void *b) {
    const record *x = a, *y = b;
    int c = strcmp(x->user, y->user);
    return c ? c : strcmp(x->campaign, y->campaign);
}

/* The records, sorted by user then campaign, as a JSON array (the oracle's getUserStorage). */
static jval *mem_records(mem_storage *st) {
    if (!st) return jnew(J_NULL);
    qsort(st->recs, st->n, sizeof *st->recs, record_cmp);
    size_t len = 3;
    for (size_t i = 0; i < st->n; i++) len += strlen(st->recs[i].json) + 1;
    char *text = malloc(len);
    strcpy(text, "[");
    for (size_t i = 0; i < st->n; i++) {
        if (i) strcat(text, ",");
        strcat(text, st->recs[i].json);
    }
    strcat(text, "]");
    jval *v = jparse(text);
    free(text);
    return v;
}

/* ----------------------------------------------------------------------------- requests */

typedef struct {
    vwo_client *client;
    mem_storage *storage;
} harness;

/* Runs one request of the oracle's format and returns its result in the oracle's JSON shape, or NULL
 * when the call failed (reason in *why). */
static jval *run_request(harness *h, const jval *req, const char *api, const char *key_override,
                         const char *user_override, char **why) {
    const char *api_name = api ? api : jstr(req, "api");
    const jval *key_v = jget(req, "campaignKey");
    const char *key = key_override ? key_override : (key_v && key_v->t == J_STR ? key_v->s : NULL);
    const char *user = user_override ? user_override : jstr(req, "userId");
    if (!user) user = "";
    const jval *opts_v = jget(req, "options");
    char *opts = opts_v && opts_v->t != J_NULL ? jraw(opts_v) : NULL;
    vwo_status st = VWO_OK;
    jval *result = NULL;
    char buf[256];
    size_t len = 0;
    bool has = false;
    if (!api_name) api_name = "";
    if (strcmp(api_name, "activate") == 0 || strcmp(api_name, "getVariationName") == 0 ||
        strcmp(api_name, "getVariation") == 0) {
        st = (strcmp(api_name, "activate") == 0 ? vwo_client_activate : vwo_client_get_variation_name)(
            h->client, key ? key : "", user, opts, buf, sizeof buf, &len, &has);
        if (st == VWO_OK) result = has ? jnew_str(buf) : jnew(J_NULL);
    } else if (strcmp(api_name, "isFeatureEnabled") == 0) {
        st = vwo_client_is_feature_enabled(h->client, key ? key : "", user, opts, &has);
        if (st == VWO_OK) result = jnew_bool(has);
    } else if (strcmp(api_name, "getFeatureVariableValue") == 0) {
        char *value = NULL;
        const char *var = jstr(req, "variableKey");
        st = vwo_client_get_feature_variable_value(h->client, key ? key : "", var ? var : "", user, opts, &value);
        if (st == VWO_OK) result = jfrom_owned(value);
    } else if (strcmp(api_name, "track") == 0) {
        char *out = NULL;
        const char *goal = jstr(req, "goalIdentifier");
        if (!key_override && key_v && key_v->t == J_ARR) {
            char *keys = jraw(key_v);
            st = vwo_client_track_list(h->client, keys, user, goal ? goal : "", opts, &out);
            free(keys);
        } else {
            st = vwo_client_track(h->client, key, user, goal ? goal : "", opts, &out);
        }
        if (st == VWO_OK) result = jfrom_owned(out);
    } else if (strcmp(api_name, "push") == 0) {
        const jval *map = jget(req, "customDimensionMap");
        if (map && map->t == J_OBJ) {
            char *m = jraw(map);
            st = vwo_client_push_map(h->client, m, user, &has);
            free(m);
        } else {
            const jval *k = jget(req, "tagKey"), *v = jget(req, "tagValue"), *u = jget(req, "userId");
            if (k && v && u && k->t == J_STR && v->t == J_STR && u->t == J_STR)
                st = vwo_client_push(h->client, k->s, v->s, u->s, &has);
            else
                has = false; /* vwo-python-sdk's type validation, done by a binding before calling in */
        }
        if (st == VWO_OK) result = jnew_bool(has);
    } else if (strcmp(api_name, "setOptOut") == 0) {
        st = vwo_client_set_opt_out(h->client);
        if (st == VWO_OK) result = jnew_bool(true);
    } else if (strcmp(api_name, "flushEvents") == 0) {
        vwo_flush_report rep;
        st = vwo_client_flush_events(h->client, VWO_TIMEOUT_DEFAULT, &rep);
        if (st == VWO_OK) result = jnew_bool(rep.batch_events_enabled);
    } else if (strcmp(api_name, "getUserStorage") == 0) {
        result = mem_records(h->storage);
    } else {
        *why = str_printf("unknown api %s", api_name);
    }
    if (st != VWO_OK) *why = str_printf("%s: status %d: %s", api_name, (int)st, last_error());
    free(opts);
    return result;
}

static char *launch_options_of(const jval *launch, bool development_mode, const char *base_url) {
    const char *goal = jstr(launch, "goalTypeToTrack");
    const jval *batch = jget(launch, "batchEvents");
    char *batch_text = NULL;
    if (batch && batch->t == J_OBJ) {
        const jval *epr = jget(batch, "eventsPerRequest"), *rti = jget(batch, "requestTimeInterval");
        batch_text = str_printf(",\"batch_events\":{\"events_per_request\":%.0f,\"request_time_interval\":%g}",
                                epr ? epr->n : 100.0, rti ? rti->n : 600.0);
    }
    char *goal_text = goal ? str_printf(",\"goal_type_to_track\":\"%s\"", goal) : strdup("");
    char *url_text = base_url ? str_printf(",\"base_url\":\"%s\",\"delivery\":{\"max_attempts\":1}", base_url) : strdup("");
    char *s = str_printf("{\"is_development_mode\":%s%s%s%s}", development_mode ? "true" : "false",
                         goal_text, batch_text ? batch_text : "", url_text);
    free(batch_text);
    free(goal_text);
    free(url_text);
    return s;
}

/* ----------------------------------------------------------------------------- vectors */

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static size_t list_json_files(const char *dir, char ***out) {
    DIR *d = opendir(dir);
    size_t n = 0, cap = 256;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || strcmp(e->d_name, "INDEX.json") == 0) continue;
        if (n == cap) names = realloc(names, (cap *= 2) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    if (d) closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    *out = names;
    return n;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static void suite_vectors(const char *vectors) {
    char *path = str_printf("%s/data/VERIFY_REPORT.json", vectors);
    char *report_text = read_file(path, NULL);
    free(path);
    jval *report = report_text ? jparse(report_text) : NULL;
    const jval *mism = jget(jget(jget(report, "sections"), "expectations"), "mismatches");
    char *dir = str_printf("%s/data/expectations", vectors);
    char **files;
    size_t nfiles = list_json_files(dir, &files);
    size_t cases_run = 0;
    CHECK(nfiles >= 160, "expected the 167 expectation files in %s, found %zu", dir, nfiles);
    int logged = 0;
    for (size_t f = 0; f < nfiles; f++) {
        char *fpath = str_printf("%s/%s", dir, files[f]);
        char *text = read_file(fpath, NULL);
        jval *doc = text ? jparse(text) : NULL;
        CHECK(doc != NULL, "%s: cannot read", fpath);
        const char *sname = jstr(doc, "settings");
        char *spath = str_printf("%s/data/settings/%s.json", vectors, sname ? sname : "?");
        char *settings = read_file(spath, NULL);
        CHECK(settings != NULL, "%s: settings %s missing", files[f], spath);
        mem_storage *storage = jtruthy(jget(doc, "userStorage")) ? mem_storage_new() : NULL;
        vwo_callbacks cb = {0};
        cb.user_data = &logged;
        cb.logger = quiet_logger;
        harness h = {NULL, storage};
        vwo_status st = VWO_INTERNAL;
        if (storage) {
            /* storage callbacks get their own user_data: the store (the logger ignores it here) */
            cb.user_data = storage;
            cb.logger = NULL;
            cb.storage_get = mem_get;
            cb.storage_set = mem_set;
        }
        if (settings) st = vwo_client_launch(settings, "{\"is_development_mode\": true}", &cb, &h.client);
        CHECK(st == VWO_OK, "%s: launch: %d %s", files[f], (int)st, last_error());
        const char *id = jstr(doc, "id");
        const char *derivation = jstr(doc, "derivation");
        bool truthy_kind = derivation && strncmp(derivation, "truthy", 6) == 0;
        const jval *cases = jget(doc, "cases");
        for (size_t i = 0; h.client && cases && i < cases->len; i++) {
            const jval *c = &cases->items[i];
            const char *user = jstr(c, "userId");
            const jval *expected = jget(c, "expected");
            for (size_t m = 0; mism && m < mism->len; m++) {
                const char *mid = jstr(&mism->items[m], "id"), *mu = jstr(&mism->items[m], "userId");
                if (mid && id && mu && user && strcmp(mid, id) == 0 && strcmp(mu, user) == 0)
                    expected = jget(&mism->items[m], "got");
            }
            char *why = NULL;
            jval *got = run_request(&h, doc, NULL, jstr(c, "campaignKey"), user, &why);
            bool ok = got && (truthy_kind ? jtruthy(got) == jtruthy(expected) : jeq(got, expected, false));
            CHECK(ok, "%s case %zu user %s: expected %.*s got %s", files[f], i, user ? user : "?",
                  expected ? (int)expected->raw_len : 4, expected ? expected->raw : "null",
                  why ? why : (got && got->t == J_STR ? got->s : got && got->t == J_BOOL ? (got->b ? "true" : "false") : "(other)"));
            cases_run++;
            free(why);
            jfree(got);
        }
        vwo_client_free(h.client);
        mem_storage_free(storage);
        free(settings);
        free(spath);
        jfree(doc);
        free(text);
        free(fpath);
    }
    printf("vectors: %zu expectation files, %zu cases\n", nfiles, cases_run);
    free_names(files, nfiles);
    free(dir);
    jfree(report);
    free(report_text);
}

/* ----------------------------------------------------------------------------- corpus */

static const char *IGNORED_PARAMS[] = {"random", "sId", "sdk", "sdk-v", "eTime", NULL};

static void url_decode(char *s) {
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '+') *o++ = ' ';
        else if (*p == '%' && p[1] && p[2]) {
            char hex[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            p += 2;
        } else *o++ = *p;
    }
    *o = 0;
}

/* The query of a URL, decoded, without the ignored parameters, as "k=v\n" lines. */
static char *query_lines(const char *url) {
    const char *q = strchr(url, '?');
    char *copy = strdup(q ? q + 1 : "");
    char *out = calloc(1, strlen(copy) * 2 + 2);
    char *save = NULL;
    for (char *part = strtok_r(copy, "&", &save); part; part = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(part, '=');
        if (eq) *eq = 0;
        url_decode(part);
        bool skip = false;
        for (int i = 0; IGNORED_PARAMS[i]; i++) skip |= strcmp(part, IGNORED_PARAMS[i]) == 0;
        if (skip) continue;
        strcat(out, part);
        strcat(out, "=");
        if (eq) {
            url_decode(eq + 1);
            strcat(out, eq + 1);
        }
        strcat(out, "\n");
    }
    free(copy);
    return out;
}

static void jremove(jval *obj, const char *key) {
    if (!obj || obj->t != J_OBJ) return;
    for (size_t i = 0; i < obj->len; i++) {
        if (strcmp(obj->keys[i], key) == 0) {
            jval *heap = malloc(sizeof *heap); /* jfree frees a heap node: move the item into one */
            *heap = obj->items[i];
            jfree(heap);
            free(obj->keys[i]);
            memmove(&obj->items[i], &obj->items[i + 1], (obj->len - i - 1) * sizeof *obj->items);
            memmove(&obj->keys[i], &obj->keys[i + 1], (obj->len - i - 1) * sizeof *obj->keys);
            obj->len--;
            return;
        }
    }
}

/* POLICY §2: the body fields that must differ (session, time, SDK name and version). */
static void normalize_body(jval *body) {
    jval *d = (jval *)jget(body, "d");
    if (d) {
        jremove(d, "sessionId");
        jremove(d, "eTime");
        jval *msg = (jval *)jget(d, "msgId");
        if (msg && msg->t == J_STR) {
            char *dash = strrchr(msg->s, '-');
            if (dash) { *dash = 0; msg->len = (size_t)(dash - msg->s); }
        }
        jval *ev = (jval *)jget(d, "event");
        jremove(ev, "time");
        jremove(ev, "eTime");
        jval *props = (jval *)jget(ev, "props");
        jremove(props, "vwo_sdkName");
        jremove(props, "vwo_sdkVersion");
    }
    jval *list = (jval *)jget(body, "ev");
    for (size_t i = 0; list && list->t == J_ARR && i < list->len; i++) jremove(&list->items[i], "sId");
}

static char *compare_event(const jval *e, const http_request *g) {
    const char *method = jstr(e, "method"), *url = jstr(e, "url"), *wire = jstr(e, "wireUrl");
    if (!method || strcmp(method, g->method) != 0) return str_printf("method %s, got %s", method, g->method);
    const char *path = url ? strstr(url, "/server-side/") : NULL;
    size_t plen = strcspn(g->target, "?");
    if (!path || strlen(path) != plen || strncmp(path, g->target, plen) != 0)
        return str_printf("url %s, got %s", url, g->target);
    char *want_q = query_lines(wire ? wire : ""), *got_q = query_lines(g->target);
    char *err = NULL;
    if (strcmp(want_q, got_q) != 0) err = str_printf("query:\n%s-- got:\n%s", want_q, got_q);
    free(want_q);
    free(got_q);
    if (err) return err;
    const jval *body = jget(e, "body");
    if (body && body->t != J_NULL) {
        char *span = jraw(body);
        jval *want = jparse(span), *got = jparse(g->body);
        free(span);
        if (!got) err = str_printf("body is not JSON: %.200s", g->body);
        else {
            normalize_body(want);
            normalize_body(got);
            if (!jeq(want, got, false)) err = str_printf("body: expected %.300s got %.300s", body->raw, g->body);
        }
        jfree(want);
        jfree(got);
    }
    return err;
}

typedef struct {
    pthread_mutex_t lock;
    int batches;
    int events;
} flush_seen;

static void on_flush(void *user_data, const char *error, const char *events_json) {
    flush_seen *f = user_data;
    jval *ev = jparse(events_json);
    pthread_mutex_lock(&f->lock);
    f->batches++;
    f->events += ev && ev->t == J_ARR ? (int)ev->len : 0;
    pthread_mutex_unlock(&f->lock);
    (void)error;
    jfree(ev);
}

static void run_corpus_file(const char *vectors, const char *name, collector *col) {
    char *path = str_printf("%s/corpus/%s", vectors, name);
    char *text = read_file(path, NULL);
    jval *doc = text ? jparse(text) : NULL;
    CHECK(doc != NULL, "%s: cannot read", path);
    if (!doc) { free(text); free(path); return; }
    const jval *launch = jget(doc, "launch");
    char *settings = jraw(jget(doc, "settings"));
    char *base = str_printf("http://127.0.0.1:%d", collector_port(col));
    char *options = launch_options_of(launch, jtruthy(jget(launch, "isDevelopmentMode")), base);
    mem_storage *storage = jtruthy(jget(launch, "userStorage")) ? mem_storage_new() : NULL;
    flush_seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
    vwo_callbacks cb = {0};
    harness h = {NULL, storage};
    if (storage) {
        cb.user_data = storage;
        cb.storage_get = mem_get;
        cb.storage_set = mem_set;
    } else {
        cb.user_data = &seen;
        cb.flush = on_flush; /* storage and flush share user_data: only one of them per run here */
    }
    vwo_status st = vwo_client_launch(settings, options, &cb, &h.client);
    CHECK(st == VWO_OK, "%s: launch: %s", name, last_error());
    const jval *cases = jget(doc, "cases");
    size_t expected_events = 0;
    for (size_t i = 0; h.client && cases && i < cases->len; i++) {
        const jval *c = &cases->items[i];
        const jval *req = jget(c, "request");
        char *why = NULL;
        jval *got = run_request(&h, req, NULL, NULL, NULL, &why);
        const jval *expected = jget(c, "result");
        const char *api = jstr(req, "api");
        bool ordered = api && strcmp(api, "track") == 0;
        CHECK(got && jeq(got, expected, ordered), "%s case %zu (%s): expected %.*s, %s", name, i, api,
              expected ? (int)expected->raw_len : 4, expected ? expected->raw : "null", why ? why : "got something else");
        const jval *ev = jget(c, "events");
        expected_events += ev ? ev->len : 0;
        free(why);
        jfree(got);
    }
    vwo_flush_report rep;
    st = vwo_client_flush_events(h.client, 10000, &rep);
    CHECK(st == VWO_OK && rep.completed, "%s: flush did not complete", name);
    http_request *reqs;
    size_t n = collector_take(col, &reqs);
    CHECK(n == expected_events, "%s: expected %zu event requests, the collector got %zu", name, expected_events, n);
    size_t k = 0;
    for (size_t i = 0; cases && i < cases->len; i++) {
        const jval *ev = jget(&cases->items[i], "events");
        for (size_t j = 0; ev && j < ev->len && k < n; j++, k++) {
            char *err = compare_event(&ev->items[j], &reqs[k]);
            CHECK(err == NULL, "%s case %zu event %zu: %s", name, i, j, err);
            free(err);
        }
    }
    vwo_delivery_counters counters;
    CHECK(vwo_client_delivery_counters(h.client, &counters) == VWO_OK && counters.failed == 0,
          "%s: counters", name);
    printf("corpus %s: %zu requests, %zu events over HTTP%s\n", name, cases ? cases->len : 0, n,
           seen.batches ? " (batched; flush callback saw them)" : "");
    if (!storage && jget(launch, "batchEvents")) CHECK(seen.batches > 0, "%s: flush callback never called", name);
    collector_free_requests(reqs, n);
    vwo_client_free(h.client);
    mem_storage_free(storage);
    free(options);
    free(base);
    free(settings);
    jfree(doc);
    free(text);
    free(path);
}

static void suite_corpus(const char *vectors) {
    collector *col = collector_start();
    CHECK(col != NULL, "collector did not start");
    if (!col) return;
    const char *files[] = {"events__ab_basic.json", "events__batch_basic.json",
                           "events__feature_test_with_user_storage.json", "events__opt_out.json",
                           "events__global_track_goalType_ALL.json", NULL};
    for (int i = 0; files[i]; i++) run_corpus_file(vectors, files[i], col);
    collector_stop(col);
}

/* ----------------------------------------------------------------------------- abuse */

static const char *SETTINGS =
    "{\"accountId\": 123456, \"sdkKey\": \"abcdef\", \"campaigns\": [{"
    "\"id\": 11, \"key\": \"ab_50\", \"status\": \"RUNNING\", \"type\": \"VISUAL_AB\", \"percentTraffic\": 50,"
    "\"goals\": [{\"id\": 201, \"identifier\": \"CUSTOM\", \"type\": \"CUSTOM_GOAL\"}],"
    "\"variations\": [{\"id\": 1, \"name\": \"Control\", \"weight\": 50},"
    "{\"id\": 2, \"name\": \"Variation-1\", \"weight\": 50}]}]}";

typedef struct {
    vwo_client *client;
    int depth;
    int reentered;
    int garbage_logged;
} reentry;

static void reentrant_hook(void *user_data, const char *payload) {
    reentry *r = user_data;
    (void)payload;
    if (r->depth > 0) return;
    r->depth++;
    char buf[64];
    size_t len;
    bool has;
    /* a callback calling back into libvwo, on the same client (activate: with a user storage and
     * nothing stored, get_variation_name answers None, as vwo-python-sdk does) */
    if (vwo_client_activate(r->client, "ab_50", "Ashley", NULL, buf, sizeof buf, &len, &has) == VWO_OK && has &&
        strcmp(buf, "Variation-1") == 0)
        r->reentered++;
    r->depth--;
}

static const char *garbage_get(void *user_data, const char *user, const char *campaign) {
    (void)user_data;
    (void)user;
    (void)campaign;
    return "{not json at all";
}
static int garbage_set(void *user_data, const char *record) {
    (void)user_data;
    (void)record;
    return 0;
}
static void counting_logger(void *user_data, int level, const char *message) {
    reentry *r = user_data;
    if (level >= 40 && strstr(message, "storage")) r->garbage_logged++;
}

static vwo_client *launch_dev(void) {
    vwo_client *c = NULL;
    vwo_callbacks cb = {0};
    cb.logger = quiet_logger;
    vwo_status st = vwo_client_launch(SETTINGS, "{\"is_development_mode\": true}", &cb, &c);
    CHECK(st == VWO_OK, "launch: %s", last_error());
    return c;
}

static void suite_abuse(void) {
    vwo_client *c = launch_dev();
    char buf[64];
    size_t len = 0;
    bool has = false, b = false;
    char *out = NULL;
    vwo_client *nc = NULL;
    vwo_flush_report rep;
    vwo_delivery_counters counters;

    /* NULL for every pointer argument that is not documented nullable */
    CHECK(vwo_client_launch(NULL, NULL, NULL, &nc) == VWO_NULL_ARGUMENT, "launch settings NULL");
    CHECK(vwo_client_launch(SETTINGS, NULL, NULL, NULL) == VWO_NULL_ARGUMENT, "launch out NULL");
    CHECK(strstr(last_error(), "client_out") != NULL, "last error names the argument: %s", last_error());
    CHECK(vwo_get_settings_file(NULL, "k", false, NULL, &out) == VWO_NULL_ARGUMENT, "gsf account");
    CHECK(vwo_get_settings_file("1", NULL, false, NULL, &out) == VWO_NULL_ARGUMENT, "gsf key");
    CHECK(vwo_get_settings_file("1", "k", false, NULL, NULL) == VWO_NULL_ARGUMENT, "gsf out");
    CHECK(vwo_client_close(NULL, 0, NULL) == VWO_NULL_ARGUMENT, "close");
    vwo_status (*variation_fns[2])(const vwo_client *, const char *, const char *, const char *, char *, size_t, size_t *, bool *) = {
        vwo_client_activate, vwo_client_get_variation_name};
    for (int i = 0; i < 2; i++) {
        CHECK(variation_fns[i](NULL, "ab_50", "u", NULL, buf, sizeof buf, &len, &has) == VWO_NULL_ARGUMENT, "v client");
        CHECK(variation_fns[i](c, NULL, "u", NULL, buf, sizeof buf, &len, &has) == VWO_NULL_ARGUMENT, "v key");
        CHECK(variation_fns[i](c, "ab_50", NULL, NULL, buf, sizeof buf, &len, &has) == VWO_NULL_ARGUMENT, "v user");
        CHECK(variation_fns[i](c, "ab_50", "u", NULL, NULL, 8, &len, &has) == VWO_NULL_ARGUMENT, "v buf");
        CHECK(variation_fns[i](c, "ab_50", "u", NULL, buf, sizeof buf, NULL, &has) == VWO_NULL_ARGUMENT, "v len");
        CHECK(variation_fns[i](c, "ab_50", "u", NULL, buf, sizeof buf, &len, NULL) == VWO_NULL_ARGUMENT, "v has");
    }
    CHECK(vwo_client_is_feature_enabled(NULL, "k", "u", NULL, &b) == VWO_NULL_ARGUMENT, "ife");
    CHECK(vwo_client_is_feature_enabled(c, NULL, "u", NULL, &b) == VWO_NULL_ARGUMENT, "ife");
    CHECK(vwo_client_is_feature_enabled(c, "k", NULL, NULL, &b) == VWO_NULL_ARGUMENT, "ife");
    CHECK(vwo_client_is_feature_enabled(c, "k", "u", NULL, NULL) == VWO_NULL_ARGUMENT, "ife");
    CHECK(vwo_client_get_feature_variable_value(NULL, "k", "v", "u", NULL, &out) == VWO_NULL_ARGUMENT, "gfv");
    CHECK(vwo_client_get_feature_variable_value(c, NULL, "v", "u", NULL, &out) == VWO_NULL_ARGUMENT, "gfv");
    CHECK(vwo_client_get_feature_variable_value(c, "k", NULL, "u", NULL, &out) == VWO_NULL_ARGUMENT, "gfv");
    CHECK(vwo_client_get_feature_variable_value(c, "k", "v", NULL, NULL, &out) == VWO_NULL_ARGUMENT, "gfv");
    CHECK(vwo_client_get_feature_variable_value(c, "k", "v", "u", NULL, NULL) == VWO_NULL_ARGUMENT, "gfv");
    CHECK(vwo_client_track(NULL, "k", "u", "g", NULL, &out) == VWO_NULL_ARGUMENT, "track");
    CHECK(vwo_client_track(c, "k", NULL, "g", NULL, &out) == VWO_NULL_ARGUMENT, "track");
    CHECK(vwo_client_track(c, "k", "u", NULL, NULL, &out) == VWO_NULL_ARGUMENT, "track");
    CHECK(vwo_client_track(c, "k", "u", "g", NULL, NULL) == VWO_NULL_ARGUMENT, "track");
    CHECK(vwo_client_track_list(c, NULL, "u", "g", NULL, &out) == VWO_NULL_ARGUMENT, "track_list");
    CHECK(vwo_client_track_list(NULL, "[]", "u", "g", NULL, &out) == VWO_NULL_ARGUMENT, "track_list");
    CHECK(vwo_client_track_list(c, "[]", NULL, "g", NULL, &out) == VWO_NULL_ARGUMENT, "track_list");
    CHECK(vwo_client_track_list(c, "[]", "u", NULL, NULL, &out) == VWO_NULL_ARGUMENT, "track_list");
    CHECK(vwo_client_track_list(c, "[]", "u", "g", NULL, NULL) == VWO_NULL_ARGUMENT, "track_list");
    CHECK(vwo_client_push(NULL, "k", "v", "u", &b) == VWO_NULL_ARGUMENT, "push");
    CHECK(vwo_client_push(c, NULL, "v", "u", &b) == VWO_NULL_ARGUMENT, "push");
    CHECK(vwo_client_push(c, "k", NULL, "u", &b) == VWO_NULL_ARGUMENT, "push");
    CHECK(vwo_client_push(c, "k", "v", NULL, &b) == VWO_NULL_ARGUMENT, "push");
    CHECK(vwo_client_push(c, "k", "v", "u", NULL) == VWO_NULL_ARGUMENT, "push");
    CHECK(vwo_client_push_map(NULL, "{}", "u", &b) == VWO_NULL_ARGUMENT, "push_map");
    CHECK(vwo_client_push_map(c, NULL, "u", &b) == VWO_NULL_ARGUMENT, "push_map");
    CHECK(vwo_client_push_map(c, "{}", NULL, &b) == VWO_NULL_ARGUMENT, "push_map");
    CHECK(vwo_client_push_map(c, "{}", "u", NULL) == VWO_NULL_ARGUMENT, "push_map");
    CHECK(vwo_client_flush_events(NULL, 0, &rep) == VWO_NULL_ARGUMENT, "flush");
    CHECK(vwo_client_set_opt_out(NULL) == VWO_NULL_ARGUMENT, "opt out");
    CHECK(vwo_client_delivery_counters(NULL, &counters) == VWO_NULL_ARGUMENT, "counters");
    CHECK(vwo_client_delivery_counters(c, NULL) == VWO_NULL_ARGUMENT, "counters");
    CHECK(vwo_client_replace_settings(NULL, SETTINGS) == VWO_NULL_ARGUMENT, "replace");
    CHECK(vwo_client_replace_settings(c, NULL) == VWO_NULL_ARGUMENT, "replace");
    CHECK(vwo_client_settings_json(NULL, &out) == VWO_NULL_ARGUMENT, "settings_json");
    CHECK(vwo_client_settings_json(c, NULL) == VWO_NULL_ARGUMENT, "settings_json");
    CHECK(vwo_client_get_and_update_settings_file(NULL, NULL, NULL, false, &out) == VWO_NULL_ARGUMENT, "gaus");
    CHECK(vwo_client_get_and_update_settings_file(c, NULL, NULL, false, NULL) == VWO_NULL_ARGUMENT, "gaus");
    CHECK(vwo_last_error_message(NULL, 0) > 0, "last error with NULL buffer gives the length");
    /* free(NULL) */
    vwo_client_free(NULL);
    vwo_string_free(NULL);
    CHECK(nc == NULL && out == NULL, "out-parameters untouched on failure");

    /* invalid UTF-8 */
    CHECK(vwo_client_activate(c, "ab_50", "\xff\xfe", NULL, buf, sizeof buf, &len, &has) == VWO_INVALID_UTF8, "utf8 user");
    CHECK(vwo_client_activate(c, "ab\xc3", "u", NULL, buf, sizeof buf, &len, &has) == VWO_INVALID_UTF8, "utf8 key");
    CHECK(vwo_client_activate(c, "ab_50", "u", "{\"a\": \"\xff\"}", buf, sizeof buf, &len, &has) == VWO_INVALID_UTF8, "utf8 options");
    CHECK(vwo_client_launch("{\"accountId\": \"\xff\"}", NULL, NULL, &nc) == VWO_INVALID_UTF8, "utf8 settings");

    /* malformed and wrongly typed JSON */
    CHECK(vwo_client_launch("{", NULL, NULL, &nc) == VWO_INVALID_SETTINGS, "malformed settings: %s", last_error());
    CHECK(vwo_client_launch("[1, 2]", NULL, NULL, &nc) == VWO_INVALID_SETTINGS, "settings not an object");
    CHECK(vwo_client_launch("{\"accountId\": 1, \"sdkKey\": \"k\", \"campaigns\": 5}", NULL, NULL, &nc) == VWO_INVALID_SETTINGS,
          "campaigns wrong type");
    CHECK(strstr(last_error(), "campaigns") != NULL, "settings error names the path: %s", last_error());
    CHECK(vwo_client_launch(SETTINGS, "{nope", NULL, &nc) == VWO_INVALID_JSON, "malformed options");
    CHECK(vwo_client_launch(SETTINGS, "[1]", NULL, &nc) == VWO_INVALID_OPTIONS, "options not an object");
    CHECK(vwo_client_launch(SETTINGS, "{\"log_levle\": 10}", NULL, &nc) == VWO_INVALID_OPTIONS, "unknown option");
    CHECK(strstr(last_error(), "log_levle") != NULL, "unknown option named: %s", last_error());
    CHECK(vwo_client_launch(SETTINGS, "{\"batch_events\": {\"events_per_request\": \"5\"}}", NULL, &nc) == VWO_INVALID_OPTIONS,
          "wrong type option");
    vwo_callbacks half = {0};
    half.storage_get = garbage_get;
    CHECK(vwo_client_launch(SETTINGS, NULL, &half, &nc) == VWO_INVALID_OPTIONS, "storage_get without storage_set");
    CHECK(vwo_client_activate(c, "ab_50", "u", "{\"customVariables\": 5}", buf, sizeof buf, &len, &has) == VWO_INVALID_OPTIONS,
          "call options wrong type");
    CHECK(vwo_client_activate(c, "ab_50", "u", "[", buf, sizeof buf, &len, &has) == VWO_INVALID_JSON, "call options malformed");
    CHECK(vwo_client_track_list(c, "{\"a\": 1}", "u", "g", NULL, &out) == VWO_INVALID_ARGUMENT, "track list not a list");
    CHECK(vwo_client_track_list(c, "[1]", "u", "g", NULL, &out) == VWO_INVALID_ARGUMENT, "track list of numbers");
    CHECK(vwo_client_push_map(c, "[1]", "u", &b) == VWO_INVALID_ARGUMENT, "push map not an object");
    CHECK(vwo_client_replace_settings(c, "{\"campaigns\": []}") == VWO_INVALID_SETTINGS, "replace invalid");
    CHECK(nc == NULL && out == NULL, "out-parameters untouched on failure");

    /* the variation still comes after all that; buffer too small tells the length */
    CHECK(vwo_client_get_variation_name(c, "ab_50", "Ashley", NULL, buf, sizeof buf, &len, &has) == VWO_OK && has &&
              strcmp(buf, "Variation-1") == 0 && len == 11,
          "Ashley gets Variation-1");
    len = 0;
    has = true;
    CHECK(vwo_client_get_variation_name(c, "ab_50", "Ashley", NULL, buf, 11, &len, &has) == VWO_BUFFER_TOO_SMALL && len == 11 && has,
          "buffer too small: len %zu", len);
    CHECK(vwo_client_get_variation_name(c, "nope", "Ashley", NULL, buf, sizeof buf, &len, &has) == VWO_OK && !has && len == 0,
          "unknown campaign: OK without variation");
    CHECK(vwo_client_get_variation_name(c, "ab_50", "", NULL, NULL, 0, &len, &has) == VWO_OK && !has, "empty user: OK, none");
    /* the last error is copied, cut to the buffer, and its full length returned */
    vwo_client_launch(SETTINGS, "{\"log_levle\": 10}", NULL, &nc);
    char small[8];
    size_t full = vwo_last_error_message(small, sizeof small);
    CHECK(full > sizeof small && strlen(small) == sizeof small - 1, "last error cut: %zu", full);

    /* a 10 MB user id */
    size_t big_len = 10u * 1024 * 1024;
    char *big = malloc(big_len + 1);
    memset(big, 'u', big_len);
    big[big_len] = 0;
    CHECK(vwo_client_get_variation_name(c, "ab_50", big, NULL, buf, sizeof buf, &len, &has) == VWO_OK, "10 MB user id");
    CHECK(vwo_client_track(c, "ab_50", big, "CUSTOM", NULL, &out) == VWO_OK, "10 MB user id track");
    vwo_string_free(out);
    out = NULL;
    free(big);

    /* a 100,000-deep DSL in the settings, and 100,000-deep call options */
    size_t depth = 100000;
    const char *head = "{\"accountId\": 1, \"sdkKey\": \"k\", \"campaigns\": [{\"id\": 1, \"key\": \"deep\", \"status\": \"RUNNING\","
                       "\"type\": \"VISUAL_AB\", \"percentTraffic\": 100, \"goals\": [], \"variations\": [{\"id\": 1, \"name\": \"C\","
                       "\"weight\": 100}], \"segments\": ";
    const char *leaf = "{\"custom_variable\": {\"a\": \"b\"}}";
    const char *tail = "}]}";
    size_t dl = strlen(head) + depth * strlen("{\"not\": ") + strlen(leaf) + depth + strlen(tail) + 1;
    char *deep = malloc(dl);
    char *p = deep;
    p += sprintf(p, "%s", head);
    for (size_t i = 0; i < depth; i++) p += sprintf(p, "{\"not\": ");
    p += sprintf(p, "%s", leaf);
    for (size_t i = 0; i < depth; i++) *p++ = '}';
    sprintf(p, "%s", tail);
    CHECK(vwo_client_launch(deep, NULL, NULL, &nc) == VWO_INVALID_SETTINGS, "deep DSL: %s", last_error());
    free(deep);
    char *deep_opts = malloc(depth * 8 + 64);
    p = deep_opts;
    p += sprintf(p, "{\"custom_variables\": ");
    for (size_t i = 0; i < depth; i++) p += sprintf(p, "{\"a\": ");
    p += sprintf(p, "1");
    for (size_t i = 0; i < depth + 1; i++) *p++ = '}';
    *p = 0;
    CHECK(vwo_client_activate(c, "ab_50", "u", deep_opts, buf, sizeof buf, &len, &has) == VWO_INVALID_JSON, "deep options");
    free(deep_opts);

    /* close twice, decisions after close, then free */
    CHECK(vwo_client_close(c, 1000, &rep) == VWO_OK, "close");
    CHECK(vwo_client_close(c, 1000, NULL) == VWO_OK, "close again");
    CHECK(vwo_client_get_variation_name(c, "ab_50", "Ashley", NULL, buf, sizeof buf, &len, &has) == VWO_OK && has,
          "decides after close");
    CHECK(vwo_client_settings_json(c, &out) == VWO_OK && out && strstr(out, "ab_50"), "settings json");
    vwo_string_free(out);
    out = NULL;
    CHECK(vwo_client_delivery_counters(c, &counters) == VWO_OK, "counters after close");
    CHECK(vwo_client_set_opt_out(c) == VWO_OK, "opt out");
    CHECK(vwo_client_get_variation_name(c, "ab_50", "Ashley", NULL, buf, sizeof buf, &len, &has) == VWO_OK && !has,
          "opted out: no variation");
    vwo_client_free(c);

    /* a settings fetch from an unreachable server */
    CHECK(vwo_get_settings_file("1", "k", false, "http://127.0.0.1:9", &out) == VWO_NETWORK, "unreachable: %s", last_error());
    CHECK(vwo_get_settings_file("", "k", false, "http://127.0.0.1:9", &out) == VWO_INVALID_ARGUMENT, "empty account");

    /* a callback that calls back into libvwo, and a storage returning garbage JSON */
    reentry r = {0};
    vwo_callbacks cb = {0};
    cb.user_data = &r;
    cb.integrations = reentrant_hook;
    cb.storage_get = garbage_get;
    cb.storage_set = garbage_set;
    cb.logger = counting_logger;
    CHECK(vwo_client_launch(SETTINGS, "{\"is_development_mode\": true}", &cb, &r.client) == VWO_OK, "launch with callbacks");
    CHECK(vwo_client_activate(r.client, "ab_50", "Ashley", NULL, buf, sizeof buf, &len, &has) == VWO_OK && has &&
              strcmp(buf, "Variation-1") == 0,
          "garbage from storage is nothing stored");
    CHECK(r.reentered >= 1, "the integrations callback called back into libvwo");
    CHECK(r.garbage_logged >= 1, "garbage storage JSON was logged at ERROR");
    vwo_client_free(r.client);

    CHECK(strlen(vwo_version()) > 0, "version");
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", VWO_VERSION_MAJOR, VWO_VERSION_MINOR, VWO_VERSION_PATCH);
    CHECK(strcmp(vwo_version(), want) == 0, "version macros %s vs library %s", want, vwo_version());
    printf("abuse: done\n");
}

/* ----------------------------------------------------------------------------- threads */

typedef struct {
    vwo_client *client;
    char **keys;
    size_t nkeys;
    int thread;
    long ops;
    uint64_t digest;
    long decided;
} worker;

static uint64_t fnv(uint64_t h, const char *s) {
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL;
}

static void *work(void *arg) {
    worker *w = arg;
    uint64_t h = 1469598103934665603ULL;
    char user[32], buf[128];
    uint32_t lcg = 1000u + (uint32_t)w->thread;
    for (long i = 0; i < w->ops; i++) {
        lcg = lcg * 1664525u + 1013904223u;
        snprintf(user, sizeof user, "user_%u", (lcg >> 8) % 100000u);
        const char *key = w->keys[(size_t)i % w->nkeys];
        size_t len;
        bool has;
        if (i % 50 == 49) {
            char *out = NULL;
            if (vwo_client_track(w->client, key, user, "CUSTOM", NULL, &out) != VWO_OK) h = fnv(h, "ERR");
            h = fnv(h, out ? out : "null");
            vwo_string_free(out);
            continue;
        }
        vwo_status st = vwo_client_get_variation_name(w->client, key, user, NULL, buf, sizeof buf, &len, &has);
        if (st != VWO_OK) h = fnv(h, "ERR");
        h = fnv(h, has ? buf : "None");
        w->decided += has;
    }
    w->digest = h;
    return NULL;
}

static void suite_threads(const char *settings_path) {
    char *settings = read_file(settings_path, NULL);
    CHECK(settings != NULL, "cannot read %s", settings_path);
    if (!settings) return;
    jval *doc = jparse(settings);
    const jval *campaigns = jget(doc, "campaigns");
    char **keys = calloc(campaigns ? campaigns->len : 1, sizeof *keys);
    size_t nkeys = 0;
    for (size_t i = 0; campaigns && i < campaigns->len; i++) {
        const char *type = jstr(&campaigns->items[i], "type");
        if (type && (strcmp(type, "VISUAL_AB") == 0 || strcmp(type, "FEATURE_TEST") == 0))
            keys[nkeys++] = (char *)jstr(&campaigns->items[i], "key");
    }
    CHECK(nkeys > 0, "no campaigns in %s", settings_path);
    vwo_client *c = NULL;
    vwo_callbacks cb = {0};
    cb.logger = quiet_logger;
    CHECK(vwo_client_launch(settings, "{\"is_development_mode\": true}", &cb, &c) == VWO_OK, "launch: %s", last_error());
    const char *env = getenv("VWO_TEST_THREAD_OPS");
    long ops = env ? atol(env) : 100000;
    enum { THREADS = 8 };
    worker single[THREADS], multi[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        worker w = {c, keys, nkeys, t, ops, 0, 0};
        single[t] = w;
        multi[t] = w;
        work(&single[t]); /* the single-threaded run, one workload after the other */
    }
    for (int t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, work, &multi[t]);
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    long decided = 0;
    for (int t = 0; t < THREADS; t++) {
        CHECK(single[t].digest == multi[t].digest, "thread %d: results differ from the single-threaded run", t);
        decided += multi[t].decided;
    }
    printf("threads: %d x %ld calls (1 in 50 a track) on one client, %ld decided, equal to single-threaded\n",
           THREADS, ops, decided);
    vwo_client_free(c);
    free(keys);
    jfree(doc);
    free(settings);
}


/* ----------------------------------------------------------------------------- compact */

/* The compact calls (name ids, flags, numbers, borrowed texts) answer what the out-parameter calls
 * answer, on every campaign of the benchmark settings, with and without a profile. */
static void suite_compact(const char *settings_path) {
    char *settings = read_file(settings_path, NULL);
    CHECK(settings != NULL, "cannot read %s", settings_path);
    if (!settings) return;
    jval *doc = jparse(settings);
    const jval *campaigns = jget(doc, "campaigns");
    vwo_client *c = NULL;
    vwo_callbacks cb = {0};
    cb.logger = quiet_logger;
    CHECK(vwo_client_launch(settings, "{\"is_development_mode\": true}", &cb, &c) == VWO_OK, "launch: %s", last_error());
    const char *profile = "{\"custom_variables\":{\"browser\":\"Chrome\",\"country\":\"US\",\"plan\":\"premium\","
                          "\"age\":34,\"tier\":3,\"isLoggedIn\":true,\"price\":19.99}}";
    long compared = 0;
    for (size_t i = 0; campaigns && i < campaigns->len; i++) {
        const jval *camp = &campaigns->items[i];
        const char *key = jstr(camp, "key");
        const jval *goals = jget(camp, "goals");
        const char *goal = goals && goals->len ? jstr(&goals->items[0], "identifier") : "no_such_goal";
        const jval *vars = jget(camp, "variables");
        const char *var = vars && vars->len ? jstr(&vars->items[0], "key") : NULL;
        for (int u = 0; u < 200; u++) {
            char user[32], buf[64], name[64];
            size_t len = 0, nlen = 0;
            bool has = false, on = false;
            snprintf(user, sizeof user, "user_%d", u);
            const char *opts = u % 2 ? profile : NULL;
            for (int activate = 0; activate < 2; activate++) {
                vwo_status st = activate ? vwo_client_activate(c, key, user, opts, buf, sizeof buf, &len, &has)
                                         : vwo_client_get_variation_name(c, key, user, opts, buf, sizeof buf, &len, &has);
                int64_t id = activate ? vwo_client_activate_id(c, key, user, opts)
                                      : vwo_client_get_variation_name_id(c, key, user, opts);
                CHECK(st == VWO_OK && id >= 0, "%s %s: %d %lld", key, user, (int)st, (long long)id);
                CHECK((id > 0) == has, "%s %s: id %lld, has %d", key, user, (long long)id, has);
                if (id > 0 && has) {
                    CHECK(vwo_client_variation_name_of_id(c, id, name, sizeof name, &nlen) == VWO_OK && nlen == len &&
                              strcmp(name, buf) == 0,
                          "%s %s: name of %lld is %s, want %s", key, user, (long long)id, name, buf);
                }
            }
            CHECK(vwo_client_is_feature_enabled(c, key, user, opts, &on) == VWO_OK, "ife");
            CHECK(vwo_client_is_feature_enabled_flag(c, key, user, opts) == (on ? 1 : 0), "%s %s: flag", key, user);
            if (var) {
                char *owned = NULL;
                CHECK(vwo_client_get_feature_variable_value(c, key, var, user, opts, &owned) == VWO_OK, "gfvv");
                const char *lent = vwo_client_get_feature_variable_text(c, key, var, user, opts);
                CHECK(lent && strcmp(lent, owned ? owned : "null") == 0, "%s %s: variable %s vs %s", key, user,
                      lent ? lent : "NULL", owned ? owned : "NULL");
                vwo_string_free(owned);
            }
            char *owned = NULL;
            CHECK(vwo_client_track(c, key, user, goal, opts, &owned) == VWO_OK, "track");
            int64_t one = vwo_client_track_one(c, key, user, goal, opts);
            int64_t want = !owned ? 0 : strstr(owned, ":true}") ? 2 : 1;
            CHECK(one == want, "%s %s: track_one %lld, track %s", key, user, (long long)one, owned ? owned : "NULL");
            const char *lent = vwo_client_track_text(c, key, user, goal, opts);
            CHECK(lent && strcmp(lent, owned ? owned : "null") == 0, "%s %s: track text", key, user);
            vwo_string_free(owned);
            /* a revenue as a number answers as the same revenue in the options text, on every goal */
            static const double revenues[] = {12.5, 0.0, 0.25, 1e300};
            for (size_t g = 0; goals && g < goals->len; g++) {
                const char *gid = jstr(&goals->items[g], "identifier");
                double rev = revenues[(u + g) % 4];
                char text[512];
                if (opts) snprintf(text, sizeof text, "{\"revenue_value\":%.17g,%s", rev, opts + 1);
                else snprintf(text, sizeof text, "{\"revenue_value\":%.17g}", rev);
                char *with_text = NULL;
                CHECK(vwo_client_track(c, key, user, gid, text, &with_text) == VWO_OK, "track %s", text);
                int64_t want_rev = !with_text ? 0 : strstr(with_text, ":true}") ? 2 : 1;
                int64_t got = vwo_client_track_one_revenue(c, key, user, gid, opts, rev);
                CHECK(got == want_rev, "%s %s %s %g: track_one_revenue %lld, track %s", key, user, gid, rev,
                      (long long)got, with_text ? with_text : "NULL");
                vwo_string_free(with_text);
            }
            compared++;
        }
    }
    /* failures: -(status) with the last error set; a NULL text */
    CHECK(vwo_client_get_variation_name_id(NULL, "k", "u", NULL) == -(int64_t)VWO_NULL_ARGUMENT, "NULL client");
    CHECK(vwo_client_activate_id(c, "ab_homepage_hero", "u", "{\"custom_variables\": [") == -(int64_t)VWO_INVALID_JSON,
          "bad options: %s", last_error());
    CHECK(strstr(last_error(), "options_json") != NULL, "error names options_json: %s", last_error());
    CHECK(vwo_client_is_feature_enabled_flag(c, "k", "\xff", NULL) == -(int64_t)VWO_INVALID_UTF8, "bad UTF-8");
    CHECK(vwo_client_track_one(c, NULL, "u", "g", NULL) == -(int64_t)VWO_NULL_ARGUMENT, "track_one without a key");
    CHECK(vwo_client_track_one_revenue(c, "k", "u", "g", NULL, NAN) == -(int64_t)VWO_INVALID_ARGUMENT &&
              strstr(last_error(), "revenue"),
          "track_one_revenue of NaN: %s", last_error());
    CHECK(vwo_client_track_text(c, "k", NULL, "g", NULL) == NULL && strstr(last_error(), "user_id"), "track_text NULL user");
    CHECK(vwo_client_get_feature_variable_text(c, "k", "v", "u", "{") == NULL, "variable text, bad options");
    size_t nlen = 0;
    char small[2];
    CHECK(vwo_client_variation_name_of_id(c, 999999, small, sizeof small, &nlen) == VWO_INVALID_ARGUMENT, "unknown id");
    int64_t id = vwo_client_get_variation_name_id(c, "ab_homepage_hero", "user_1", NULL);
    if (id > 0) {
        CHECK(vwo_client_variation_name_of_id(c, id, small, sizeof small, &nlen) == VWO_BUFFER_TOO_SMALL && nlen > 1,
              "short buffer");
        CHECK(vwo_client_variation_name_of_id(c, id, NULL, 0, NULL) == VWO_NULL_ARGUMENT, "NULL len_out");
    }
    printf("compact: %ld calls of each kind equal to the out-parameter calls, failures as negative statuses\n", compared);
    vwo_client_free(c);
    jfree(doc);
    free(settings);
}

/* ----------------------------------------------------------------------------- storage */

/* The built-in stores of the launch option `user_storage` and their counters, through the C ABI. */
static const char *SETTINGS_ALL_V1 =
    "{\"accountId\": 123456, \"sdkKey\": \"abcdef\", \"campaigns\": [{"
    "\"id\": 11, \"key\": \"ab_50\", \"status\": \"RUNNING\", \"type\": \"VISUAL_AB\", \"percentTraffic\": 100,"
    "\"goals\": [{\"id\": 201, \"identifier\": \"CUSTOM\", \"type\": \"CUSTOM_GOAL\"}],"
    "\"variations\": [{\"id\": 1, \"name\": \"Control\", \"weight\": 0},"
    "{\"id\": 2, \"name\": \"Variation-1\", \"weight\": 100}]}]}";

static void activate_users(vwo_client *c, int n, char names[][32]) {
    for (int i = 0; i < n; i++) {
        char user[32];
        size_t len = 0;
        bool has = false;
        snprintf(user, sizeof user, "stored_%d", i);
        CHECK(vwo_client_activate(c, "ab_50", user, NULL, names[i], 32, &len, &has) == VWO_OK, "activate: %s",
              last_error());
        if (!has) names[i][0] = '\0';
    }
}

static void suite_storage(void) {
    char dir[] = "/tmp/vwo-c-storage-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char *opts = str_printf("{\"is_development_mode\": true, \"user_storage\": {\"file\": {\"path\": \"%s/db\"}}}", dir);
    vwo_callbacks cb = {0};
    cb.logger = quiet_logger;
    enum { N = 40 };
    char first[N][32], second[N][32];
    vwo_client *c = NULL;
    CHECK(vwo_client_launch(SETTINGS, opts, &cb, &c) == VWO_OK, "launch file store: %s", last_error());
    activate_users(c, N, first);
    vwo_storage_counters sc;
    CHECK(vwo_client_storage_counters(c, &sc) == VWO_OK, "storage counters");
    int stored = 0;
    for (int i = 0; i < N; i++) stored += first[i][0] != '\0';
    CHECK(stored > 0 && stored < N, "50%% traffic: %d of %d users stored", stored, N);
    CHECK(sc.reads == N && sc.writes == (uint64_t)stored && sc.written == (uint64_t)stored, "counters %llu %llu %llu",
          (unsigned long long)sc.reads, (unsigned long long)sc.writes, (unsigned long long)sc.written);
    vwo_client_free(c);
    /* relaunched with every visitor sent to Variation-1: the stored users keep their variation */
    c = NULL;
    CHECK(vwo_client_launch(SETTINGS_ALL_V1, opts, &cb, &c) == VWO_OK, "relaunch: %s", last_error());
    activate_users(c, N, second);
    for (int i = 0; i < N; i++) {
        if (first[i][0]) CHECK(strcmp(first[i], second[i]) == 0, "stored_%d: %s then %s", i, first[i], second[i]);
        else CHECK(strcmp(second[i], "Variation-1") == 0, "stored_%d: %s", i, second[i]);
    }
    CHECK(vwo_client_storage_counters(c, &sc) == VWO_OK && sc.hits == (uint64_t)stored, "hits %llu of %d",
          (unsigned long long)sc.hits, stored);
    vwo_client_free(c);
    free(opts);

    /* memory store: bounded */
    c = NULL;
    CHECK(vwo_client_launch(SETTINGS_ALL_V1, "{\"is_development_mode\": true, \"user_storage\": {\"memory\": {\"maxEntries\": 2}}}",
                            &cb, &c) == VWO_OK, "launch memory store: %s", last_error());
    activate_users(c, 5, second);
    CHECK(vwo_client_storage_counters(c, &sc) == VWO_OK && sc.writes == 5 && sc.evicted == 3, "memory: %llu writes, %llu evicted",
          (unsigned long long)sc.writes, (unsigned long long)sc.evicted);
    vwo_client_free(c);

    /* bad options name the place; an unusable directory is VWO_STORAGE */
    c = NULL;
    CHECK(vwo_client_launch(SETTINGS, "{\"user_storage\": {\"redis\": {}}}", &cb, &c) == VWO_INVALID_OPTIONS && c == NULL,
          "redis without url");
    CHECK(strstr(last_error(), "user_storage") != NULL, "error names the option: %s", last_error());
    CHECK(vwo_client_launch(SETTINGS, "{\"user_storage\": {\"memory\": {}, \"file\": {\"path\": \"/tmp\"}}}", &cb, &c) ==
              VWO_INVALID_OPTIONS, "two stores: %s", last_error());
    char *blocked = str_printf("{\"user_storage\": {\"file\": {\"path\": \"%s/db/data.mdb/x\"}}}", dir);
    CHECK(vwo_client_launch(SETTINGS, blocked, &cb, &c) == VWO_STORAGE && c == NULL, "path under a file: %s", last_error());
    free(blocked);
    CHECK(vwo_client_storage_counters(NULL, &sc) == VWO_NULL_ARGUMENT, "counters of NULL");
    char *rm = str_printf("rm -rf '%s'", dir);
    CHECK(system(rm) == 0, "rm");
    free(rm);
    printf("storage: file store sticky across a relaunch (%d of %d users stored), memory store bounded, errors\n", stored, N);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s VECTORS_DIR SETTINGS_BENCH [vectors|corpus|abuse|threads|storage|compact]...\n", argv[0]);
        return 2;
    }
    bool all = argc == 3;
    for (int i = 3; i < argc || all; i++) {
        const char *s = all ? NULL : argv[i];
        if (all || strcmp(s, "vectors") == 0) suite_vectors(argv[1]);
        if (all || strcmp(s, "corpus") == 0) suite_corpus(argv[1]);
        if (all || strcmp(s, "abuse") == 0) suite_abuse();
        if (all || strcmp(s, "threads") == 0) suite_threads(argv[2]);
        if (all || strcmp(s, "storage") == 0) suite_storage();
        if (all || strcmp(s, "compact") == 0) suite_compact(argv[2]);
        if (all) break;
    }
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
