/* Everything the harness can measure: the models of servers/meson.build
 * (through the generated models.def), the calibration server and the
 * reference servers, in that order.
 *
 *   for (int i = 0; i < models_count(); i++) {
 *       const struct model *m = models_get(i);
 *       char why[256];
 *       if (!model_available(m, why, sizeof why)) printf("%s: %s\n", m->name, why);
 *   }
 */
#ifndef HARNESS_MODELS_H
#define HARNESS_MODELS_H

#include <stdbool.h>
#include <stddef.h>

enum model_kind {
    MODEL_SERVER,      /* servers/<name>.c, speaks the c10k-lab protocol */
    MODEL_CALIBRATION, /* bench/calibration.c: fixed response, no parsing */
    MODEL_REFERENCE,   /* nginx, h2o, lighttpd: configured by refs.c */
};

struct model {
    const char *name;
    const char *category;  /* blocking, event-driven, hybrid, reference, calibration */
    const char *origin;
    enum model_kind kind;
    bool built;            /* servers: meson built it here */
    const char *limits;    /* what limits it by design, in words, or NULL */
};

int models_count(void);
const struct model *models_get(int i);
const struct model *models_find(const char *name);
bool model_is_reference(const struct model *m); /* reference or calibration */
/* Category order for reports: blocking, event-driven, hybrid, calibration,
 * reference. */
int model_category_rank(const char *category);

/* The program to run: a build path or an installed program. */
int model_binary(const struct model *m, char *out, size_t outlen);
/* false with a reason (binary missing, not installed: package name...). */
bool model_available(const struct model *m, char *why, size_t whylen);

/* "all", or comma-separated names and categories ("blocking",
 * "reference"...), in table order without duplicates. Returns the count, or
 * -1 with "unknown model 'x'" in err. */
int models_select(const char *arg, const struct model **out, int max, char *err,
                  size_t errlen);

#endif
