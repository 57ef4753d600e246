/* C tests of libvwo's FME C API (vwo_fme_client, vwo_flag in include/vwo.h), linking the real library.
 *
 *   test_fme VECTORS_DIR [suite...]      suites: corpus abuse threads (default: all)
 *
 * corpus: every request of the 16 vwo-fme-python-sdk oracle runs (tests/vectors/fme/corpus) through
 * the C API: results, storage records (C storage callbacks), and every event sent over HTTP to a
 * collector on 127.0.0.1 (compared as a multiset of payloads, time fields and SDK name/version left
 * out). abuse: NULLs, invalid UTF-8, malformed and huge JSON, bad options. threads: 8 threads agree
 * with a sequential run. Exit status 0 when every check passed. */
#define _POSIX_C_SOURCE 200809L
#include "vwo.h"

#include "collector.h"
#include "json.h"

#include <dirent.h>
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
            if (failures <= 40) {                                                                  \
                fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                               \
                fprintf(stderr, __VA_ARGS__);                                                      \
                fprintf(stderr, "\n");                                                             \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static const char *last_error(void) {
    static _Thread_local char buf[512];
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

/* ------------------------------------------------------------------ canonical JSON of a jval */

typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* Object keys in their order; strings as raw bytes; numbers with %.17g. `skip` lists keys left out
 * at any depth. */
static void canon(sbuf *b, const jval *v, const char *const *skip) {
    char num[64];
    switch (v->t) {
    case J_NULL: sb_str(b, "null"); break;
    case J_BOOL: sb_str(b, v->b ? "true" : "false"); break;
    case J_NUM: snprintf(num, sizeof num, "%.17g", v->n); sb_str(b, num); break;
    case J_STR: sb_str(b, "\""); sb_put(b, v->s, v->len); sb_str(b, "\""); break;
    case J_ARR:
        sb_str(b, "[");
        for (size_t i = 0; i < v->len; i++) {
            if (i) sb_str(b, ",");
            canon(b, &v->items[i], skip);
        }
        sb_str(b, "]");
        break;
    case J_OBJ: {
        sb_str(b, "{");
        bool first = true;
        for (size_t i = 0; i < v->len; i++) {
            bool skipped = false;
            for (int k = 0; skip && skip[k]; k++) skipped |= strcmp(v->keys[i], skip[k]) == 0;
            if (skipped) continue;
            if (!first) sb_str(b, ",");
            first = false;
            sb_str(b, "\"");
            sb_str(b, v->keys[i]);
            sb_str(b, "\":");
            if (strcmp(v->keys[i], "msgId") == 0 && v->items[i].t == J_STR) {
                /* "<uuid>-<ms>": the time part differs */
                const char *dash = strrchr(v->items[i].s, '-');
                size_t n = dash ? (size_t)(dash - v->items[i].s) : v->items[i].len;
                sb_str(b, "\"");
                sb_put(b, v->items[i].s, n);
                sb_str(b, "\"");
            } else {
                canon(b, &v->items[i], skip);
            }
        }
        sb_str(b, "}");
        break;
    }
    }
}

/* POLICY §4: what must differ (time, randomness, SDK name/version, the debug event id). */
static const char *const BODY_SKIP[] = {"time", "sessionId", "sId", "vwo_sdkName", "vwo_sdkVersion", "sn", "sv",
                                        "eventId", "lv", "sdkInitTime", "settingsFetchTime",
                                        "initConfig" /* the options as given: the C API's differ */, NULL};
static const char *const QUERY_SKIP[] = {"eTime", "random", "sn", "sv", NULL};

static void url_decode(char *s) {
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%' && p[1] && p[2]) {
            char hex[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            p += 2;
        } else *o++ = *p;
    }
    *o = 0;
}

/* "path?k=v&..." without the skipped parameters, decoded. */
static void canon_target(sbuf *b, const char *target) {
    const char *path = strstr(target, "/events/t");
    if (!path) path = strstr(target, "/server-side/");
    if (!path) path = target;
    size_t plen = strcspn(path, "?");
    sb_put(b, path, plen);
    const char *q = path[plen] == '?' ? path + plen + 1 : "";
    char *copy = strdup(q);
    char *save = NULL;
    for (char *part = strtok_r(copy, "&", &save); part; part = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(part, '=');
        if (eq) *eq = 0;
        bool skip = false;
        for (int i = 0; QUERY_SKIP[i]; i++) skip |= strcmp(part, QUERY_SKIP[i]) == 0;
        if (skip) continue;
        sb_str(b, "&");
        sb_str(b, part);
        sb_str(b, "=");
        if (eq) {
            url_decode(eq + 1);
            sb_str(b, eq + 1);
        }
    }
    free(copy);
}

typedef struct {
    char **items;
    size_t len, cap;
} strlist;

static void sl_push(strlist *l, char *s) {
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->len++] = s;
}

