/* cli_import.c - `jiju import FILE`: a statistics form (CSV in UTF-8, GBK or
 * UTF-16, or .xlsx) to ingest as reports, every problem named by cell;
 * `--dry-run` checks without writing; `--template` writes the blank form. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_csv.h"
#include "cli_form.h"
#include "cli_registry.h"
#include "cli_text.h"
#include "cli_xlsx.h"
#include "err.h"

#define PROGRESS_MIN_ROWS 1000
#define IMPORT_TIMEOUT_MS 5000

typedef struct import_opts {
    cli_endpoints ingest, query;
    int timeout_ms;
    const char *file, *encoding, *format, *output;
    int dry_run, template_form, help;
} import_opts;

static int import_usage(FILE *out)
{
    fprintf(out,
            "usage: jiju import FILE.csv|FILE.xlsx [--encoding ENC] [--dry-run]\n"
            "                   [--endpoint E]... [--query E]... [--timeout-ms MS]\n"
            "       jiju import --template [--format csv|xlsx] [--output FILE]\n"
            "  FILE: the statistics form (docs/cli.md): CSV in UTF-8 (with or without BOM),\n"
            "    GBK/GB18030 or UTF-16 (Excel's Unicode text, tab-separated), or Excel .xlsx\n"
            "  --encoding ENC  read the CSV as ENC (UTF-8, GB18030, UTF-16LE...), no detection\n"
            "  --dry-run       check every row with ingest's rules, write nothing\n"
            "  --query E       assessment's query endpoint, for the 集聚区名称/县区 check\n"
            "                  (default $JIJU_ASSESSMENT_QUERY or %s)\n"
            "  --template      write the blank form: headers, one example row, units\n"
            "  endpoints default to $JIJU_INGEST (comma-separated) or %s\n",
            CLI_DEFAULT_QUERY, CLI_DEFAULT_INGEST);
    return out == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

static int import_flags(int argc, char **argv, import_opts *o)
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"query", required_argument, NULL, 'q'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"encoding", required_argument, NULL, 'E'},
        {"dry-run", no_argument, NULL, 'n'},
        {"template", no_argument, NULL, 'T'},
        {"format", required_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    o->timeout_ms = IMPORT_TIMEOUT_MS;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((c == 'e' && cli_endpoints_add(&o->ingest, optarg) == JIJU_OK) ||
            (c == 'q' && cli_endpoints_add(&o->query, optarg) == JIJU_OK) ||
            (c == 't' && (o->timeout_ms = atoi(optarg)) > 0))
            continue;
        if (c == 'E' || c == 'F' || c == 'o') {
            *(c == 'E' ? &o->encoding : c == 'F' ? &o->format : &o->output) = optarg;
            continue;
        }
        if (c == 'n' || c == 'T' || c == 'h') {
            *(c == 'n' ? &o->dry_run : c == 'T' ? &o->template_form : &o->help) = 1;
            continue;
        }
        return -1;
    }
    if (o->help)
        return 0;
    if (o->format && strcmp(o->format, "csv") != 0 && strcmp(o->format, "xlsx") != 0)
        return -1;
    if (o->template_form ? optind != argc : optind != argc - 1)
        return -1;
    o->file = o->template_form ? NULL : argv[optind];
    if (cli_endpoints_default(&o->ingest, "JIJU_INGEST", CLI_DEFAULT_INGEST) != JIJU_OK ||
        cli_endpoints_default(&o->query, "JIJU_ASSESSMENT_QUERY", CLI_DEFAULT_QUERY) != JIJU_OK)
        return -1;
    return 0;
}

/* ---- reading the form ---- */

/* The form in FILE, whatever it was saved as. JIJU_OK with *out, else the
 * reason is on stderr. */
