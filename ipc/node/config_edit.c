/* config_edit.c - sipc.conf edited in place (sipc_config_set, _edit,
 * _put_back): every other line and comment kept as the operator wrote it,
 * the file replaced whole, never through a link. */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_replace.h"
#include "config_internal.h"
#include "sipc/node.h"

static int line_is_section(const char *l, char *name, size_t cap)
{
    l += strspn(l, sipc__ini_space);
    if (*l != '[')
        return 0;
    const char *end = strchr(l, ']');
    if (!end)
        return 0;
    if ((size_t)(end - l - 1) >= cap) {
        name[0] = '\0'; /* still a section to the reader: one we never edit */
        return 1;
    }
    memcpy(name, l + 1, (size_t)(end - l - 1));
    name[end - l - 1] = '\0';
    return 1;
}

static int line_is_key(const char *l, const char *key)
{
    l += strspn(l, sipc__ini_space);
    size_t n = strlen(key);
    if (strncmp(l, key, n) != 0)
        return 0;
    l += n;
    l += strspn(l, sipc__ini_space);
    return *l == '=' || *l == ':';
}

/* sipc.conf is a symbolic link: not edited through it. Where it points is
 * named, as the operator makes the change there. */
static int link_refused(const char *path, char *err, size_t errlen)
{
    char to[512];
    ssize_t n = readlink(path, to, sizeof to - 1);
    to[n > 0 ? n : 0] = '\0';
    snprintf(err, errlen,
             "%s is a symbolic link%s%s%s: it is edited only as a regular file, never through a "
             "link; make the change in the file it points to, or replace the link by that file",
             path, to[0] ? " (to " : "", to, to[0] ? ")" : "");
    return SIPC_ECONFIG;
}

/* Replaces path (home's sipc.conf) with len bytes of text, as a whole (a
 * crash never leaves half a file, sipc__file_replace), keeping the mode and,
 * for root (a root tlstool in a home another account owns), the owner of
 * the file it replaces. A link there is refused, never followed: the file
 * it points to could be any, and replacing the link by a file would cut the
 * home off from it unnoticed. check: only while path is still the file
 * *was describes (was NULL: while there is none), else 1 (left as it is,
 * err says so). */
static int replace_conf(const char *home, const char *path, const char *text, size_t len,
                        int check, const struct stat *was, char *err, size_t errlen)
{
    if (mkdir(home, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", home, strerror(errno));
        return SIPC_ECONFIG;
    }
    struct stat st;
    mode_t mode = 0644;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode))
            return link_refused(path, err, errlen);
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s is not a regular file", path);
            return SIPC_ECONFIG;
        }
        mode = st.st_mode & 0777;
        if (geteuid() == 0)
            uid = st.st_uid, gid = st.st_gid;
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return SIPC_ECONFIG;
    }
    if (check)
        return sipc__file_replace_if(path, was, text, len, mode, uid, gid, err, errlen);
    return sipc__file_replace(path, text, len, mode, uid, gid, err, errlen);
}

/* The whole file as it is now: 0 with *out (malloc'd, *len bytes) and, when
 * st is not NULL, the file read as fstat saw it once read, 1 when there is
 * none, SIPC_ECONFIG when it cannot be read. */
static int read_conf(const char *path, char **out, size_t *len, struct stat *st, char *err,
                     size_t errlen)
{
    *out = NULL;
    *len = 0;
    /* read to be edited (st wanted): the file itself, never through a link,
     * which the edit would then be refused (replace_conf) or compared with
     * the wrong file */
    int fd = open(path, O_RDONLY | O_CLOEXEC | (st ? O_NOFOLLOW : 0));
    FILE *in = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!in) {
        int e = errno;
        struct stat ls;
        if (fd >= 0)
            close(fd);
        if (e == ENOENT)
            return 1;
        if (st && e == ELOOP && lstat(path, &ls) == 0 && S_ISLNK(ls.st_mode))
            return link_refused(path, err, errlen);
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        return SIPC_ECONFIG;
    }
    FILE *mem = open_memstream(out, len);
    char buf[4096];
    size_t n;
    int bad = !mem;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0)
        bad = fwrite(buf, 1, n, mem) != n;
    bad |= ferror(in);
    if (st)
        bad |= fstat(fileno(in), st) != 0;
    fclose(in);
    if (mem)
        bad |= fclose(mem) != 0;
    if (bad) {
        free(*out);
        *out = NULL;
        snprintf(err, errlen, "cannot read %s", path);
        return SIPC_ECONFIG;
    }
    return 0;
}