static void sl_free(strlist *l) {
    for (size_t i = 0; i < l->len; i++) free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->len = l->cap = 0;
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* One HTTP request as payload keys: a batch gives one key per payload ("B <payload>"), a single
 * event one key ("S <target> <payload>"). */
static void payload_keys(const char *target, const jval *body, strlist *out) {
    const jval *ev = jget(body, "ev");
    if (ev && ev->t == J_ARR) {
        for (size_t i = 0; i < ev->len; i++) {
            sbuf b = {0};
            sb_str(&b, "B ");
            canon(&b, &ev->items[i], BODY_SKIP);
            sl_push(out, b.s);
        }
        return;
    }
    sbuf b = {0};
    sb_str(&b, "S ");
    canon_target(&b, target);
    sb_str(&b, " ");
    if (body) canon(&b, body, BODY_SKIP);
    sl_push(out, b.s);
}

/* ------------------------------------------------------------------ storage callbacks */

typedef struct {
    pthread_mutex_t lock;
    size_t n, cap;
    char **keys;   /* "<feature>\n<user>" */
    char **values; /* record JSON */
    strlist sets;  /* every record written, in order */
} mem_storage;

static const char *mem_get(void *ud, const char *user, const char *feature) {
    mem_storage *st = ud;
    static _Thread_local char *last;
    free(last);
    last = NULL;
    char *key = str_printf("%s\n%s", feature, user);
    pthread_mutex_lock(&st->lock);
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->keys[i], key) == 0) last = strdup(st->values[i]);
    pthread_mutex_unlock(&st->lock);
    free(key);
    return last;
}

static int mem_set(void *ud, const char *record_json) {
    mem_storage *st = ud;
    jval *r = jparse(record_json);
    if (!r) return 1;
    char *key = str_printf("%s\n%s", jstr(r, "featureKey") ? jstr(r, "featureKey") : "",
                           jstr(r, "userId") ? jstr(r, "userId") : "");
    jfree(r);
    pthread_mutex_lock(&st->lock);
    sl_push(&st->sets, strdup(record_json));
    size_t i = 0;
    while (i < st->n && strcmp(st->keys[i], key) != 0) i++;
    if (i == st->n) {
        if (st->n == st->cap) {
            st->cap = st->cap ? st->cap * 2 : 64;
            st->keys = realloc(st->keys, st->cap * sizeof *st->keys);
            st->values = realloc(st->values, st->cap * sizeof *st->values);
        }
        st->keys[st->n] = key;
        st->values[st->n] = strdup(record_json);
        st->n++;
    } else {
        free(key);
        free(st->values[i]);
        st->values[i] = strdup(record_json);
    }
    pthread_mutex_unlock(&st->lock);
    return 0;
}

static void mem_free(mem_storage *st) {
    for (size_t i = 0; i < st->n; i++) {
        free(st->keys[i]);
        free(st->values[i]);
    }
    free(st->keys);
    free(st->values);
    sl_free(&st->sets);
    pthread_mutex_destroy(&st->lock);
}

static void quiet_logger(void *user_data, int level, const char *message) {
    (void)user_data;
    (void)level;
    (void)message;
}

/* ------------------------------------------------------------------ corpus */

/* The oracle's camelCase request context as the SDK's snake_case one (a new JSON text). */
static char *sdk_context(const jval *c) {
    if (!c) return strdup("null");
    if (c->t != J_OBJ) return jraw(c);
    static const char *const MAP[][2] = {{"customVariables", "custom_variables"},
                                         {"userAgent", "user_agent"},
                                         {"ipAddress", "ip_address"},
                                         {"variationTargetingVariables", "variation_targeting_variables"},
                                         {"postSegmentationVariables", "post_segmentation_variables"},
                                         {"sessionId", "session_id"},
                                         {"platformVariables", "platform_variables"},
                                         {"useIdForWeb", "use_id_for_web"},
                                         {NULL, NULL}};
    sbuf b = {0};
    sb_str(&b, "{");
    for (size_t i = 0; i < c->len; i++) {
        const char *k = c->keys[i];
        for (int m = 0; MAP[m][0]; m++)
            if (strcmp(k, MAP[m][0]) == 0) k = MAP[m][1];
        if (i) sb_str(&b, ",");
        char *key = str_printf("\"%s\":", k);
        sb_str(&b, key);
        free(key);
        sb_put(&b, c->items[i].raw, c->items[i].raw_len);
    }
    sb_str(&b, "}");
    return b.s;
}

