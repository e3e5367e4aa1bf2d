/* Network exports: one snapshot of the store (people present, their
 * check-ins, every encounter and the trust metrics over them) written as
 * GEXF 1.3, GraphML, a Kumu blueprint (JSON) or a `t i j` contact list,
 * through a temporary file renamed into place. XML is escaped here; JSON by
 * jansson. docs/export.md describes each format. */
#include "cv_export_graph.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cv_error.h"
#include "cv_log.h"
#include "cv_metrics.h"
#include "cv_pseudonym.h"
#include "cv_store_network.h"

#define CV_LOG_TAG "export"

struct g_person {
	int64_t id;
	char *external_id; /* NULL when none */
	char *name;
	char *org;
	char *role;
	char *label; /* unique among the exported (Kumu links by label) */
	bool present;
	bool has_checkin;
	int64_t first_ms; /* first check-in, else first encounter */
	bool first_trusted;
};

struct g_encounter {
	int64_t lo, hi; /* store ids, lo < hi */
	int64_t wall_ms;
	bool trusted;
};

struct graph {
	struct g_person *people; /* by id */
	size_t n_people, cap_people;
	struct g_encounter *enc;
	size_t n_enc, cap_enc;
	struct cv_metrics *m;
	bool pseudo;
	uint8_t key[CV_PSEUDONYM_KEY_BYTES];
	int64_t t_start, t_end; /* the span of all record times */
	int rc;                 /* CV_ENOMEM when a copy failed in a walk */
};

int cv_export_format_parse(const char *name, enum cv_export_format *out)
{
	static const char *const names[] = {"csv", "gexf", "graphml", "kumu", "contacts"};
	*out = CV_EXPORT_CSV;
	for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum cv_export_format)i;
			return 0;
		}
	return CV_EINVAL;
}

/* ---- the snapshot ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int person_cb(const struct cv_person_row *row, void *ctx)
{
	struct graph *g = ctx;
	if (g->n_people == g->cap_people) {
		size_t cap = g->cap_people ? 2 * g->cap_people : 64;
		struct g_person *grown = realloc(g->people, cap * sizeof *grown);
		if (!grown)
			return g->rc = CV_ENOMEM;
		g->people = grown;
		g->cap_people = cap;
	}
	struct g_person *p = &g->people[g->n_people++];
	*p = (struct g_person){.id = row->id};
	p->external_id = dup_or_null(row->external_id);
	p->name = strdup(row->name ? row->name : "");
	p->org = strdup(row->organization ? row->organization : "");
	p->role = strdup(row->role ? row->role : "");
	if (!p->name || !p->org || !p->role || (row->external_id && !p->external_id))
		return g->rc = CV_ENOMEM;
	return 0;
}

static int id_cmp(const void *key, const void *elem)
{
	int64_t id = *(const int64_t *)key, other = ((const struct g_person *)elem)->id;
	return id < other ? -1 : id > other;
}

static struct g_person *find_person(struct graph *g, int64_t id)
{
	return bsearch(&id, g->people, g->n_people, sizeof *g->people, id_cmp);
}

static void note_time(struct graph *g, int64_t t)
{
	if (g->t_start == INT64_MAX || t < g->t_start)
		g->t_start = t;
	if (g->t_end == INT64_MIN || t > g->t_end)
		g->t_end = t;
}

static void note_presence(struct graph *g, int64_t id, int64_t t, bool trusted, bool checkin)
{
	struct g_person *p = find_person(g, id);
	if (!p)
		return;
	/* A check-in is the arrival; an encounter only stands in for one. */
	if (!p->present || (checkin && !p->has_checkin) ||
	    (checkin == p->has_checkin && t < p->first_ms)) {
		p->first_ms = t;
		p->first_trusted = trusted;
	}
	p->present = true;
	p->has_checkin = p->has_checkin || checkin;
	note_time(g, t);
}

static int checkin_cb(const struct cv_checkin_row *row, void *ctx)
{
	struct graph *g = ctx;
	note_presence(g, row->person_id, row->clock.wall_ms, row->clock.wall_trusted, true);
	return 0;
}

