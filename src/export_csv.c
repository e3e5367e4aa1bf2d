/* The CSV export: people, check-ins and encounters from one snapshot of the
 * store, each written to a temporary file, synced, then renamed into place
 * so readers only ever see whole files. Quoting is libcsv's. docs/export.md
 * lists the columns. */
#include "cv_export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>

#include "cv_error.h"
#include "cv_export_graph.h"
#include "cv_fileutil.h"
#include "cv_log.h"
#include "cv_pseudonym.h"
#include "cv_store_network.h"

#define CV_LOG_TAG "export"

enum { EXPORT_PEOPLE, EXPORT_CHECKINS, EXPORT_ENCOUNTERS, EXPORT_COUNT };

static const char *const export_names[EXPORT_COUNT] = {
    [EXPORT_PEOPLE] = "people.csv",
    [EXPORT_CHECKINS] = "checkins.csv",
    [EXPORT_ENCOUNTERS] = "encounters.csv",
};

static const char *const export_headers[EXPORT_COUNT] = {
    [EXPORT_PEOPLE] = "id,external_id,name,organization,role,email,badges",
    [EXPORT_CHECKINS] = "kiosk_id,seq,person,zone,day,ts,wall_trusted,boot_id,mono_ms",
    [EXPORT_ENCOUNTERS] =
        "person_a,person_b,ts,kiosk_id,answer,seq,zone,wall_trusted,boot_id,mono_ms",
};

struct export_file {
	FILE *f;
	char *tmp;                 /* the temporary file while it is written */
	char *final;               /* where it goes once complete */
	int error;                 /* errno of the first failed write, 0 while all is well */
	bool first;                /* no field written yet on this line */
	const uint8_t *pseudo_key; /* names become pseudonyms; NULL: as registered */
};

static int errno_to_cv(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT: return CV_EFULL;
	case EACCES:
	case EPERM:
	case EROFS: return CV_EPERM;
	case ENOMEM: return CV_ENOMEM;
	default: return CV_EIO;
	}
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + 1 + strlen(name) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int export_open(struct export_file *ef, const char *dir, const char *name)
{
	char tmpname[64];
	int fd;

	memset(ef, 0, sizeof *ef);
	snprintf(tmpname, sizeof tmpname, ".%s.XXXXXX", name);
	ef->final = path_join(dir, name);
	ef->tmp = path_join(dir, tmpname);
	if (!ef->final || !ef->tmp)
		return -ENOMEM;
	fd = mkostemp(ef->tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(ef->tmp);
		ef->tmp = NULL;
		return -e;
	}
	/* mkstemp creates 0600; an export is for other people to read. */
	(void)fchmod(fd, 0644);
	ef->f = fdopen(fd, "w");
	if (!ef->f) {
		int e = errno;
		close(fd);
		return -e;
	}
	return 0;
}

/* Drops a file that will not be renamed into place. */
static void export_discard(struct export_file *ef)
{
	if (ef->f)
		fclose(ef->f);
	if (ef->tmp)
		unlink(ef->tmp);
	free(ef->tmp);
	free(ef->final);
	memset(ef, 0, sizeof *ef);
}

/* Flushes and syncs the temporary file so the rename publishes only data
 * that is on disk. */
static int export_close(struct export_file *ef)
{
	int e = ef->error;
	if (!e && fflush(ef->f) != 0)
		e = errno;
	if (!e && fsync(fileno(ef->f)) != 0)
		e = errno;
	if (fclose(ef->f) != 0 && !e)
		e = errno;
	ef->f = NULL;
	return -e;
}

static void note_write(struct export_file *ef, bool ok)
{
	if (!ok && !ef->error)
		ef->error = errno ? errno : EIO;
}

/* libcsv's parser trims unquoted blanks at the ends of a field, as do
 * spreadsheets; such fields are quoted along with the usual specials. */
