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
#endif