static int encounter_cb(const struct cv_encounter_row *row, void *ctx)
{
	struct graph *g = ctx;
	if (row->person_a == row->person_b)
		return 0;
	if (g->n_enc == g->cap_enc) {
		size_t cap = g->cap_enc ? 2 * g->cap_enc : 256;
		struct g_encounter *grown = realloc(g->enc, cap * sizeof *grown);
		if (!grown)
			return g->rc = CV_ENOMEM;
		g->enc = grown;
		g->cap_enc = cap;
	}
	bool a_lo = row->person_a < row->person_b;
	g->enc[g->n_enc++] = (struct g_encounter){
	    .lo = a_lo ? row->person_a : row->person_b,
	    .hi = a_lo ? row->person_b : row->person_a,
	    .wall_ms = row->clock.wall_ms,
	    .trusted = row->clock.wall_trusted,
	};
	note_presence(g, row->person_a, row->clock.wall_ms, row->clock.wall_trusted, false);
	note_presence(g, row->person_b, row->clock.wall_ms, row->clock.wall_trusted, false);
	return 0;
}

static int enc_cmp(const void *x, const void *y)
{
	const struct g_encounter *a = x, *b = y;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return (a->wall_ms > b->wall_ms) - (a->wall_ms < b->wall_ms);
}

static int label_cmp(const void *x, const void *y)
{
	const struct g_person *const *a = x, *const *b = y;
	int c = strcmp((*a)->label, (*b)->label);
	return c ? c : ((*a)->id > (*b)->id) - ((*a)->id < (*b)->id);
}

/* Labels: the name (or pseudonym); a name shared by several people gets
 * " (id)" so Kumu, which links by label, keeps them apart. */
static int make_labels(struct graph *g)
{
	struct g_person **order = malloc((g->n_people ? g->n_people : 1) * sizeof *order);
	if (!order)
		return CV_ENOMEM;
	for (size_t i = 0; i < g->n_people; i++) {
		struct g_person *p = &g->people[i];
		char pseudo[CV_PSEUDONYM_MAX];
		if (g->pseudo)
			cv_pseudonym_text(g->key, p->id, pseudo);
		p->label = strdup(g->pseudo ? pseudo : p->name);
		order[i] = p;
		if (!p->label) {
			free(order);
			return CV_ENOMEM;
		}
	}
	qsort(order, g->n_people, sizeof *order, label_cmp);
	for (size_t i = 0; i < g->n_people;) {
		size_t j = i + 1;
		while (j < g->n_people && strcmp(order[i]->label, order[j]->label) == 0)
			j++;
		for (size_t k = i; j - i > 1 && k < j; k++) {
			size_t n = strlen(order[k]->label) + 32;
			char *l = malloc(n);
			if (!l) {
				free(order);
				return CV_ENOMEM;
			}
			snprintf(l, n, "%s (%" PRId64 ")", order[k]->label, order[k]->id);
			free(order[k]->label);
			order[k]->label = l;
		}
		i = j;
	}
	free(order);
	return 0;
}

static void graph_free(struct graph *g)
{
	for (size_t i = 0; i < g->n_people; i++) {
		free(g->people[i].external_id);
		free(g->people[i].name);
		free(g->people[i].org);
		free(g->people[i].role);
		free(g->people[i].label);
	}
	free(g->people);
	free(g->enc);
	cv_metrics_destroy(g->m);
	memset(g->key, 0, sizeof g->key);
}

static int graph_load(struct cv_store *store, struct graph *g)
{
	int cv = cv_store_foreach_person(store, person_cb, g);
	if (cv == 0)
		cv = cv_store_foreach_checkin(store, checkin_cb, g);
	if (cv == 0)
		cv = cv_store_foreach_encounter(store, encounter_cb, g);
	if (cv == 0)
		cv = cv_store_network_metrics(store, &g->m);
	if (g->rc)
		return g->rc;
	if (cv != 0)
		return cv < 0 ? cv : CV_ESTORE;
	qsort(g->enc, g->n_enc, sizeof *g->enc, enc_cmp);
	if (g->t_start == INT64_MAX)
		g->t_start = g->t_end = 0;
	return make_labels(g);
}

/* ---- text helpers ---- */

