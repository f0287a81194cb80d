/* answer_list.c - see answer_list.h. */
#include "answer_list.h"

#include <stdio.h>

#include "shown_text.h"

void cli_print_list(const char *label, const json_t *list)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        char shown[1024];
        const char *s = json_string_value(v);
        cli_shown(s ? s : "?", shown, sizeof shown);
        printf("  %s%s\n", label, shown);
    }
}