static bool json_text_eq(const char *text, const jval *want, bool ordered) {
    jval *got = text ? jparse(text) : NULL;
    bool eq = got && want && jeq(got, want, ordered);
    jfree(got);
    return eq;
}

typedef struct {
    size_t results, storage, skipped;
} tally;

/* Runs one request; returns false when it cannot be expressed in C (a non-string key). */
static bool run_case(vwo_fme_client *c, const jval *req, const jval *cs, const char *name, size_t i, tally *t) {
    const char *api = jstr(req, "api");
    const jval *ctx_v = jget(req, "context");
    if (!ctx_v && strcmp(api, "updateSettings") != 0 && strcmp(api, "flushEvents") != 0 && strcmp(api, "getUUID") != 0)
        return false; /* a missing argument: a host-language error */
    char *ctx = sdk_context(ctx_v);
    bool raised = jget(cs, "raised") && jget(cs, "raised")->t != J_NULL;
    const jval *result = jget(cs, "result");
    bool ran = true;
    if (strcmp(api, "getFlag") == 0) {
        const jval *fk = jget(req, "featureKey");
        if (!fk || fk->t != J_STR) {
            ran = false;
        } else {
            vwo_flag *f = NULL;
            vwo_status st = vwo_fme_get_flag(c, fk->s, ctx, &f);
            CHECK(st == VWO_OK && f, "%s#%zu get_flag: %s", name, i, last_error());
            if (raised) {
                CHECK(!vwo_flag_is_enabled(f), "%s#%zu: F1: a disabled flag", name, i);
            } else {
                bool ok = vwo_flag_is_enabled(f) == jtruthy(jget(result, "isEnabled"));
                char *vars = NULL;
                ok &= vwo_flag_variables(f, &vars) == VWO_OK && json_text_eq(vars, jget(result, "variables"), true);
                vwo_string_free(vars);
                const jval *gv = jget(result, "getVariable");
                const jval *defaults = jget(req, "variableDefaults");
                for (size_t k = 0; gv && k < gv->len; k++) {
                    char *v = NULL;
                    ok &= vwo_flag_get_json(f, gv->keys[k], &v) == VWO_OK;
                    if (v) ok &= json_text_eq(v, &gv->items[k], true);
                    else ok &= defaults && jget(defaults, gv->keys[k]) && jeq(jget(defaults, gv->keys[k]), &gv->items[k], true);
                    vwo_string_free(v);
                }
                char *uuid = NULL;
                ok &= vwo_flag_uuid(f, &uuid) == VWO_OK;
                const char *want = jstr(result, "uuid");
                ok &= (want == NULL && uuid == NULL) || (want && uuid && strcmp(want, uuid) == 0);
                vwo_string_free(uuid);
                CHECK(ok, "%s#%zu getFlag: result differs from %.300s", name, i, result ? result->raw : "");
                t->results += ok;
            }
            vwo_flag_free(f);
        }
    } else if (strcmp(api, "trackEvent") == 0) {
        const jval *en = jget(req, "eventName");
        if (!en || en->t != J_STR) {
            ran = false;
        } else {
            const jval *props = jget(req, "eventProperties");
            char *props_text = props ? jraw(props) : NULL;
            bool tracked = false;
            vwo_status st = vwo_fme_track_event(c, en->s, ctx, props_text, &tracked);
            bool ok = st == VWO_OK && tracked == jtruthy(jget(result, en->s));
            CHECK(ok, "%s#%zu trackEvent: %s", name, i, last_error());
            t->results += ok;
            free(props_text);
        }
    } else if (strcmp(api, "setAttribute") == 0) {
        const jval *attrs = jget(req, "attributes");
        vwo_status st;
        if (attrs) {
            char *a = jraw(attrs);
            st = vwo_fme_set_attributes(c, a, ctx);
            free(a);
        } else {
            const jval *k = jget(req, "attributeKey");
            if (!k || k->t != J_STR) {
                free(ctx);
                return false;
            }
            char *v = jraw(jget(req, "attributeValue"));
            st = vwo_fme_set_attribute(c, k->s, v, ctx);
            free(v);
        }
        CHECK(st == VWO_OK, "%s#%zu setAttribute: %s", name, i, last_error());
        t->results += st == VWO_OK;
    } else if (strcmp(api, "updateSettings") == 0) {
        const jval *s = jget(req, "settings");
        char *text = s && s->t != J_NULL ? jraw(s) : NULL;
        if (!text) {
            ran = false;
        } else {
            (void)vwo_fme_update_settings(c, text, true);
            t->results++;
        }
        free(text);
    } else if (strcmp(api, "flushEvents") == 0) {
        bool delivered = false;
        CHECK(vwo_fme_client_flush(c, 10000, &delivered, NULL) == VWO_OK && delivered, "%s#%zu flush", name, i);
        t->results++;
    } else if (strcmp(api, "getUUID") == 0) {
        const jval *u = jget(req, "userId"), *a = jget(req, "accountId");
        if (!u || !a || u->t != J_STR || a->t != J_STR) {
            ran = false;
        } else {
            char *uuid = NULL;
            vwo_status st = vwo_fme_get_uuid(u->s, a->s, &uuid);
            const char *want = result && result->t == J_STR ? result->s : NULL;
            bool ok = want ? (st == VWO_OK && uuid && strcmp(uuid, want) == 0) : st != VWO_OK;
            CHECK(ok, "%s#%zu getUUID", name, i);
            t->results += ok;
            vwo_string_free(uuid);
        }
    } else {
        ran = false;
    }
    free(ctx);
    return ran;
}

