/* What the line plots (plot.c) and the bar charts (plot_bars.c) share
 * (see plot_int.h): the series of a run with their fixed colours, which
 * points can be drawn, the terminal lines, the list of plots drawn. */
#include "report/plot_int.h"

#include <string.h>

#include "base/models.h"

/* Model colours by position in the model table (tab20's distinct half);
 * calibration black, references greys told apart by their dashes. */
static const unsigned model_colours[] = {
    0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e, 0x9467bd, 0x8c564b, 0xe377c2,
    0x17becf, 0xbcbd22, 0x393b79, 0x637939, 0xad494a, 0x7b4173, 0x3182bd,
};
static const unsigned ref_colours[] = {0x505050, 0x8a8a8a, 0x2f2f2f, 0x707070};

static void style_of(struct plot_series *s)
{
    int idx = 0, refs = 0;
    for (int i = 0; i < models_count(); i++) {
        const struct model *m = models_get(i);
        if (strcmp(m->name, s->model) == 0)
            break;
        if (m->kind == MODEL_SERVER)
            idx++;
        else if (m->kind == MODEL_REFERENCE)
            refs++;
    }
    s->context = model_category_rank(s->category) >= 3;
    if (strcmp(s->category, "calibration") == 0) {
        s->colour = 0x000000;
        s->dash = 3;
        s->point = 7;
    } else if (s->context) {
        s->colour = ref_colours[refs % 4];
        static const int dashes[] = {2, 4, 5}; /* dashed, dash-dot, dash-dot-dot */
        s->dash = dashes[refs % 3];
        s->point = 4 + refs % 3 * 2;
    } else {
        s->colour = model_colours[idx % (sizeof model_colours / sizeof model_colours[0])];
        s->dash = 1;
        s->point = 1 + idx % 13;
    }
}

int plot_list_series(const struct stats_points *p, struct plot_series *s, int max)
{
    int n = 0;
    for (size_t i = 0; i < p->n; i++) {
        bool seen = false;
        for (int k = 0; k < n; k++)
            seen |= strcmp(s[k].model, p->v[i].med.model) == 0;
        if (!seen && n < max) {
            snprintf(s[n].model, sizeof s[n].model, "%s", p->v[i].med.model);
            snprintf(s[n].category, sizeof s[n].category, "%s", p->v[i].med.category);
            style_of(&s[n++]);
        }
    }
    return n;
}

bool plot_usable(const struct stats_point *pt)
{
    return pt->ok_rounds > 0 && pt->med.requests > 0;
}

void plot_terminal(FILE *gp, const char *name, bool png, int height)
{
    if (png)
        fprintf(gp, "reset\nset terminal pngcairo size %d,%d enhanced font 'Helvetica,10' "
                    "background rgb 'white'\nset output '%s.png'\n", PLOT_WIDTH, height, name);
    else
        fprintf(gp, "reset\nset terminal svg size %d,%d dynamic enhanced font "
                    "'Helvetica,12' background rgb 'white'\nset output '%s.svg'\n",
                PLOT_WIDTH, height, name);
}

void plot_add(struct plot_set *set, const char *name, const char *title)
{
    if (set->n < PLOT_MAX) {
        set->names[set->n] = name;
        set->titles[set->n++] = title;
    }
}