static int read_form(const import_opts *o, cli_form_result **out)
{
    char *bytes = NULL, *text = NULL, err[320] = "", enc[CLI_TEXT_ENC_CAP] = "";
    size_t len = 0, tlen = 0;
    int rc;

    if (!(bytes = cli_read_file(o->file, &len))) {
        fprintf(stderr, "jiju import: %s: %s\n", o->file, strerror(errno));
        return JIJU_ERR_IO;
    }
    if (cli_xlsx_is_xlsx(bytes, len)) {
        rc = cli_xlsx_parse(bytes, len, out, err, sizeof err);
    } else if ((rc = cli_text_to_utf8(bytes, len, o->encoding, &text, &tlen, enc, err,
                                      sizeof err)) == JIJU_OK) {
        rc = cli_csv_parse(text, tlen, out, err, sizeof err);
        free(text);
    }
    if (rc != JIJU_OK)
        fprintf(stderr, "jiju import: %s: %s\n", o->file,
                rc == JIJU_ERR_NOMEM ? "out of memory" : err);
    free(bytes);
    return rc;
}

static void print_form_problems(const cli_form_result *res)
{
    char cell[24];

    for (size_t i = 0; i < res->n_problems; i++) {
        const cli_form_problem *p = &res->problems[i];
        if (p->col)
            printf("%s %s: %s\n", cli_form_cell_name(p->col, p->row, cell, sizeof cell), p->column,
                   p->reason);
        else
            printf("row %zu: %s\n", p->row, p->reason);
    }
}

/* ---- sending ---- */

typedef struct import_ctx {
    const cli_form_result *res;
    size_t done;
    int progress; /* draw a bar on stderr */
    int last_pct;
} import_ctx;

static void draw_progress(import_ctx *c)
{
    int pct = (int)(c->done * 100 / c->res->n_reports);
    char bar[41];

    if (pct == c->last_pct)
        return;
    c->last_pct = pct;
    memset(bar, '#', (size_t)(pct * 40 / 100));
    memset(bar + pct * 40 / 100, ' ', (size_t)(40 - pct * 40 / 100));
    bar[40] = '\0';
    fprintf(stderr, "\r[%s] %3d%% %zu/%zu", bar, pct, c->done, c->res->n_reports);
    if (c->done == c->res->n_reports)
        fputc('\n', stderr);
}

/* "row 7: REJECTED instance=..." and each of ingest's problems, named by the
 * cell that holds its field (D7) when the form has that column. */
static void print_row_reply(const cli_form_result *res, size_t row, const Jiju__V1__SubmitReply *r)
{
    char cell[24];

    printf("row %zu: %s", row, cli_status_name(r->status));
    if (r->status == JIJU__V1__SUBMIT_STATUS__DUPLICATE)
        printf(" seq=%llu", (unsigned long long)r->seq);
    printf(" instance=%s\n", r->instance);
    for (size_t i = 0; i < r->n_problems; i++) {
        const Jiju__V1__Problem *p = r->problems[i];
        size_t col = cli_form_column_of(res, p->field);

        printf("  %s%s%s %s field=%s value=\"%s\" %s / %s\n",
               col ? cli_form_cell_name(col, row, cell, sizeof cell) : "", col ? " " : "",
               p->severity == JIJU__V1__SEVERITY__WARNING ? "WARNING" : "ERROR", p->code, p->field,
               p->value, p->message_zh, p->message_en);
    }
}

static void print_import_reply(void *arg, size_t index, const Jiju__V1__SubmitReply *reply)
{
    import_ctx *c = arg;
    size_t row = c->res->report_rows[index];

    if (!reply)
        printf("row %zu: FAILED no ingest endpoint answered\n", row);
    else if ((reply->status != JIJU__V1__SUBMIT_STATUS__ACCEPTED &&
              reply->status != JIJU__V1__SUBMIT_STATUS__VALID) ||
             reply->n_problems)
        print_row_reply(c->res, row, reply);
    c->done++;
    if (c->progress)
        draw_progress(c);
}

/* SubmitRequests around the parsed reports (which stay owned by res). */
static Jiju__V1__SubmitRequest *wrap_reports(const cli_form_result *res, int validate_only)
{
    Jiju__V1__SubmitRequest *reqs = calloc(res->n_reports ? res->n_reports : 1, sizeof *reqs);

    for (size_t i = 0; reqs && i < res->n_reports; i++) {
        char id[96];

        jiju__v1__submit_request__init(&reqs[i]);
        snprintf(id, sizeof id, "%zu:%s", i, res->reports[i]->report_id);
        reqs[i].body_case = JIJU__V1__SUBMIT_REQUEST__BODY_REPORT;
        reqs[i].report = res->reports[i];
        reqs[i].validate_only = validate_only;
        if (!(reqs[i].request_id = strdup(id))) {
            for (size_t j = 0; j < i; j++)
                free(reqs[j].request_id);
            free(reqs);
            return NULL;
        }
    }
    return reqs;
}