static void run_corpus_file(const char *dir, const char *name, collector *col) {
    char *path = str_printf("%s/%s", dir, name);
    char *text = read_file(path, NULL);
    jval *doc = text ? jparse(text) : NULL;
    CHECK(doc != NULL, "%s: cannot read", path);
    if (!doc) {
        free(text);
        free(path);
        return;
    }
    const jval *launch = jget(doc, "launch"), *init = jget(doc, "initOptions");
    char *settings = jraw(jget(doc, "settings"));
    char *account = jraw(jget(init, "account_id"));
    const jval *batch = jget(init, "batch_event_data");
    char *batch_text = batch ? str_printf(",\"batch_event_data\":{\"events_per_request\":%.0f}",
                                          jget(batch, "events_per_request")->n)
                             : strdup("");
    const char *entry = jstr(launch, "entry") ? jstr(launch, "entry") : "vwo";
    bool dev = jtruthy(jget(launch, "isDevelopmentMode"));
    char *options = str_printf("{\"sdk_key\":\"%s\",\"account_id\":%s,\"settings\":%s,\"base_url\":\"http://127.0.0.1:%d\","
                               "\"entry\":\"%s\",\"is_development_mode\":%s,\"sdk_name\":\"%s-fme-python-sdk\","
                               "\"poll_interval\":0,\"language_version\":\"c\","
                               "\"logger_is_custom\":false,\"threading\":{\"enabled\":false}%s}",
                               jstr(init, "sdk_key"), account, settings, collector_port(col), entry, dev ? "true" : "false",
                               entry, batch_text);
    mem_storage st = {PTHREAD_MUTEX_INITIALIZER, 0, 0, NULL, NULL, {0}};
    vwo_callbacks cb = {0};
    cb.logger = quiet_logger;
    bool storage = jtruthy(jget(launch, "storage"));
    if (storage) {
        cb.user_data = &st;
        cb.storage_get = mem_get;
        cb.storage_set = mem_set;
    }
    vwo_fme_client *c = NULL;
    vwo_status s = vwo_fme_client_init(options, &cb, &c);
    CHECK(s == VWO_OK, "%s: init: %s", name, last_error());
    strlist want = {0}, got = {0};
    /* The init events after the settings GET (libvwo was given the settings). */
    const jval *init_events = jget(jget(doc, "init"), "events");
    for (size_t j = 1; init_events && j < init_events->len; j++)
        payload_keys(jstr(&init_events->items[j], "wireUrl"), jget(&init_events->items[j], "body"), &want);
    const jval *cases = jget(doc, "cases");
    tally t = {0, 0, 0};
    size_t n_cases = 0;
    for (size_t i = 0; c && cases && i < cases->len; i++) {
        const jval *cs = &cases->items[i];
        const jval *req = jget(cs, "request");
        if (strcmp(jstr(req, "api"), "getStorage") == 0) continue;
        n_cases++;
        size_t sets_before = st.sets.len;
        if (!run_case(c, req, cs, name, i, &t)) {
            t.skipped++;
            continue;
        }
        const jval *ev = jget(cs, "events");
        for (size_t j = 0; ev && j < ev->len; j++) {
            const jval *body = jget(&ev->items[j], "body");
            const jval *list = jget(body, "ev");
            if (list && list->t == J_ARR && list->len == 0) continue; /* POLICY F2 */
            payload_keys(jstr(&ev->items[j], "wireUrl"), body, &want);
        }
        const jval *ops = jget(cs, "storage");
        if (ops) {
            size_t k = sets_before;
            bool ok = true;
            for (size_t j = 0; j < ops->len; j++) {
                const jval *op = &ops->items[j];
                if (strcmp(jstr(op, "op"), "set") != 0) continue;
                ok &= k < st.sets.len && json_text_eq(st.sets.items[k], jget(op, "value"), true);
                k++;
            }
            ok &= k == st.sets.len;
            CHECK(ok, "%s#%zu storage records differ", name, i);
            t.storage += ok;
        }
    }
    bool delivered = false;
    s = vwo_fme_client_flush(c, 20000, &delivered, NULL);
    CHECK(s == VWO_OK && delivered, "%s: final flush", name);
    http_request *reqs = NULL;
    size_t n = collector_take(col, &reqs);
    for (size_t k = 0; k < n; k++) {
        jval *body = jparse(reqs[k].body);
        payload_keys(reqs[k].target, body, &got);
        jfree(body);
    }
    qsort(want.items, want.len, sizeof *want.items, str_cmp);
    qsort(got.items, got.len, sizeof *got.items, str_cmp);
    size_t same = 0;
    for (size_t a = 0, b = 0; a < want.len && b < got.len;) {
        int cmp = strcmp(want.items[a], got.items[b]);
        if (cmp == 0) {
            same++;
            a++;
            b++;
        } else if (cmp < 0) {
            CHECK(false, "%s: missing payload %.400s", name, want.items[a]);
            a++;
        } else {
            /* With SDK batching the reference never sent what was still queued at the end of its run;
             * libvwo's final flush sends it: fewer than one batch of extra payloads. */
            CHECK(batch != NULL, "%s: unexpected payload %.400s", name, got.items[b]);
            b++;
        }
    }
    size_t per_batch = batch ? (size_t)jget(batch, "events_per_request")->n : 0;
    CHECK(same == want.len && (got.len == same || (batch && got.len - same < per_batch)),
          "%s: %zu payloads expected, %zu sent, %zu equal", name, want.len, got.len, same);
    printf("fme corpus %s: %zu requests (%zu not expressible in C), results %zu, storage %zu, %zu/%zu payloads over HTTP\n",
           name, n_cases, t.skipped, t.results, t.storage, same, want.len);
    collector_free_requests(reqs, n);
    vwo_fme_client_free(c);
    sl_free(&want);
    sl_free(&got);
    mem_free(&st);
    free(options);
    free(batch_text);
    free(account);
    free(settings);
    jfree(doc);
    free(text);
    free(path);
}