/* section, key and value as sipc_config_set takes them: 0, SIPC_EINVAL or
 * SIPC_ECONFIG (err says why). */
static int check_setting(const char *section, const char *key, const char *value, char *err,
                         size_t errlen)
{
    if (!section || !key || !value) {
        snprintf(err, errlen, "cannot set a setting: no section, key or value given");
        return SIPC_EINVAL;
    }
    if (!*section || !*key || strpbrk(section, "[]\r\n") ||
        strpbrk(key, "=:;#[] \t\r\n") || strpbrk(value, "\r\n")) {
        snprintf(err, errlen, "cannot set [%s] %s: invalid section, key or value",
                 section, key);
        return SIPC_ECONFIG;
    }
    if (strlen(key) + 3 + strlen(value) > INI_MAX_LINE - 1) {
        snprintf(err, errlen, "cannot set [%s] %s: the line would be longer than %d characters",
                 section, key, INI_MAX_LINE - 1);
        return SIPC_ECONFIG;
    }
    return 0;
}

/* The edit of sipc_config_edit, its arguments checked. */
static int edit_text(const char *old, size_t oldlen, const char *section, const char *key,
                     const char *value, char **text_out, size_t *out_len, char *err,
                     size_t errlen)
{
    *text_out = NULL;
    *out_len = 0;
    FILE *out = open_memstream(text_out, out_len);
    if (!out) {
        snprintf(err, errlen, "cannot set [%s] %s: out of memory", section, key);
        return SIPC_ENOMEM;
    }

    /* after_key follows the reader (inih's multi-line rule): an indented
     * line after a key line continues that key's value, even one that
     * looks like a section header (an IPv6 [addr]:port in a nodes list);
     * blank lines and comments change nothing */
    int in_section = 0, done = 0, seen_section = 0, skipping = 0, after_key = 0;
    char cur[128];
    const char *text = old ? old : "";
    const char *end = text + (old ? oldlen : 0);
    /* strtok_r would drop empty lines; walk by hand, by length (a NUL byte
       must not end the file early: the reader refuses such a file, and an
       edit must not silently cut it) */
    for (const char *l = text; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l);
        size_t whole = len; /* kept lines are copied byte for byte */
        char line[4096];
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, l, len);
        line[len] = '\0';
        const char *t = line + strspn(line, sipc__ini_space);
        size_t indent = (size_t)(t - line);
        int quiet = !*t || strchr(";#", *t); /* blank or a comment */
        if (after_key && indent && !quiet) {
            /* a continuation: dropped with the value being replaced */
            if (!skipping) {
                fwrite(l, 1, whole, out);
                fputc('\n', out);
            }
        } else if (!quiet && line_is_section(line, cur, sizeof cur)) {
            skipping = after_key = 0;
            if (in_section && !done) {
                fprintf(out, "%s = %s\n", key, value);
                done = 1;
                /* its indentation would now make it continue that line */
                fwrite(l + indent, 1, whole - indent, out);
            } else {
                fwrite(l, 1, whole, out);
            }
            fputc('\n', out);
            in_section = strcmp(cur, section) == 0;
            seen_section |= in_section;
        } else if (!quiet && in_section && line_is_key(line, key)) {
            /* every occurrence: the reader takes the last one, so a repeated
               key must not keep its old value */
            fprintf(out, "%s = %s\n", key, value);
            done = 1;
            skipping = after_key = 1;
        } else {
            if (!quiet)
                skipping = 0, after_key = 1;
            fwrite(l, 1, whole, out);
            fputc('\n', out);
        }
        l = nl ? nl + 1 : end;
    }
    if (!done) {
        if (!seen_section)
            fprintf(out, "%s[%s]\n", old && oldlen ? "\n" : "", section);
        fprintf(out, "%s = %s\n", key, value);
    }
    if (fclose(out) != 0) {
        free(*text_out);
        *text_out = NULL;
        *out_len = 0;
        snprintf(err, errlen, "cannot set [%s] %s: out of memory", section, key);
        return SIPC_ENOMEM;
    }
    return 0;
}

