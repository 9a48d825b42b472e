/* harness list and harness verify.
 *
 *   list_command(csv);          // table of models, or CSV for scripts
 *   verify_command(&opts, models, n);
 */
#ifndef HARNESS_COMMANDS_H
#define HARNESS_COMMANDS_H

#include <stdbool.h>

#include "base/models.h"
#include "options/opts.h"

/* CSV form (for bench/check_run.py): name,category,available,reason,origin */
int list_command(bool csv);
/* 0 if every available model passed; skipped models do not fail it. */
int verify_command(const struct opts *o, const struct model *const *models, int n);

#endif
