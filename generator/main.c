/*
 * portal - builds the labour office's portal from one git commit.
 * main() parses options and dispatches; it alone prints and exits.
 */
#include "buf.h"
#include "build.h"
#include "escape.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERSION "0.1.0"

static const char usage[] =
    "usage: portal build [--repo DIR] [--ref REF] [--out DIR] [--jobs N] [--worktree]\n"
    "                    [--no-gzip]\n"
    "       portal check [--repo DIR] [--ref REF] [--jobs N] [--worktree]\n"
    "       portal --help | --version\n"
    "\n"
    "build  turns the commit's site.toml, content/ and themes/ into a portal:\n"
    "       OUT/public/ (the web root) and OUT/private/ (for formd only).\n"
    "       The new output replaces OUT only if the whole build succeeds.\n"
    "check  runs every build check without writing anything.\n"
    "\n"
    "  --repo DIR   repository, bare or not (default: the one around .)\n"
    "  --ref REF    commit, branch or tag to build (default: HEAD)\n"
    "  --out DIR    output folder (default: build/site)\n"
    "  --jobs N     threads (default: the number of processors)\n"
    "  --worktree   build the uncommitted work tree instead, for previews\n"
    "  --no-gzip    no .gz copy beside each HTML and CSS file (previews; nginx's\n"
    "               gzip_static serves them on the live site)\n"
    "  --timings    print how long each phase took\n"
    "\n"
    "exit status: 0 success, 1 the build or check failed (the message names\n"
    "file:line:col), 2 wrong usage.\n";

/* Prints an error message with control characters escaped (esc_term):
 * messages quote content (link targets, names), which must not drive the
 * terminal. */
static void print_error(const char *msg)
{
	struct buf b = BUF_INIT;

	esc_term(&b, msg, strlen(msg), NULL);
	fprintf(stderr, "portal: %s\n", b.ptr);
	buf_free(&b);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"repo", required_argument, NULL, 'r'}, {"ref", required_argument, NULL, 'f'},
	    {"out", required_argument, NULL, 'o'},  {"jobs", required_argument, NULL, 'j'},
	    {"worktree", no_argument, NULL, 'w'},   {"no-gzip", no_argument, NULL, 'z'},
	    {"help", no_argument, NULL, 'h'},       {"version", no_argument, NULL, 'V'},
	    {"timings", no_argument, NULL, 't'},    {NULL, 0, NULL, 0},
	};
	struct build_opts o = {NULL, NULL, "build/site", 0, 0, 0};
	struct build_stats st;
	struct err e = {0};
	const char *cmd;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int c, check, timings = 0;

	o.jobs = cpus > 0 ? (int)cpus : 1;
	if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		puts("portal " VERSION);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "build") != 0 && strcmp(argv[1], "check") != 0)) {
		fputs(usage, stderr);
		return 2;
	}
	cmd = argv[1];
	check = strcmp(cmd, "check") == 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.repo = optarg;
			break;
		case 'f':
			o.ref = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'j':
			o.jobs = atoi(optarg);
			if (o.jobs < 1 || o.jobs > 64) {
				fprintf(stderr, "portal: --jobs takes a number from 1 to 64\n");
				return 2;
			}
			break;
		case 'w':
			o.worktree = 1;
			break;
		case 'z':
			o.no_gzip = 1;
			break;
		case 't':
			timings = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "portal: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (check)
		o.out = NULL;
	if (build_run(&o, &st, &e) < 0) {
		print_error(e.msg);
		if (!check && o.out)
			fprintf(stderr, "portal: build failed; %s was left as it was\n", o.out);
		return 1;
	}
	if (check)
		printf("portal: check passed: %ld pages in %.2f s, commit %.12s\n", st.pages,
		       st.seconds, st.commit);
	else
		printf("portal: %ld pages, %ld files written to %s in %.2f s, commit %.12s\n",
		       st.pages, st.files, o.out, st.seconds, st.commit);
	if (timings)
		printf("portal: timings: %s\n", st.timings);
	return 0;
}