/* ISO 8601 UTC with milliseconds, as in the CSV export. */
static void iso_time(int64_t wall_ms, char out[40])
{
	int64_t sec = wall_ms / 1000, ms = wall_ms % 1000;
	if (ms < 0) {
		ms += 1000;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	size_t n = 0;
	if (gmtime_r(&t, &tm))
		n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0) {
		snprintf(out, 40, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(out + n, 40 - n, ".%03dZ", (int)ms);
}

/* Text as XML character data or an attribute value: the five specials as
 * entities, control characters XML 1.0 cannot carry as U+FFFD. Input is
 * UTF-8 (the roster parser checked it). */
static void xml_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '\t': fputs("&#9;", f); break;
		case '\n': fputs("&#10;", f); break;
		case '\r': fputs("&#13;", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fputs("\xEF\xBF\xBD", f);
			else
				fputc(c, f);
		}
	}
}

static void node_id(const struct graph *g, int64_t id, char out[CV_PSEUDONYM_MAX])
{
	if (g->pseudo)
		cv_pseudonym_text(g->key, id, out);
	else
		snprintf(out, CV_PSEUDONYM_MAX, "%" PRId64, id);
}

/* One exported tie: the encounters of a pair (a run of g->enc) with the
 * figures of the pair. */
struct g_tie {
	const struct g_encounter *first;
	size_t n;
	size_t untrusted;
	struct cv_metrics_tie t;
};

static bool next_tie(const struct graph *g, size_t *pos, struct g_tie *out)
{
	if (*pos >= g->n_enc)
		return false;
	size_t i = *pos, j = i;
	out->first = &g->enc[i];
	out->untrusted = 0;
	while (j < g->n_enc && g->enc[j].lo == g->enc[i].lo && g->enc[j].hi == g->enc[i].hi) {
		out->untrusted += !g->enc[j].trusted;
		j++;
	}
	out->n = j - i;
	if (cv_metrics_tie_get(g->m, g->enc[i].lo, g->enc[i].hi, &out->t) != 0)
		memset(&out->t, 0, sizeof out->t);
	*pos = j;
	return true;
}

/* ---- GEXF 1.3 ---- */

static void gexf_attr(FILE *f, const char *id, const char *value)
{
	fprintf(f, "          <attvalue for=\"%s\" value=\"", id);
	xml_text(f, value);
	fputs("\"/>\n", f);
}

static void gexf_attr_int(FILE *f, const char *id, int64_t v)
{
	fprintf(f, "          <attvalue for=\"%s\" value=\"%" PRId64 "\"/>\n", id, v);
}

static void gexf_attr_bool(FILE *f, const char *id, bool v)
{
	fprintf(f, "          <attvalue for=\"%s\" value=\"%s\"/>\n", id, v ? "true" : "false");
}

static void gexf_attr_double(FILE *f, const char *id, double v)
{
	fprintf(f, "          <attvalue for=\"%s\" value=\"%.6f\"/>\n", id, v);
}

