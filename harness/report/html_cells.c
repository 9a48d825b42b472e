/* The cells every HTML writer shares (see html.h): escaped text, numbers
 * and rates in <td>s, which rows are context (references, calibration). */
#include "report/html.h"

#include <string.h>

#include "base/util.h"

void html_esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

void html_num(FILE *f, double v, const char *fmt)
{
    fputs("<td>", f);
    if (v < 0)
        fputs("-", f);
    else
        fprintf(f, fmt, v);
    fputs("</td>", f);
}

void html_rate(FILE *f, double v)
{
    char s[32];
    util_format_rate(v, s, sizeof s);
    fprintf(f, "<td>%s</td>", v < 0 ? "-" : s);
}

bool html_is_ref(const char *category)
{
    return strcmp(category, "reference") == 0 || strcmp(category, "calibration") == 0;
}
