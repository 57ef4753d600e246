// Declarations of shim.c, shared by the Go files of this package.
#ifndef LIBVWO_GO_SHIM_H
#define LIBVWO_GO_SHIM_H
#include <stdint.h>
#include "vwo.h"

#define LIBVWO_GO_STORAGE 1
#define LIBVWO_GO_LOGGER 2
#define LIBVWO_GO_INTEGRATIONS 4
#define LIBVWO_GO_FLUSH 8

vwo_status libvwo_go_launch(const char *settings, const char *options, uintptr_t handle, int flags,
                            vwo_client **out, char *err, size_t err_len);
vwo_status libvwo_go_decide(const vwo_client *c, int activate, const char *campaign_key,
                            const char *user_id, const char *options, char *buf, size_t buf_len,
                            size_t *len_out, bool *has_out, char *err, size_t err_len);
vwo_status libvwo_go_is_feature_enabled(const vwo_client *c, const char *campaign_key, const char *user_id,
                                        const char *options, bool *out, char *err, size_t err_len);
vwo_status libvwo_go_variable(const vwo_client *c, const char *campaign_key, const char *variable_key,
                              const char *user_id, const char *options, char **out, char *err,
                              size_t err_len);
vwo_status libvwo_go_track(const vwo_client *c, int list, const char *campaign, const char *user_id,
                           const char *goal, const char *options, char **out, char *err, size_t err_len);
vwo_status libvwo_go_push(const vwo_client *c, const char *key, const char *value, const char *user_id,
                          bool *out, char *err, size_t err_len);
vwo_status libvwo_go_get_settings_file(const char *account_id, const char *sdk_key, const char *base_url,
                                       char **out, char *err, size_t err_len);
vwo_status libvwo_go_update_settings(const vwo_client *c, bool webhook, char **out, char *err,
                                     size_t err_len);
vwo_status libvwo_go_replace_settings(const vwo_client *c, const char *settings, char *err, size_t err_len);

// FME (vwo_fme_client).
vwo_status libvwo_go_fme_init(const char *options, uintptr_t handle, int flags, vwo_fme_client **out,
                              char *err, size_t err_len);
vwo_status libvwo_go_fme_get_flag(const vwo_fme_client *c, const char *feature_key, const char *context,
                                  int want_reason, bool *enabled, uint64_t *session_id, char *buf,
                                  size_t buf_len, size_t *len_out, char **big_out, char *err, size_t err_len);
vwo_status libvwo_go_fme_track_event(const vwo_fme_client *c, const char *event_name, const char *context,
                                     const char *properties, bool *out, char *err, size_t err_len);
vwo_status libvwo_go_fme_set_attributes(const vwo_fme_client *c, const char *attributes, const char *context,
                                        char *err, size_t err_len);
vwo_status libvwo_go_fme_update_settings(const vwo_fme_client *c, const char *settings, bool webhook, char *err,
                                         size_t err_len);
vwo_status libvwo_go_fme_settings(const vwo_fme_client *c, char **out, char *err, size_t err_len);
vwo_status libvwo_go_fme_get_uuid(const char *user_id, const char *account_id, char **out, char *err,
                                  size_t err_len);
#endif