static void write_gexf(FILE *f, const struct graph *g)
{
	char start[40], end[40], t0[40], t1[40], id[CV_PSEUDONYM_MAX], id2[CV_PSEUDONYM_MAX];
	iso_time(g->t_start, start);
	iso_time(g->t_end, end);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<gexf xmlns=\"http://gexf.net/1.3\" "
	      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	      "xsi:schemaLocation=\"http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd\" "
	      "version=\"1.3\">\n"
	      "  <meta>\n    <creator>Convene " CONVENE_VERSION "</creator>\n"
	      "    <description>people present and the encounters between them</description>\n"
	      "  </meta>\n",
	      f);
	fprintf(f,
	        "  <graph mode=\"dynamic\" defaultedgetype=\"undirected\" timeformat=\"datetime\" "
	        "timerepresentation=\"interval\" start=\"%s\" end=\"%s\">\n",
	        start, end);
	fputs("    <attributes class=\"node\" mode=\"static\">\n", f);
	if (!g->pseudo)
		fputs(
		    "      <attribute id=\"external_id\" title=\"external_id\" type=\"string\"/>\n",
		    f);
	fputs(
	    "      <attribute id=\"organization\" title=\"organization\" type=\"string\"/>\n"
	    "      <attribute id=\"role\" title=\"role\" type=\"string\"/>\n"
	    "      <attribute id=\"arrived\" title=\"arrived\" type=\"string\"/>\n"
	    "      <attribute id=\"arrived_time_trusted\" title=\"arrived_time_trusted\" "
	    "type=\"boolean\"/>\n"
	    "      <attribute id=\"partners\" title=\"partners\" type=\"integer\"/>\n"
	    "      <attribute id=\"orgs_reached\" title=\"orgs_reached\" type=\"integer\"/>\n"
	    "      <attribute id=\"clustering\" title=\"clustering\" type=\"double\"/>\n"
	    "    </attributes>\n"
	    "    <attributes class=\"edge\" mode=\"static\">\n"
	    "      <attribute id=\"count\" title=\"count\" type=\"integer\"/>\n"
	    "      <attribute id=\"first\" title=\"first\" type=\"string\"/>\n"
	    "      <attribute id=\"last\" title=\"last\" type=\"string\"/>\n"
	    "      <attribute id=\"times\" title=\"times\" type=\"string\"/>\n"
	    "      <attribute id=\"source_offered\" title=\"source_offered\" type=\"integer\"/>\n"
	    "      <attribute id=\"target_offered\" title=\"target_offered\" type=\"integer\"/>\n"
	    "      <attribute id=\"reciprocal\" title=\"reciprocal\" type=\"boolean\"/>\n"
	    "      <attribute id=\"prior\" title=\"prior\" type=\"integer\"/>\n"
	    "      <attribute id=\"cross_org\" title=\"cross_org\" type=\"boolean\"/>\n"
	    "      <attribute id=\"untrusted_times\" title=\"untrusted_times\" type=\"integer\"/>\n"
	    "    </attributes>\n    <nodes>\n",
	    f);
	for (size_t i = 0; i < g->n_people; i++) {
		const struct g_person *p = &g->people[i];
		if (!p->present)
			continue;
		struct cv_metrics_person mp;
		cv_metrics_person_get(g->m, p->id, &mp);
		node_id(g, p->id, id);
		iso_time(p->first_ms, t0);
		fprintf(f, "      <node id=\"%s\" label=\"", id);
		xml_text(f, p->label);
		fputs("\">\n        <attvalues>\n", f);
		if (!g->pseudo && p->external_id)
			gexf_attr(f, "external_id", p->external_id);
		gexf_attr(f, "organization", p->org);
		gexf_attr(f, "role", p->role);
		gexf_attr(f, "arrived", t0);
		gexf_attr_bool(f, "arrived_time_trusted", p->first_trusted);
		gexf_attr_int(f, "partners", mp.partners);
		gexf_attr_int(f, "orgs_reached", mp.orgs_reached);
		gexf_attr_double(f, "clustering", mp.clustering);
		/* Present from arrival to the end of the convening: Gephi's
		 * timeline shows people arriving. */
		fprintf(f,
		        "        </attvalues>\n        <spells>\n"
		        "          <spell start=\"%s\" end=\"%s\"/>\n        </spells>\n"
		        "      </node>\n",
		        t0, end);
	}
	fputs("    </nodes>\n    <edges>\n", f);
	size_t pos = 0, e = 0;
	struct g_tie t;
	while (next_tie(g, &pos, &t)) {
		node_id(g, t.first->lo, id);
		node_id(g, t.first->hi, id2);
		iso_time(t.first[0].wall_ms, t0);
		iso_time(t.first[t.n - 1].wall_ms, t1);
		fprintf(f,
		        "      <edge id=\"%zu\" source=\"%s\" target=\"%s\" weight=\"%zu\">\n"
		        "        <attvalues>\n",
		        e++, id, id2, t.n);
		gexf_attr_int(f, "count", (int64_t)t.n);
		gexf_attr(f, "first", t0);
		gexf_attr(f, "last", t1);
		fputs("          <attvalue for=\"times\" value=\"", f);
		for (size_t k = 0; k < t.n; k++) {
			char tk[40];
			iso_time(t.first[k].wall_ms, tk);
			fprintf(f, "%s%s", k ? " " : "", tk);
		}
		fputs("\"/>\n", f);
		gexf_attr_int(f, "source_offered", t.t.lo_to_hi);
		gexf_attr_int(f, "target_offered", t.t.hi_to_lo);
		gexf_attr_bool(f, "reciprocal", t.t.lo_to_hi > 0 && t.t.hi_to_lo > 0);
		gexf_attr_int(f, "prior", t.t.prior);
		gexf_attr_bool(f, "cross_org", t.t.cross_org);
		gexf_attr_int(f, "untrusted_times", (int64_t)t.untrusted);
		/* The tie exists from its first encounter on. */
		fprintf(f,
		        "        </attvalues>\n        <spells>\n"
		        "          <spell start=\"%s\" end=\"%s\"/>\n        </spells>\n"
		        "      </edge>\n",
		        t0, end);
	}
	fputs("    </edges>\n  </graph>\n</gexf>\n", f);
}

