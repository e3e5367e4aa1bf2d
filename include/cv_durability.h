/* The durability thread: makes committed transactions safe against power
 * loss within a second (fdatasync of the WAL and a passive checkpoint on its
 * own connection), so no fsync sits on the tap path. */
#ifndef CV_DURABILITY_H
#define CV_DURABILITY_H

struct cv_durability;

/* Starts the thread. Returns 0 and *out, or a CV_E* code. */
int cv_durability_start(const char *store_path, const char *kiosk_id, struct cv_durability **out);

/* Tells the thread something was committed. Any thread, never blocks. */
void cv_durability_poke(struct cv_durability *d);

/* Syncs what is pending, stops and joins the thread, frees d. */
void cv_durability_stop(struct cv_durability *d);

#endif
