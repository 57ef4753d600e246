// C side of the cgo binding: the trampolines libvwo calls back through, and wrappers that read the
// thread's last error message in the same C call as the failing function (a goroutine may move to
// another OS thread between two cgo calls, and libvwo's last error is per OS thread).
#include <stdint.h>
#include <stdlib.h>
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