static bool needs_quotes(const char *v, size_t n)
{
	if (n == 0)
		return false;
	if (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t')
		return true;
	return strpbrk(v, ",\"\r\n") != NULL;
}

/* Writes one field; NULL is written as an empty field. */
static void put_text(struct export_file *ef, const char *v)
{
	if (ef->error)
		return;
	if (!ef->first)
		note_write(ef, fputc(',', ef->f) != EOF);
	ef->first = false;
	if (!v)
		return;
	size_t n = strlen(v);
	if (needs_quotes(v, n))
		note_write(ef, csv_fwrite(ef->f, v, n) == 0);
	else
		note_write(ef, fwrite(v, 1, n, ef->f) == n);
}

static void put_int(struct export_file *ef, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	put_text(ef, buf);
}

static void put_bool(struct export_file *ef, bool v)
{
	put_text(ef, v ? "true" : "false");
}

/* ISO 8601 in UTC with milliseconds: 2026-12-02T10:15:00.123Z. */
static void put_time(struct export_file *ef, int64_t wall_ms)
{
	char buf[48];
	int64_t sec = wall_ms / 1000, ms = wall_ms % 1000;
	if (ms < 0) {
		ms += 1000;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	size_t n = 0;
	if (gmtime_r(&t, &tm))
		n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0) {
		put_text(ef, "");
		return;
	}
	snprintf(buf + n, sizeof buf - n, ".%03dZ", (int)ms);
	put_text(ef, buf);
}

static void end_line(struct export_file *ef)
{
	if (!ef->error)
		note_write(ef, fputc('\n', ef->f) != EOF);
	ef->first = true;
}

static int walk_result(struct export_file *ef)
{
	/* Stops the store's walk at the first failed write. */
	return ef->error ? -ef->error : 0;
}

static int person_cb(const struct cv_person_row *row, void *ctx)
{
	struct export_file *ef = ctx;
	char pseudo[CV_PSEUDONYM_MAX];
	if (ef->pseudo_key)
		cv_pseudonym_text(ef->pseudo_key, row->id, pseudo);
	put_int(ef, row->id);
	put_text(ef, ef->pseudo_key ? pseudo : row->external_id);
	put_text(ef, ef->pseudo_key ? pseudo : row->name);
	put_text(ef, row->organization);
	put_text(ef, row->role);
	put_text(ef, ef->pseudo_key ? NULL : row->email);
	put_text(ef, ef->pseudo_key ? "" : row->badges);
	end_line(ef);
	return walk_result(ef);
}

static int checkin_cb(const struct cv_checkin_row *row, void *ctx)
{
	struct export_file *ef = ctx;
	put_text(ef, row->kiosk_id);
	char pseudo[CV_PSEUDONYM_MAX];
	if (ef->pseudo_key)
		cv_pseudonym_text(ef->pseudo_key, row->person_id, pseudo);
	put_int(ef, row->seq);
	put_text(ef, ef->pseudo_key ? pseudo : row->person_key);
	put_text(ef, row->zone);
	put_text(ef, row->day);
	put_time(ef, row->clock.wall_ms);
	put_bool(ef, row->clock.wall_trusted);
	put_text(ef, row->clock.boot_id);
	put_int(ef, row->clock.mono_ms);
	end_line(ef);
	return walk_result(ef);
}

static int encounter_cb(const struct cv_encounter_row *row, void *ctx)
{
	struct export_file *ef = ctx;
	char pa[CV_PSEUDONYM_MAX], pb[CV_PSEUDONYM_MAX];
	if (ef->pseudo_key) {
		cv_pseudonym_text(ef->pseudo_key, row->person_a, pa);
		cv_pseudonym_text(ef->pseudo_key, row->person_b, pb);
	}
	put_text(ef, ef->pseudo_key ? pa : row->person_a_key);
	put_text(ef, ef->pseudo_key ? pb : row->person_b_key);
	put_time(ef, row->clock.wall_ms);
	put_text(ef, row->kiosk_id);
	put_text(ef, row->answer);
	put_int(ef, row->seq);
	put_text(ef, row->zone);
	put_bool(ef, row->clock.wall_trusted);
	put_text(ef, row->clock.boot_id);
	put_int(ef, row->clock.mono_ms);
	end_line(ef);
	return walk_result(ef);
}

static int export_rows(struct cv_store *store, int which, struct export_file *ef)
{
	ef->first = true;
	note_write(ef, fputs(export_headers[which], ef->f) != EOF);
	end_line(ef);
	if (ef->error)
		return -ef->error;
	switch (which) {
	case EXPORT_PEOPLE: return cv_store_foreach_person(store, person_cb, ef);
	case EXPORT_CHECKINS: return cv_store_foreach_checkin(store, checkin_cb, ef);
	case EXPORT_ENCOUNTERS: return cv_store_foreach_encounter(store, encounter_cb, ef);
	}
	return CV_EINVAL;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		cv_log_warn("syncing the export directory: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

int cv_export_csv(struct cv_store *store, const char *dir, char *err, size_t errlen)
{
	return cv_export_csv_with(store, dir, NULL, err, errlen);
}

int cv_export_csv_with(struct cv_store *store, const char *dir,
                       const struct cv_export_options *opts, char *err, size_t errlen)
{
	struct export_file files[EXPORT_COUNT] = {0};
	uint8_t key[CV_PSEUDONYM_KEY_BYTES];
	bool pseudo = opts && opts->pseudonymize;
	bool in_snapshot = false;
	int cv = 0, which = 0;

	cv_error_format(err, errlen, "%s", "");
	if (!store || !dir || !*dir) {
		cv_error_format(err, errlen, "an export needs a store and a directory");
		return CV_EINVAL;
	}
	if (pseudo) {
		/* Before the snapshot: the first pseudonymised export writes the
		 * store's secret. */
		cv = cv_store_pseudonym_key(store, key);
		if (cv < 0) {
			cv_error_format(err, errlen, "cannot read the pseudonym secret: %s",
			                cv_strerror(cv));
			return cv;
		}
	}
	cv = cv_file_mkdirs(dir);
	if (cv < 0) {
		cv_error_format(err, errlen, "cannot create %s: %s", dir, cv_strerror(cv));
		return cv;
	}
	/* One read transaction around the three walks: the files agree with
	 * each other even while the kiosk keeps recording. */
	cv = cv_store_exec(store, "BEGIN");
	if (cv < 0) {
		cv_error_format(err, errlen, "cannot read the store: %s", cv_strerror(cv));
		return cv;
	}
	in_snapshot = true;

	for (which = 0; which < EXPORT_COUNT; which++) {
		struct export_file *ef = &files[which];
		int r = export_open(ef, dir, export_names[which]);
		if (r < 0) {
			cv_error_format(err, errlen, "cannot create a file in %s: %s", dir,
			                strerror(-r));
			cv = errno_to_cv(-r);
			goto fail;
		}
		ef->pseudo_key = pseudo ? key : NULL;
		r = export_rows(store, which, ef);
		if (r < 0 && ef->error) {
			cv_error_format(err, errlen, "cannot write %s: %s", ef->final,
			                strerror(ef->error));
			cv = errno_to_cv(ef->error);
			goto fail;
		}
		if (r != 0) {
			cv = r < 0 ? r : CV_EIO;
			cv_error_format(err, errlen, "cannot read the store for %s: %s",
			                export_names[which], cv_strerror(cv));
			goto fail;
		}
		r = export_close(ef);
		if (r < 0) {
			cv_error_format(err, errlen, "cannot write %s: %s", ef->final,
			                strerror(-r));
			cv = errno_to_cv(-r);
			goto fail;
		}
	}
	cv_store_exec(store, "COMMIT");
	in_snapshot = false;

	/* All three are complete before any replaces an older export. */
	for (which = 0; which < EXPORT_COUNT; which++) {
		if (rename(files[which].tmp, files[which].final) != 0) {
			int e = errno;
			cv_error_format(err, errlen, "cannot rename into %s: %s",
			                files[which].final, strerror(e));
			cv = errno_to_cv(e);
			goto fail;
		}
		free(files[which].tmp);
		files[which].tmp = NULL;
	}
	sync_dir(dir);
	for (which = 0; which < EXPORT_COUNT; which++)
		export_discard(&files[which]);
	cv_log_info("exported people, check-ins and encounters to %s", dir);
	return 0;

fail:
	if (in_snapshot)
		cv_store_exec(store, "ROLLBACK");
	for (int i = 0; i < EXPORT_COUNT; i++)
		export_discard(&files[i]);
	cv_log_error("export to %s failed: %s", dir, err && *err ? err : cv_strerror(cv));
	return cv;
}