static int import_submit(const import_opts *o, const cli_form_result *res, cli_tally *tally)
{
    import_ctx ctx = {.res = res, .last_pct = -1};
    Jiju__V1__SubmitRequest *reqs = wrap_reports(res, o->dry_run), **ptrs;
    int rc = JIJU_ERR_NOMEM;

    ctx.progress = isatty(STDERR_FILENO) && res->n_reports >= PROGRESS_MIN_ROWS;
    if (!reqs)
        return rc;
    if ((ptrs = malloc((res->n_reports ? res->n_reports : 1) * sizeof *ptrs))) {
        for (size_t i = 0; i < res->n_reports; i++)
            ptrs[i] = &reqs[i];
        rc = cli_submit_run(&o->ingest, ptrs, res->n_reports, o->timeout_ms, print_import_reply,
                            &ctx, tally);
        free(ptrs);
    }
    for (size_t i = 0; i < res->n_reports; i++)
        free(reqs[i].request_id);
    free(reqs);
    return rc;
}

static void print_summary(const import_opts *o, const cli_form_result *res, const cli_tally *t)
{
    if (o->dry_run)
        printf("dry-run: valid=%zu rejected=%zu duplicate=%zu rows=%zu (nothing written)",
               t->accepted, res->bad_rows + t->rejected + t->conflict, t->duplicate, res->rows);
    else
        printf("imported=%zu rejected=%zu duplicate=%zu rows=%zu", t->accepted,
               res->bad_rows + t->rejected + t->conflict, t->duplicate, res->rows);
    if (t->failed)
        printf(" failed=%zu", t->failed);
    printf("\n");
}

static int import_run(const import_opts *o)
{
    cli_form_result *res = NULL;
    cli_tally tally = {0};
    int rc = CLI_EXIT_USAGE, crc;

    if (read_form(o, &res) != JIJU_OK)
        return CLI_EXIT_USAGE;
    crc = cli_registry_check(res, &o->query, o->timeout_ms);
    cli_form_result_sort(res);
    print_form_problems(res);
    if (crc != JIJU_OK) {
        rc = CLI_EXIT_REFUSED;
        goto out;
    }
    if (res->n_reports && import_submit(o, res, &tally) != JIJU_OK) {
        fprintf(stderr, "jiju import: cannot reach ingest at %s\n", o->ingest.list[0]);
        rc = CLI_EXIT_REFUSED;
        goto out;
    }
    print_summary(o, res, &tally);
    rc = res->bad_rows ? CLI_EXIT_REFUSED : cli_tally_exit(&tally);
out:
    cli_form_result_free(&res);
    return rc;
}

/* ---- the blank form ---- */

static int write_template(const import_opts *o)
{
    const char *fmt = o->format ? o->format : "csv";
    FILE *out = stdout;
    int rc;

    if (strcmp(fmt, "xlsx") == 0) {
        rc = cli_xlsx_write_template(o->output);
    } else {
        if (o->output && !(out = fopen(o->output, "wb"))) {
            fprintf(stderr, "jiju import: %s: %s\n", o->output, strerror(errno));
            return CLI_EXIT_REFUSED;
        }
        rc = cli_csv_write_template(out);
        if (out != stdout && fclose(out) != 0)
            rc = JIJU_ERR_IO;
    }
    if (rc != JIJU_OK) {
        fprintf(stderr, "jiju import: cannot write the template: %s\n", jiju_err_str(rc));
        return CLI_EXIT_REFUSED;
    }
    return CLI_EXIT_OK;
}

int cli_import_main(int argc, char **argv)
{
    import_opts o = {0};
    int rc;

    if (cli_help)
        return import_usage(stdout);
    if (import_flags(argc, argv, &o) != 0)
        rc = import_usage(stderr);
    else if (o.help)
        rc = import_usage(stdout);
    else if (o.template_form)
        rc = write_template(&o);
    else
        rc = import_run(&o);
    cli_endpoints_clear(&o.ingest);
    cli_endpoints_clear(&o.query);
    return rc;
}