/* ---- GraphML ---- */

static void graphml_data(FILE *f, const char *key, const char *value)
{
	fprintf(f, "      <data key=\"%s\">", key);
	xml_text(f, value);
	fputs("</data>\n", f);
}

static void write_graphml(FILE *f, const struct graph *g)
{
	char t0[40], t1[40], id[CV_PSEUDONYM_MAX], id2[CV_PSEUDONYM_MAX], num[32];
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
	      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	      "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
	      "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n"
	      "  <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n",
	      f);
	if (!g->pseudo)
		fputs("  <key id=\"external_id\" for=\"node\" attr.name=\"external_id\" "
		      "attr.type=\"string\"/>\n",
		      f);
	fputs("  <key id=\"organization\" for=\"node\" attr.name=\"organization\" "
	      "attr.type=\"string\"/>\n"
	      "  <key id=\"role\" for=\"node\" attr.name=\"role\" attr.type=\"string\"/>\n"
	      "  <key id=\"arrived\" for=\"node\" attr.name=\"arrived\" attr.type=\"string\"/>\n"
	      "  <key id=\"arrived_time_trusted\" for=\"node\" attr.name=\"arrived_time_trusted\" "
	      "attr.type=\"boolean\"/>\n"
	      "  <key id=\"partners\" for=\"node\" attr.name=\"partners\" attr.type=\"int\"/>\n"
	      "  <key id=\"weight\" for=\"edge\" attr.name=\"weight\" attr.type=\"int\"/>\n"
	      "  <key id=\"first\" for=\"edge\" attr.name=\"first\" attr.type=\"string\"/>\n"
	      "  <key id=\"last\" for=\"edge\" attr.name=\"last\" attr.type=\"string\"/>\n"
	      "  <key id=\"source_offered\" for=\"edge\" attr.name=\"source_offered\" "
	      "attr.type=\"int\"/>\n"
	      "  <key id=\"target_offered\" for=\"edge\" attr.name=\"target_offered\" "
	      "attr.type=\"int\"/>\n"
	      "  <key id=\"prior\" for=\"edge\" attr.name=\"prior\" attr.type=\"int\"/>\n"
	      "  <key id=\"cross_org\" for=\"edge\" attr.name=\"cross_org\" "
	      "attr.type=\"boolean\"/>\n"
	      "  <key id=\"untrusted_times\" for=\"edge\" attr.name=\"untrusted_times\" "
	      "attr.type=\"int\"/>\n"
	      "  <graph id=\"convening\" edgedefault=\"undirected\">\n",
	      f);
	for (size_t i = 0; i < g->n_people; i++) {
		const struct g_person *p = &g->people[i];
		if (!p->present)
			continue;
		struct cv_metrics_person mp;
		cv_metrics_person_get(g->m, p->id, &mp);
		node_id(g, p->id, id);
		iso_time(p->first_ms, t0);
		fprintf(f, "    <node id=\"%s\">\n", id);
		graphml_data(f, "label", p->label);
		if (!g->pseudo && p->external_id)
			graphml_data(f, "external_id", p->external_id);
		graphml_data(f, "organization", p->org);
		graphml_data(f, "role", p->role);
		graphml_data(f, "arrived", t0);
		graphml_data(f, "arrived_time_trusted", p->first_trusted ? "true" : "false");
		snprintf(num, sizeof num, "%" PRId64, mp.partners);
		graphml_data(f, "partners", num);
		fputs("    </node>\n", f);
	}
	size_t pos = 0, e = 0;
	struct g_tie t;
	while (next_tie(g, &pos, &t)) {
		node_id(g, t.first->lo, id);
		node_id(g, t.first->hi, id2);
		iso_time(t.first[0].wall_ms, t0);
		iso_time(t.first[t.n - 1].wall_ms, t1);
		fprintf(f, "    <edge id=\"e%zu\" source=\"%s\" target=\"%s\">\n", e++, id, id2);
		fprintf(f, "      <data key=\"weight\">%zu</data>\n", t.n);
		graphml_data(f, "first", t0);
		graphml_data(f, "last", t1);
		fprintf(f, "      <data key=\"source_offered\">%" PRId64 "</data>\n", t.t.lo_to_hi);
		fprintf(f, "      <data key=\"target_offered\">%" PRId64 "</data>\n", t.t.hi_to_lo);
		fprintf(f, "      <data key=\"prior\">%" PRId64 "</data>\n", t.t.prior);
		graphml_data(f, "cross_org", t.t.cross_org ? "true" : "false");
		fprintf(f, "      <data key=\"untrusted_times\">%zu</data>\n", t.untrusted);
		fputs("    </edge>\n", f);
	}
	fputs("  </graph>\n</graphml>\n", f);
}

