/* libvwo quickstart: read a settings file, launch a client, activate a campaign for a few users,
 * track a goal, flush the events and free everything.
 *
 *   quickstart [SETTINGS_FILE] [BASE_URL]
 *
 * SETTINGS_FILE defaults to src/bin/vwo-demo/settings.json. Without BASE_URL the client runs in
 * development mode (decisions only, no event leaves the process); with one (e.g. a local collector
 * http://127.0.0.1:8080), events are sent there. */
#include <stdio.h>
#include <stdlib.h>

#include <vwo.h>

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    size_t got = text ? fread(text, 1, (size_t)n, f) : 0;
    fclose(f);
    if (text) text[got] = '\0';
    return text;
}

static int fail(const char *what, vwo_status status) {
    char message[512];
    vwo_last_error_message(message, sizeof message); /* per thread, copied: nothing to free */
    fprintf(stderr, "%s failed (status %d): %s\n", what, (int)status, message);
    return 1;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "src/bin/vwo-demo/settings.json";
    char options[512];
    if (argc > 2)
        snprintf(options, sizeof options, "{\"base_url\": \"%s\", \"sdk_name_suffix\": \"c\"}", argv[2]);
    else
        snprintf(options, sizeof options, "{\"is_development_mode\": true, \"sdk_name_suffix\": \"c\"}");

    char *settings = read_file(path);
    if (!settings) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    printf("libvwo %s, settings %s\n", vwo_version(), path);

    vwo_client *client = NULL;
    vwo_status status = vwo_client_launch(settings, options, NULL, &client);
    free(settings); /* libvwo keeps its own copy */
    if (status != VWO_OK) return fail("vwo_client_launch", status);

    const char *users[] = {"Ashley", "Bill", "Chris", "Dominic", "Emma"};
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
        char variation[64];
        size_t len = 0;
        bool has_variation = false;
        status = vwo_client_activate(client, "ab_homepage_hero", users[i], NULL, variation, sizeof variation, &len,
                                     &has_variation);
        if (status != VWO_OK) {
            vwo_client_free(client);
            return fail("vwo_client_activate", status);
        }
        printf("%-8s -> %s\n", users[i], has_variation ? variation : "(no variation)");

        char *result = NULL; /* {"campaign key": converted}, or NULL: freed with vwo_string_free */
        status = vwo_client_track(client, "ab_homepage_hero", users[i], "hero_click", NULL, &result);
        if (status != VWO_OK) {
            vwo_client_free(client);
            return fail("vwo_client_track", status);
        }
        printf("%-8s track hero_click: %s\n", users[i], result ? result : "null");
        vwo_string_free(result);
    }

    vwo_flush_report report;
    status = vwo_client_flush_events(client, 5000, &report);
    if (status != VWO_OK) {
        vwo_client_free(client);
        return fail("vwo_client_flush_events", status);
    }
    printf("flush: completed=%s accepted=%llu delivered=%llu failed=%llu\n", report.completed ? "yes" : "no",
           (unsigned long long)report.counters.accepted, (unsigned long long)report.counters.delivered,
           (unsigned long long)report.counters.failed);
    vwo_client_free(client);
    return 0;
}
