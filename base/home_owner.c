/* home_owner.c - see home_owner.h. */
#include "base/home_owner.h"

#include <sys/stat.h>
#include <unistd.h>

#include "base/error_text.h"
#include "base/shown_text.h"

/* home's owner, or (uid_t)-1 when it cannot be looked at */
static uid_t owner_of(const char *home)
{
    struct stat st;
    return home && stat(home, &st) == 0 ? st.st_uid : (uid_t)-1;
}

int sipc__owner_trusted(uid_t uid, const char *home)
{
    if (uid == geteuid() || uid == 0)
        return 1;
    return geteuid() == 0 && uid == owner_of(home);
}

void sipc__owner_fix(const char *home, const char *path, int link, char *err, size_t errlen)
{
    uid_t owner = owner_of(home);
    const char *h = link ? "-h " : "";
    char word[4400]; /* the path as a word to paste */
    sipc__shell_word(path, word, sizeof word);
    if (geteuid() == 0 && owner != (uid_t)-1 && owner != 0)
        sipc__adderr(err, errlen, ": run `chown %s%u %s` (uid %u owns %s, and its node runs as it)",
                     h, (unsigned)owner, word, (unsigned)owner, home);
    else
        sipc__adderr(err, errlen,
                     ": run `chown %s%u %s` (uid %u is the account this program runs as)", h,
                     (unsigned)geteuid(), word, (unsigned)geteuid());
}