/* ---- Kumu blueprint ---- */

static int write_kumu(FILE *f, const struct graph *g)
{
	json_t *root = json_object(), *elements = json_array(), *connections = json_array();
	int rc = CV_ENOMEM;
	char t0[40], t1[40];
	if (!root || !elements || !connections)
		goto out;
	json_object_set_new(root, "elements", elements);
	json_object_set_new(root, "connections", connections);
	for (size_t i = 0; i < g->n_people; i++) {
		const struct g_person *p = &g->people[i];
		if (!p->present)
			continue;
		struct cv_metrics_person mp;
		cv_metrics_person_get(g->m, p->id, &mp);
		iso_time(p->first_ms, t0);
		json_t *el = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I}", "label",
		                       p->label, "type", "Person", "organization", p->org, "role",
		                       p->role, "arrived", t0, "arrived time trusted",
		                       p->first_trusted, "partners", (json_int_t)mp.partners,
		                       "organizations reached", (json_int_t)mp.orgs_reached);
		if (!el)
			goto out;
		if (!g->pseudo && p->external_id)
			json_object_set_new(el, "external id", json_string(p->external_id));
		json_array_append_new(elements, el);
	}
	size_t pos = 0;
	struct g_tie t;
	while (next_tie(g, &pos, &t)) {
		const struct g_person *lo = find_person((struct graph *)g, t.first->lo);
		const struct g_person *hi = find_person((struct graph *)g, t.first->hi);
		if (!lo || !hi)
			continue;
		/* Direction from the directional answers: both ways is mutual, one
		 * way points from the one who offered. */
		const char *direction = "undirected";
		const struct g_person *from = lo, *to = hi;
		if (t.t.lo_to_hi > 0 && t.t.hi_to_lo > 0) {
			direction = "mutual";
		} else if (t.t.hi_to_lo > 0) {
			direction = "directed";
			from = hi;
			to = lo;
		} else if (t.t.lo_to_hi > 0) {
			direction = "directed";
		}
		iso_time(t.first[0].wall_ms, t0);
		iso_time(t.first[t.n - 1].wall_ms, t1);
		json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:b, s:I}", "from",
		                      from->label, "to", to->label, "type", "encounter",
		                      "direction", direction, "strength", (json_int_t)t.n,
		                      "first met", t0, "last met", t1, "earlier encounters",
		                      (json_int_t)t.t.prior, "across organizations", t.t.cross_org,
		                      "untrusted times", (json_int_t)t.untrusted);
		if (!c)
			goto out;
		json_array_append_new(connections, c);
	}
	rc = json_dumpf(root, f, JSON_INDENT(1) | JSON_ENSURE_ASCII) == 0 ? 0 : CV_EIO;
	if (rc == 0)
		fputc('\n', f);
out:
	json_decref(root);
	return rc;
}

/* ---- t i j ---- */

static int tij_cmp(const void *x, const void *y)
{
	const struct g_encounter *a = x, *b = y;
	if (a->wall_ms != b->wall_ms)
		return a->wall_ms < b->wall_ms ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return (a->hi > b->hi) - (a->hi < b->hi);
}

static int write_contacts(FILE *f, const struct graph *g)
{
	struct g_encounter *sorted = malloc((g->n_enc ? g->n_enc : 1) * sizeof *sorted);
	if (!sorted)
		return CV_ENOMEM;
	memcpy(sorted, g->enc, g->n_enc * sizeof *sorted);
	qsort(sorted, g->n_enc, sizeof *sorted, tij_cmp);
	for (size_t k = 0; k < g->n_enc; k++) {
		int64_t t = sorted[k].wall_ms / 1000 - (sorted[k].wall_ms % 1000 < 0);
		int64_t i = g->pseudo ? cv_pseudonym_number(g->key, sorted[k].lo) : sorted[k].lo;
		int64_t j = g->pseudo ? cv_pseudonym_number(g->key, sorted[k].hi) : sorted[k].hi;
		fprintf(f, "%" PRId64 " %" PRId64 " %" PRId64 "\n", t, i, j);
	}
	free(sorted);
	return 0;
}