/* The runs (`*__*.json`) of one directory, in name order. */
static size_t run_dir(const char *cdir, collector *col) {
    DIR *d = opendir(cdir);
    CHECK(d != NULL, "%s: cannot open", cdir);
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0 && strstr(e->d_name, "__") &&
            !strstr(e->d_name, ".getflag.")) {
            names = realloc(names, (n + 1) * sizeof *names);
            names[n++] = strdup(e->d_name);
        }
    }
    if (d) closedir(d);
    qsort(names, n, sizeof *names, str_cmp);
    for (size_t i = 0; i < n; i++) {
        run_corpus_file(cdir, names[i], col);
        free(names[i]);
    }
    free(names);
    return n;
}

static void suite_corpus(const char *dir) {
    collector *col = collector_start();
    CHECK(col != NULL, "collector did not start");
    if (!col) return;
    char *corpus = str_printf("%s/fme/corpus", dir), *extra = str_printf("%s/fme/extra", dir);
    size_t n = run_dir(corpus, col);
    CHECK(n == 16, "16 corpus runs, found %zu", n);
    n = run_dir(extra, col);
    CHECK(n >= 4, "libvwo's own oracle runs, found %zu", n);
    free(corpus);
    free(extra);
    collector_stop(col);
}

/* ------------------------------------------------------------------ abuse */

