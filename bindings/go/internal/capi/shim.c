// C side of the cgo binding: the trampolines libvwo calls back through, and wrappers that read the
// thread's last error message in the same C call as the failing function (a goroutine may move to
// another OS thread between two cgo calls, and libvwo's last error is per OS thread).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "vwo.h"
#include "shim.h"
#include "_cgo_export.h"

// storage_get's result must stay valid until the next storage_get on the same thread.
static __thread char *libvwo_go_record;

static const char *tramp_storage_get(void *ud, const char *user_id, const char *campaign_key) {
    char *s = libvwoGoStorageGet((uintptr_t)ud, (char *)user_id, (char *)campaign_key);
    free(libvwo_go_record);
    libvwo_go_record = s;
    return s;
}

static int tramp_storage_set(void *ud, const char *record_json) {
    return libvwoGoStorageSet((uintptr_t)ud, (char *)record_json);
}

static void tramp_logger(void *ud, int level, const char *message) {
    libvwoGoLog((uintptr_t)ud, level, (char *)message);
}

static void tramp_integrations(void *ud, const char *payload_json) {
    libvwoGoIntegrations((uintptr_t)ud, (char *)payload_json);
}

static void tramp_flush(void *ud, const char *error_message, const char *events_json) {
    libvwoGoFlush((uintptr_t)ud, (char *)error_message, (char *)events_json);
}

#define ERR_OUT(call)                                          \
    vwo_status st = (call);                                    \
    if (st != VWO_OK && err != NULL) vwo_last_error_message(err, err_len); \
    return st

vwo_status libvwo_go_launch(const char *settings, const char *options, uintptr_t handle, int flags,
                            vwo_client **out, char *err, size_t err_len) {
    vwo_callbacks cb = {0};
    cb.user_data = (void *)handle;
    if (flags & LIBVWO_GO_STORAGE) {
        cb.storage_get = tramp_storage_get;
        cb.storage_set = tramp_storage_set;
    }
    if (flags & LIBVWO_GO_LOGGER) cb.logger = tramp_logger;
    if (flags & LIBVWO_GO_INTEGRATIONS) cb.integrations = tramp_integrations;
    if (flags & LIBVWO_GO_FLUSH) cb.flush = tramp_flush;
    ERR_OUT(vwo_client_launch(settings, options, &cb, out));
}

vwo_status libvwo_go_decide(const vwo_client *c, int activate, const char *campaign_key,
                            const char *user_id, const char *options, char *buf, size_t buf_len,
                            size_t *len_out, bool *has_out, char *err, size_t err_len) {
    ERR_OUT(activate ? vwo_client_activate(c, campaign_key, user_id, options, buf, buf_len, len_out, has_out)
                     : vwo_client_get_variation_name(c, campaign_key, user_id, options, buf, buf_len, len_out,
                                                     has_out));
}

vwo_status libvwo_go_is_feature_enabled(const vwo_client *c, const char *campaign_key, const char *user_id,
                                        const char *options, bool *out, char *err, size_t err_len) {
    ERR_OUT(vwo_client_is_feature_enabled(c, campaign_key, user_id, options, out));
}

vwo_status libvwo_go_variable(const vwo_client *c, const char *campaign_key, const char *variable_key,
                              const char *user_id, const char *options, char **out, char *err,
                              size_t err_len) {
    ERR_OUT(vwo_client_get_feature_variable_value(c, campaign_key, variable_key, user_id, options, out));
}

vwo_status libvwo_go_track(const vwo_client *c, int list, const char *campaign, const char *user_id,
                           const char *goal, const char *options, char **out, char *err, size_t err_len) {
    ERR_OUT(list ? vwo_client_track_list(c, campaign, user_id, goal, options, out)
                 : vwo_client_track(c, campaign, user_id, goal, options, out));
}

vwo_status libvwo_go_push(const vwo_client *c, const char *key, const char *value, const char *user_id,
                          bool *out, char *err, size_t err_len) {
    ERR_OUT(vwo_client_push(c, key, value, user_id, out));
}

vwo_status libvwo_go_get_settings_file(const char *account_id, const char *sdk_key, const char *base_url,
                                       char **out, char *err, size_t err_len) {
    ERR_OUT(vwo_get_settings_file(account_id, sdk_key, false, base_url, out));
}

