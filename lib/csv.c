/* csv.c: CSV metadata and field quoting (see csv.h). */
#include "csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "kit_version.h"

/* The CPU model from /proc/cpuinfo ("model name" on x86; ARM kernels may only
 * give "Hardware" or nothing, hence the fallbacks). */
static void cpu_model(char *out, size_t len)
{
    static const char *const fields[] = { "model name", "Hardware", "cpu model", "Processor" };
    char line[512];
    snprintf(out, len, "unknown cpu");
    FILE *f = fopen("/proc/cpuinfo", "re");
    if (!f)
        return;
    size_t best = sizeof fields / sizeof fields[0];
    while (fgets(line, sizeof line, f)) {
        for (size_t i = 0; i < best; i++) {
            size_t n = strlen(fields[i]);
            if (strncmp(line, fields[i], n) != 0 || !strchr(line + n, ':'))
                continue;
            const char *v = strchr(line + n, ':') + 1;
            v += strspn(v, " \t");
            size_t vl = strcspn(v, "\n");
            if (vl == 0)
                continue;
            snprintf(out, len, "%.*s", (int)vl, v);
            best = i;           /* keep looking only for a better-ranked field */
            break;
        }
        if (best == 0)
            break;
    }
    fclose(f);
}

static void os_name(char *out, size_t len)
{
    struct utsname u;
    if (uname(&u) < 0)
        snprintf(out, len, "unknown os");
    else
        snprintf(out, len, "%s %s %s", u.sysname, u.release, u.machine);
}

static long cores_online(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

const char *csv_machine(char *buf, size_t len)
{
    char cpu[256], os[256];
    cpu_model(cpu, sizeof cpu);
    os_name(os, sizeof os);
    if (len > 0)
        snprintf(buf, len, "%ld cores, %s, %s", cores_online(), cpu, os);
    return buf;
}

/* Characters a shell word may contain without quoting. */
static bool shell_safe(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                    "_-./=:,+@%", *s))
            return false;
    return true;
}

/* Write one argv word so that a POSIX shell reads it back unchanged: as is when
 * safe, in single quotes otherwise ('\'' for an inner quote), and as bash's
 * $'...' when it holds control characters, so the metadata stays on one line. */
static int shell_word(FILE *f, const char *s)
{
    if (shell_safe(s))
        return fputs(s, f) < 0 ? -1 : 0;
    bool ctl = false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            ctl = true;
    if (!ctl) {
        if (fputc('\'', f) == EOF)
            return -1;
        for (; *s; s++)
            if ((*s == '\'' ? fputs("'\\''", f) : fputc(*s, f)) == EOF)
                return -1;
        return fputc('\'', f) == EOF ? -1 : 0;
    }
    if (fputs("$'", f) == EOF)
        return -1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int rc;
        if (*p == '\\' || *p == '\'')
            rc = fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            rc = fputs("\\n", f);
        else if (*p == '\t')
            rc = fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            rc = fprintf(f, "\\x%02x", *p);
        else
            rc = fputc(*p, f);
        if (rc < 0)
            return -1;
    }
    return fputc('\'', f) == EOF ? -1 : 0;
}

int csv_meta(FILE *f, int argc, char *const argv[])
{
    char date[32], cpu[256], os[256];
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(date, sizeof date, "unknown");
    cpu_model(cpu, sizeof cpu);
    os_name(os, sizeof os);
    if (fprintf(f, "# date=%s\n# cores=%ld\n# machine=%s, %s\n# commit=%s\n# cmd=",
                date, cores_online(), cpu, os, KIT_COMMIT) < 0)
        return -1;
    for (int i = 0; i < argc && argv[i]; i++) {
        if (i > 0 && fputc(' ', f) == EOF)
            return -1;
        if (shell_word(f, argv[i]) < 0)
            return -1;
    }
    return fputc('\n', f) == EOF ? -1 : 0;
}

int csv_field(FILE *f, const char *s)
{
    if (!s[strcspn(s, ",\"\r\n")])
        return fputs(s, f) < 0 ? -1 : 0;
    if (fputc('"', f) == EOF)
        return -1;
    for (; *s; s++)
        if ((*s == '"' ? fputs("\"\"", f) : fputc(*s, f)) == EOF)
            return -1;
    return fputc('"', f) == EOF ? -1 : 0;
}