/* ---- the file ---- */

static int errno_to_cv(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT: return CV_EFULL;
	case EACCES:
	case EPERM:
	case EROFS: return CV_EPERM;
	case ENOMEM: return CV_ENOMEM;
	case ENOENT: return CV_ENOTFOUND;
	default: return CV_EIO;
	}
}

static const char *format_name(enum cv_export_format format)
{
	switch (format) {
	case CV_EXPORT_GEXF: return "GEXF";
	case CV_EXPORT_GRAPHML: return "GraphML";
	case CV_EXPORT_KUMU: return "Kumu";
	case CV_EXPORT_CONTACTS: return "contact list";
	default: return "CSV";
	}
}

/* Writes the chosen format to a temporary file next to path, syncs it and
 * renames it into place. */
static int write_file(const struct graph *g, enum cv_export_format format, const char *path,
                      char *err, size_t errlen)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	if (!tmp)
		return CV_ENOMEM;
	snprintf(tmp, n, "%s.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		cv_error_format(err, errlen, "cannot create a file next to %s: %s", path,
		                strerror(e));
		free(tmp);
		return errno_to_cv(e);
	}
	(void)fchmod(fd, 0644);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int e = errno;
		close(fd);
		unlink(tmp);
		free(tmp);
		return errno_to_cv(e);
	}
	int cv = 0;
	switch (format) {
	case CV_EXPORT_GEXF: write_gexf(f, g); break;
	case CV_EXPORT_GRAPHML: write_graphml(f, g); break;
	case CV_EXPORT_KUMU: cv = write_kumu(f, g); break;
	case CV_EXPORT_CONTACTS: cv = write_contacts(f, g); break;
	default: cv = CV_EINVAL; break;
	}
	int e = 0;
	if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0)
		e = errno ? errno : EIO;
	if (fclose(f) != 0 && !e)
		e = errno;
	if (!cv && e)
		cv = errno_to_cv(e);
	if (!cv && rename(tmp, path) != 0) {
		e = errno;
		cv = errno_to_cv(e);
	}
	if (cv) {
		cv_error_format(err, errlen, "cannot write %s: %s", path,
		                e ? strerror(e) : cv_strerror(cv));
		unlink(tmp);
	}
	free(tmp);
	return cv;
}

int cv_export_graph(struct cv_store *store, enum cv_export_format format, const char *path,
                    const struct cv_export_options *opts, char *err, size_t errlen)
{
	struct graph g = {.t_start = INT64_MAX, .t_end = INT64_MIN};
	cv_error_format(err, errlen, "%s", "");
	if (!store || !path || !*path || format == CV_EXPORT_CSV || format > CV_EXPORT_CONTACTS) {
		cv_error_format(err, errlen, "a network export needs a store, a format and a file");
		return CV_EINVAL;
	}
	g.pseudo = opts && opts->pseudonymize;
	int cv = 0;
	if (g.pseudo) {
		/* Before the read transaction: it may write the secret. */
		cv = cv_store_pseudonym_key(store, g.key);
		if (cv < 0) {
			cv_error_format(err, errlen, "cannot read the pseudonym secret: %s",
			                cv_strerror(cv));
			return cv;
		}
	}
	/* One read transaction: people, check-ins, encounters and the metrics
	 * agree with each other while the kiosk keeps recording. */
	cv = cv_store_exec(store, "BEGIN");
	if (cv < 0) {
		cv_error_format(err, errlen, "cannot read the store: %s", cv_strerror(cv));
		return cv;
	}
	cv = graph_load(store, &g);
	cv_store_exec(store, "COMMIT");
	if (cv < 0) {
		cv_error_format(err, errlen, "cannot read the store: %s", cv_strerror(cv));
		graph_free(&g);
		return cv;
	}
	cv = write_file(&g, format, path, err, errlen);
	if (cv == 0)
		cv_log_info("exported %zu encounters as %s to %s%s", g.n_enc, format_name(format),
		            path, g.pseudo ? " (pseudonymised)" : "");
	else
		cv_log_error("export to %s failed: %s", path, err && *err ? err : cv_strerror(cv));
	graph_free(&g);
	return cv;
}