vwo_status libvwo_go_update_settings(const vwo_client *c, bool webhook, char **out, char *err,
                                     size_t err_len) {
    ERR_OUT(vwo_client_get_and_update_settings_file(c, NULL, NULL, webhook, out));
}

vwo_status libvwo_go_replace_settings(const vwo_client *c, const char *settings, char *err, size_t err_len) {
    ERR_OUT(vwo_client_replace_settings(c, settings));
}

// ------------------------------------------------------------------------------------------ FME

vwo_status libvwo_go_fme_init(const char *options, uintptr_t handle, int flags, vwo_fme_client **out,
                              char *err, size_t err_len) {
    vwo_callbacks cb = {0};
    cb.user_data = (void *)handle;
    if (flags & LIBVWO_GO_STORAGE) {
        cb.storage_get = tramp_storage_get;
        cb.storage_set = tramp_storage_set;
    }
    if (flags & LIBVWO_GO_LOGGER) cb.logger = tramp_logger;
    if (flags & LIBVWO_GO_INTEGRATIONS) cb.integrations = tramp_integrations;
    if (flags & LIBVWO_GO_FLUSH) cb.flush = tramp_flush;
    ERR_OUT(vwo_fme_client_init(options, &cb, out));
}

// One get_flag in one cgo call: the decision, then everything the Go flag object holds, then the
// vwo_flag is freed. The texts (variables JSON, uuid, reason JSON when want_reason) are written to buf
// one after the other, each NUL-terminated, when they fit; else *big_out is a malloc'd block with the
// same layout (the caller frees it with free) and buf is untouched. *len_out is the layout's length.
vwo_status libvwo_go_fme_get_flag(const vwo_fme_client *c, const char *feature_key, const char *context,
                                  int want_reason, bool *enabled, uint64_t *session_id, char *buf,
                                  size_t buf_len, size_t *len_out, char **big_out, char *err, size_t err_len) {
    vwo_flag *f = NULL;
    vwo_status st = vwo_fme_get_flag(c, feature_key, context, &f);
    if (st != VWO_OK) {
        if (err != NULL) vwo_last_error_message(err, err_len);
        return st;
    }
    *enabled = vwo_flag_is_enabled(f);
    *session_id = vwo_flag_session_id(f);
    char *parts[3] = {NULL, NULL, NULL};
    if (*enabled) vwo_flag_variables(f, &parts[0]);
    vwo_flag_uuid(f, &parts[1]);
    if (want_reason) vwo_flag_reason(f, &parts[2]);
    vwo_flag_free(f);
    size_t lens[3], total = 0;
    for (int i = 0; i < 3; i++) {
        lens[i] = parts[i] ? strlen(parts[i]) : 0;
        total += lens[i] + 1;
    }
    char *dst = buf;
    *big_out = NULL;
    if (total > buf_len) {
        dst = malloc(total);
        if (dst == NULL) {
            for (int i = 0; i < 3; i++) vwo_string_free(parts[i]);
            return VWO_INTERNAL;
        }
        *big_out = dst;
    }
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        if (lens[i]) memcpy(dst + off, parts[i], lens[i]);
        dst[off + lens[i]] = 0;
        off += lens[i] + 1;
        vwo_string_free(parts[i]);
    }
    *len_out = total;
    return VWO_OK;
}

vwo_status libvwo_go_fme_track_event(const vwo_fme_client *c, const char *event_name, const char *context,
                                     const char *properties, bool *out, char *err, size_t err_len) {
    ERR_OUT(vwo_fme_track_event(c, event_name, context, properties, out));
}

vwo_status libvwo_go_fme_set_attributes(const vwo_fme_client *c, const char *attributes, const char *context,
                                        char *err, size_t err_len) {
    ERR_OUT(vwo_fme_set_attributes(c, attributes, context));
}

vwo_status libvwo_go_fme_update_settings(const vwo_fme_client *c, const char *settings, bool webhook, char *err,
                                         size_t err_len) {
    ERR_OUT(vwo_fme_update_settings(c, settings, webhook));
}

vwo_status libvwo_go_fme_settings(const vwo_fme_client *c, char **out, char *err, size_t err_len) {
    ERR_OUT(vwo_fme_client_settings(c, out));
}

vwo_status libvwo_go_fme_get_uuid(const char *user_id, const char *account_id, char **out, char *err,
                                  size_t err_len) {
    ERR_OUT(vwo_fme_get_uuid(user_id, account_id, out));
}
