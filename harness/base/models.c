/* The model table (from models.def), the calibration server and the
 * references, with where their programs live and whether they can run. */
#include "base/models.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

#ifndef C10K_BUILD_ROOT
#define C10K_BUILD_ROOT "build"
#endif

#define MODEL(name, category, origin, limits, built) \
    {name, category, origin, MODEL_SERVER, built, limits},

static const struct model table[] = {
#include "models.def"
    {"calibration", "calibration",
     "bench/calibration.c: one fixed 200 response per request, no parsing: "
     "the load generator's ceiling", MODEL_CALIBRATION, true,
     "an answer without reading the request: the floor of what serving costs"},
    {"nginx", "reference", "nginx, one worker, sendfile, as installed",
     MODEL_REFERENCE, true, "one worker process here: one CPU at most"},
    {"h2o", "reference", "h2o, one thread, as installed", MODEL_REFERENCE, true,
     "one thread here: one CPU at most"},
    {"lighttpd", "reference", "lighttpd, one process, sendfile, as installed",
     MODEL_REFERENCE, true, "one process: one CPU at most"},
};

/* Debian packages of the references, for "not installed" messages. */
static const char *package_of(const char *name)
{
    return strcmp(name, "nginx") == 0 ? "nginx-light" : name;
}

int models_count(void)
{
    return (int)(sizeof table / sizeof table[0]);
}

const struct model *models_get(int i)
{
    return i >= 0 && i < models_count() ? &table[i] : NULL;
}

const struct model *models_find(const char *name)
{
    for (int i = 0; i < models_count(); i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

bool model_is_reference(const struct model *m)
{
    return m->kind != MODEL_SERVER;
}

int model_category_rank(const char *category)
{
    static const char *order[] = {"blocking", "event-driven", "hybrid",
                                  "calibration", "reference"};
    for (int i = 0; i < 5; i++)
        if (strcmp(category, order[i]) == 0)
            return i;
    return 5;
}

int model_binary(const struct model *m, char *out, size_t outlen)
{
    switch (m->kind) {
    case MODEL_SERVER:
        snprintf(out, outlen, "%s/servers/%s", C10K_BUILD_ROOT, m->name);
        return util_is_executable(out) ? 0 : -1;
    case MODEL_CALIBRATION:
        snprintf(out, outlen, "%s/bench/calibration", C10K_BUILD_ROOT);
        return util_is_executable(out) ? 0 : -1;
    case MODEL_REFERENCE:
        return util_find_program(m->name, out, outlen);
    }
    return -1;
}

bool model_available(const struct model *m, char *why, size_t whylen)
{
    char bin[4096];
    why[0] = '\0';
    if (!m->built) {
        snprintf(why, whylen, "not built here: a build dependency is missing "
                              "(see meson setup output)");
        return false;
    }
    if (model_binary(m, bin, sizeof bin) == 0)
        return true;
    if (m->kind == MODEL_REFERENCE)
        snprintf(why, whylen, "%s not installed (Debian package %s)", m->name,
                 package_of(m->name));
    else
        snprintf(why, whylen, "binary missing: %s (run meson compile)", bin);
    return false;
}

static bool selected_by(const struct model *m, const char *word)
{
    return strcmp(word, "all") == 0 || strcmp(word, m->name) == 0 ||
           strcmp(word, m->category) == 0;
}

int models_select(const char *arg, const struct model **out, int max, char *err,
                  size_t errlen)
{
    char words[1024], *save = NULL;
    bool want[256] = {false};
    snprintf(words, sizeof words, "%s", arg);
    for (char *w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        bool any = false;
        for (int i = 0; i < models_count() && i < 256; i++)
            if (selected_by(&table[i], w))
                any = want[i] = true;
        if (!any) {
            snprintf(err, errlen, "unknown model '%s' (harness list shows them)", w);
            return -1;
        }
    }
    int n = 0;
    for (int i = 0; i < models_count() && i < 256 && n < max; i++)
        if (want[i])
            out[n++] = &table[i];
    if (n == 0)
        snprintf(err, errlen, "no model selected by '%s'", arg);
    return n ? n : -1;
}