static const char *SETTINGS =
    "{\"version\": 1, \"accountId\": 7, \"sdkKey\": \"k\", \"features\": [{\"id\": 1, \"key\": \"f\", \"name\": \"F\","
    "\"type\": \"FEATURE_FLAG\", \"status\": \"ON\", \"metrics\": [{\"id\": 1, \"type\": \"CUSTOM_GOAL\", \"identifier\": \"e\"}],"
    "\"rules\": [{\"type\": \"FLAG_ROLLOUT\", \"ruleKey\": \"r\", \"campaignId\": 1, \"variationId\": 1}]}],"
    "\"campaigns\": [{\"id\": 1, \"type\": \"FLAG_ROLLOUT\", \"key\": \"f_r\", \"name\": \"r\", \"status\": \"RUNNING\","
    "\"segments\": {}, \"variations\": [{\"id\": 1, \"name\": \"on\", \"weight\": 100, \"segments\": {},"
    "\"variables\": [{\"id\": 1, \"key\": \"s\", \"type\": \"string\", \"value\": \"x\"},"
    "{\"id\": 2, \"key\": \"n\", \"type\": \"integer\", \"value\": 42}, {\"id\": 3, \"key\": \"d\", \"type\": \"double\", \"value\": 2.5},"
    "{\"id\": 4, \"key\": \"b\", \"type\": \"boolean\", \"value\": true}, {\"id\": 5, \"key\": \"j\", \"type\": \"json\", \"value\": {\"a\": [1]}}]}]}]}";

static vwo_fme_client *dev_client(void) {
    char *options = str_printf("{\"sdk_key\": \"k\", \"account_id\": 7, \"settings\": %s, \"poll_interval\": 0,"
                               "\"base_url\": \"http://127.0.0.1:9\", \"delivery\": {\"max_attempts\": 1, \"close_timeout_ms\": 10}}",
                               SETTINGS);
    vwo_callbacks cb = {0};
    cb.logger = quiet_logger;
    vwo_fme_client *c = NULL;
    vwo_status st = vwo_fme_client_init(options, &cb, &c);
    CHECK(st == VWO_OK, "init: %s", last_error());
    free(options);
    return c;
}