int sipc_config_edit(const void *text, size_t len, const char *section, const char *key,
                     const char *value, char **out, size_t *out_len, char *err, size_t errlen)
{
    if (!err)
        errlen = 0; /* no detail wanted: every write below is then empty */
    if (!out || !out_len) {
        snprintf(err, errlen, "no place for the edited text");
        return SIPC_EINVAL;
    }
    *out = NULL;
    *out_len = 0;
    int r = check_setting(section, key, value, err, errlen);
    if (r != 0)
        return r;
    return edit_text(text, len, section, key, value, out, out_len, err, errlen);
}

/* One read, edit and replace of sipc_config_set: 1 when the file changed
 * between the read and the rename (left as it is, to be edited again). */
static int set_once(const char *home, const char *path, const char *section, const char *key,
                    const char *value, char *err, size_t errlen)
{
    char *old;
    size_t oldlen;
    struct stat st;
    int r = read_conf(path, &old, &oldlen, &st, err, errlen);
    int had = r == 0;
    if (r < 0)
        return r;
    char *text_out;
    size_t out_len;
    r = edit_text(old, oldlen, section, key, value, &text_out, &out_len, err, errlen);
    free(old);
    if (r != 0)
        return r;
    r = replace_conf(home, path, text_out, out_len, 1, had ? &st : NULL, err, errlen);
    free(text_out);
    return r;
}

int sipc_config_set(const char *home, const char *section, const char *key, const char *value,
                    char *err, size_t errlen)
{
    if (!err)
        errlen = 0; /* no detail wanted: every write below is then empty */
    int r = check_setting(section, key, value, err, errlen);
    if (r != 0)
        return r;
    home = sipc_home_resolve(home);
    char path[1024];
    snprintf(path, sizeof path, "%s/sipc.conf", home);

    /* an edit someone makes between this read and the rename is kept: the
     * file is read and edited again (a few times, then given up) */
    r = 1;
    for (int i = 0; i < 4 && r == 1; i++)
        r = set_once(home, path, section, key, value, err, errlen);
    struct stat ls;
    if (r < 0 && lstat(path, &ls) == 0 && S_ISLNK(ls.st_mode)) {
        /* refused as a link: the line to write by hand (no setting is secret) */
        size_t n = strlen(err);
        if (n < errlen)
            snprintf(err + n, errlen - n, " (the line: [%s] %s = %s)", section, key, value);
    }
    if (r == 1) {
        snprintf(err, errlen,
                 "cannot set [%s] %s: %s kept changing while it was being edited (left as it "
                 "is): try again",
                 section, key, path);
        return SIPC_ECONFIG;
    }
    return r;
}

int sipc_config_put_back(const char *home, const void *expect, size_t expect_len,
                         const void *old, size_t old_len, int *changed, char *err, size_t errlen)
{
    if (!err)
        errlen = 0; /* no detail wanted: every write below is then empty */
    if (!changed) {
        snprintf(err, errlen, "no place to say whether sipc.conf changed");
        return SIPC_EINVAL;
    }
    *changed = 0;
    home = sipc_home_resolve(home);
    char path[1024];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    char *now;
    size_t now_len;
    struct stat st;
    int r = read_conf(path, &now, &now_len, &st, err, errlen);
    if (r < 0)
        return r;
    /* an edit made since (an operator, another tool) is never undone */
    int same = expect ? r == 0 && now_len == expect_len && !memcmp(now, expect, now_len) : r == 1;
    free(now);
    if (!same) {
        snprintf(err, errlen, "%s was changed since it was written", path);
        *changed = 1;
        return 0;
    }
    /* nor one made while this writes: the file must still be the one just
     * read (or still absent) when the old one goes in */
    if (old)
        r = replace_conf(home, path, old, old_len, 1, expect ? &st : NULL, err, errlen);
    else if (expect)
        r = sipc__file_remove_if(path, &st, err, errlen);
    else
        r = 0; /* no file, and none to put back */
    if (r == 1) {
        *changed = 1;
        return 0;
    }
    return r;
}
