/* A bounded queue of fixed-size items between threads (mutex and condition
 * variable). The policy when full is the caller's: cv_queue_push waits,
 * cv_queue_try_push fails with CV_EFULL. An optional wake callback runs
 * after each push (the UI loop's semaphore). */
#ifndef CV_QUEUE_H
#define CV_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct cv_queue;

/* Returns 0 and *out, or CV_ENOMEM. */
int cv_queue_create(size_t item_size, size_t capacity, void (*wake)(void *ctx), void *wake_ctx,
                    struct cv_queue **out);
void cv_queue_destroy(struct cv_queue *q);

/* Copies item in, waiting while full. CV_ECLOSED once closed. */
int cv_queue_push(struct cv_queue *q, const void *item);
/* Copies item in, or CV_EFULL / CV_ECLOSED at once. */
int cv_queue_try_push(struct cv_queue *q, const void *item);
/* Copies the oldest item out, waiting up to timeout_ms (-1: forever).
 * Returns 1, 0 on timeout, or CV_ECLOSED when closed and empty. */
int cv_queue_pop(struct cv_queue *q, void *item, int timeout_ms);
/* Wakes every waiter; pops still drain what is queued. */
void cv_queue_close(struct cv_queue *q);
size_t cv_queue_length(struct cv_queue *q);

#endif