static void suite_abuse(void) {
    vwo_fme_client *c = NULL;
    CHECK(vwo_fme_client_init(NULL, NULL, &c) == VWO_NULL_ARGUMENT, "NULL options");
    CHECK(vwo_fme_client_init("{", NULL, &c) == VWO_INVALID_JSON, "bad JSON options");
    CHECK(vwo_fme_client_init("{\"sdk_key\": \"k\"}", NULL, &c) == VWO_INVALID_OPTIONS, "no account id");
    CHECK(strstr(last_error(), "account_id") != NULL, "names account_id: %s", last_error());
    CHECK(vwo_fme_client_init("{\"sdk_key\": \"k\", \"account_id\": 1, \"settings\": {}, \"colour\": 1}", NULL, &c) ==
              VWO_INVALID_OPTIONS, "unknown option");
    CHECK(vwo_fme_client_init("{\"sdk_key\": \"k\", \"account_id\": 1, \"settings\": {\"features\": 5}}", NULL, &c) ==
              VWO_INVALID_SETTINGS, "invalid settings");
    CHECK(vwo_fme_client_init("{\"sdk_key\": \"k\", \"account_id\": 1, \"settings\": {}, \"poll_interval\": 5}", NULL,
                              &c) == VWO_INVALID_OPTIONS, "poll interval below 1 s");
    CHECK(vwo_fme_client_init("{\"sdk_key\": \"k\", \"account_id\": 1, \"settings\": \"x\"}", NULL, NULL) ==
              VWO_NULL_ARGUMENT, "NULL out");
    CHECK(c == NULL, "nothing written on failure");

    c = dev_client();
    if (!c) return;
    vwo_flag *f = NULL;
    CHECK(vwo_fme_get_flag(NULL, "f", "{\"id\": \"u\"}", &f) == VWO_NULL_ARGUMENT, "NULL client");
    CHECK(vwo_fme_get_flag(c, NULL, "{\"id\": \"u\"}", &f) == VWO_NULL_ARGUMENT, "NULL key");
    CHECK(vwo_fme_get_flag(c, "f", NULL, &f) == VWO_NULL_ARGUMENT, "NULL context");
    CHECK(vwo_fme_get_flag(c, "f", "{\"id\": \"u\"}", NULL) == VWO_NULL_ARGUMENT, "NULL out");
    CHECK(vwo_fme_get_flag(c, "\xff\xfe", "{\"id\": \"u\"}", &f) == VWO_INVALID_UTF8, "invalid UTF-8 key");
    CHECK(vwo_fme_get_flag(c, "f", "{\"id\": \"\xff\"}", &f) == VWO_INVALID_UTF8, "invalid UTF-8 context");
    CHECK(vwo_fme_get_flag(c, "f", "{\"id\": ", &f) == VWO_INVALID_JSON, "malformed context");
    /* Deeply nested and huge input: a clean error or answer, never a crash. */
    size_t depth = 100000;
    char *deep = malloc(depth * 2 + 16);
    size_t k = 0;
    for (size_t i = 0; i < depth; i++) deep[k++] = '[';
    for (size_t i = 0; i < depth; i++) deep[k++] = ']';
    deep[k] = 0;
    CHECK(vwo_fme_get_flag(c, "f", deep, &f) == VWO_INVALID_JSON, "100,000-deep context");
    free(deep);
    size_t big = 8u << 20;
    char *huge = malloc(big + 64);
    strcpy(huge, "{\"id\": \"");
    memset(huge + 8, 'u', big);
    strcpy(huge + 8 + big, "\"}");
    CHECK(vwo_fme_get_flag(c, "f", huge, &f) == VWO_OK && vwo_flag_is_enabled(f), "8 MiB user id");
    vwo_flag_free(f);
    free(huge);
    /* Contexts the reference refuses: a disabled flag. */
    const char *bad[] = {"null", "[]", "{}", "{\"id\": 5}", "{\"id\": null}", "{\"name\": \"x\"}", "\"u\"", NULL};
    for (int i = 0; bad[i]; i++) {
        f = NULL;
        CHECK(vwo_fme_get_flag(c, "f", bad[i], &f) == VWO_OK && f && !vwo_flag_is_enabled(f), "context %s", bad[i]);
        char *uuid = (char *)1;
        CHECK(vwo_flag_uuid(f, &uuid) == VWO_OK && uuid == NULL, "no uuid for %s", bad[i]);
        vwo_flag_free(f);
    }
    /* Typed getters. */
    CHECK(vwo_fme_get_flag(c, "f", "{\"id\": \"u\"}", &f) == VWO_OK && vwo_flag_is_enabled(f), "enabled");
    CHECK(vwo_flag_get_int(f, "n", -1) == 42, "int");
    CHECK(vwo_flag_get_double(f, "d", 0) == 2.5 && vwo_flag_get_double(f, "n", 0) == 42, "double");
    CHECK(vwo_flag_get_bool(f, "b", false) && !vwo_flag_get_bool(f, "s", false), "bool, no coercion");
    CHECK(vwo_flag_get_int(f, "s", -1) == -1 && vwo_flag_get_int(f, "missing", 7) == 7, "defaults");
    CHECK(vwo_flag_get_int(f, NULL, 3) == 3 && vwo_flag_get_int(NULL, "n", 4) == 4, "NULLs give the default");
    char *s = NULL;
    CHECK(vwo_flag_get_string(f, "s", &s) == VWO_OK && s && strcmp(s, "x") == 0, "string");
    vwo_string_free(s);
    s = (char *)1;
    CHECK(vwo_flag_get_string(f, "n", &s) == VWO_OK && s == NULL, "not a string: NULL");
    CHECK(vwo_flag_get_string(f, "s", NULL) == VWO_NULL_ARGUMENT, "NULL out");
    CHECK(vwo_flag_get_json(f, "j", &s) == VWO_OK && s && strcmp(s, "{\"a\":[1]}") == 0, "json: %s", s ? s : "");
    vwo_string_free(s);
    CHECK(vwo_flag_reason(f, &s) == VWO_OK && s && strstr(s, "\"reason\":\"ROLLOUT\"") && strstr(s, "\"ruleKey\":\"r\""),
          "reason: %s", s ? s : "");
    vwo_string_free(s);
    CHECK(vwo_flag_variables(f, &s) == VWO_OK && s && strstr(s, "\"key\":\"s\""), "variables");
    vwo_string_free(s);
    CHECK(vwo_flag_session_id(f) > 1600000000u && vwo_flag_session_id(NULL) == 0, "session id");
    vwo_flag_free(f);
    vwo_flag_free(NULL);
    /* Events. */
    bool tracked = true;
    CHECK(vwo_fme_track_event(c, "nope", "{\"id\": \"u\"}", NULL, &tracked) == VWO_OK && !tracked, "unknown event");
    CHECK(vwo_fme_track_event(c, "e", "{\"id\": \"u\"}", "{\"revenue\": 5}", &tracked) == VWO_OK && tracked, "event");
    CHECK(vwo_fme_track_event(c, "e", "{\"id\": \"u\"}", "[", &tracked) == VWO_INVALID_JSON, "bad properties");
    CHECK(vwo_fme_track_event(c, "e", "{\"id\": \"u\"}", "5", &tracked) == VWO_OK && !tracked, "properties not an object");
    CHECK(vwo_fme_set_attributes(c, "{\"plan\": \"gold\"}", "{\"id\": \"u\"}") == VWO_OK, "attributes");
    CHECK(vwo_fme_set_attributes(c, NULL, "{\"id\": \"u\"}") == VWO_NULL_ARGUMENT, "NULL attributes");
    CHECK(vwo_fme_set_attribute(c, "k", "[1]", "{\"id\": \"u\"}") == VWO_OK, "list value: refused, logged");
    CHECK(vwo_fme_update_settings(c, "{\"features\": 5}", true) == VWO_INVALID_SETTINGS, "invalid update");
    CHECK(vwo_fme_get_flag(c, "f", "{\"id\": \"u\"}", &f) == VWO_OK && vwo_flag_is_enabled(f), "settings kept");
    vwo_flag_free(f);
    char *uuid = NULL;
    CHECK(vwo_fme_get_uuid("u", "7", &uuid) == VWO_OK && uuid && strlen(uuid) == 32, "uuid");
    vwo_string_free(uuid);
    CHECK(vwo_fme_get_uuid("", "7", &uuid) == VWO_INVALID_ARGUMENT, "empty user id");
    CHECK(vwo_fme_client_close(c) == VWO_OK && vwo_fme_client_close(c) == VWO_OK, "close twice");
    CHECK(vwo_fme_get_flag(c, "f", "{\"id\": \"u\"}", &f) == VWO_OK && vwo_flag_is_enabled(f), "decides after close");
    vwo_flag_free(f);
    vwo_fme_client_free(c);
    vwo_fme_client_free(NULL);
    printf("fme abuse: NULLs, invalid UTF-8, malformed, deep and huge JSON, refused contexts, typed getters\n");
}

/* ------------------------------------------------------------------ threads */

typedef struct {
    vwo_fme_client *c;
    int from, to;
    uint64_t digest;
} work_t;

static uint64_t fnv(uint64_t h, const char *s) {
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static void *work(void *arg) {
    work_t *w = arg;
    uint64_t h = 1469598103934665603u;
    for (int i = w->from; i < w->to; i++) {
        char ctx[64];
        snprintf(ctx, sizeof ctx, "{\"id\": \"user-%d\"}", i);
        vwo_flag *f = NULL;
        if (vwo_fme_get_flag(w->c, "f", ctx, &f) != VWO_OK) continue;
        char *uuid = NULL;
        vwo_flag_uuid(f, &uuid);
        h = fnv(h, vwo_flag_is_enabled(f) ? "1" : "0");
        h = fnv(h, uuid ? uuid : "-");
        vwo_string_free(uuid);
        vwo_flag_free(f);
    }
    w->digest = h;
    return NULL;
}

static void suite_threads(void) {
    vwo_fme_client *c = dev_client();
    if (!c) return;
    int per = 2000;
    const char *env = getenv("VWO_TEST_THREAD_OPS");
    if (env) per = atoi(env);
    work_t seq[8], par[8];
    pthread_t th[8];
    for (int t = 0; t < 8; t++) {
        seq[t] = (work_t){c, t * per, (t + 1) * per, 0};
        work(&seq[t]);
    }
    for (int t = 0; t < 8; t++) {
        par[t] = (work_t){c, t * per, (t + 1) * per, 0};
        pthread_create(&th[t], NULL, work, &par[t]);
    }
    for (int t = 0; t < 8; t++) {
        pthread_join(th[t], NULL);
        CHECK(par[t].digest == seq[t].digest, "thread %d differs from the sequential run", t);
    }
    vwo_fme_client_free(c);
    printf("fme threads: 8 threads x %d decisions agree with a sequential run\n", per);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s VECTORS_DIR [corpus|abuse|threads]...\n", argv[0]);
        return 2;
    }
    bool all = argc == 2;
    for (int i = 2; i < argc || all; i++) {
        const char *s = all ? NULL : argv[i];
        if (all || strcmp(s, "corpus") == 0) suite_corpus(argv[1]);
        if (all || strcmp(s, "abuse") == 0) suite_abuse();
        if (all || strcmp(s, "threads") == 0) suite_threads();
        if (all) break;
    }
    printf("fme: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
