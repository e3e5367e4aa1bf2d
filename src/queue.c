/* A bounded FIFO of fixed-size items guarded by a mutex and two condition
 * variables, used between the reader, writer and UI threads. */
#include "cv_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv_error.h"

struct cv_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	unsigned char *items;
	size_t item_size;
	size_t capacity;
	size_t head;
	size_t length;
	bool closed;
	void (*wake)(void *ctx);
	void *wake_ctx;
};

int cv_queue_create(size_t item_size, size_t capacity, void (*wake)(void *ctx), void *wake_ctx,
                    struct cv_queue **out)
{
	*out = NULL;
	struct cv_queue *q = calloc(1, sizeof *q);
	if (!q)
		return CV_ENOMEM;
	q->items = calloc(capacity, item_size);
	if (!q->items) {
		free(q);
		return CV_ENOMEM;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->not_empty, &attr);
	pthread_cond_init(&q->not_full, &attr);
	pthread_condattr_destroy(&attr);
	q->item_size = item_size;
	q->capacity = capacity;
	q->wake = wake;
	q->wake_ctx = wake_ctx;
	*out = q;
	return 0;
}

void cv_queue_destroy(struct cv_queue *q)
{
	if (!q)
		return;
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	pthread_mutex_destroy(&q->lock);
	free(q->items);
	free(q);
}

static void queue_put_locked(struct cv_queue *q, const void *item)
{
	size_t tail = (q->head + q->length) % q->capacity;
	memcpy(q->items + tail * q->item_size, item, q->item_size);
	q->length++;
	pthread_cond_signal(&q->not_empty);
}

static int queue_push(struct cv_queue *q, const void *item, bool wait)
{
	pthread_mutex_lock(&q->lock);
	while (!q->closed && q->length == q->capacity) {
		if (!wait) {
			pthread_mutex_unlock(&q->lock);
			return CV_EFULL;
		}
		pthread_cond_wait(&q->not_full, &q->lock);
	}
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
		return CV_ECLOSED;
	}
	queue_put_locked(q, item);
	pthread_mutex_unlock(&q->lock);
	if (q->wake)
		q->wake(q->wake_ctx);
	return 0;
}

int cv_queue_push(struct cv_queue *q, const void *item)
{
	return queue_push(q, item, true);
}

int cv_queue_try_push(struct cv_queue *q, const void *item)
{
	return queue_push(q, item, false);
}

int cv_queue_pop(struct cv_queue *q, void *item, int timeout_ms)
{
	struct timespec deadline;
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&q->lock);
	while (q->length == 0 && !q->closed) {
		if (timeout_ms == 0)
			break;
		if (timeout_ms < 0) {
			pthread_cond_wait(&q->not_empty, &q->lock);
		} else if (pthread_cond_timedwait(&q->not_empty, &q->lock, &deadline) ==
		           ETIMEDOUT) {
			break;
		}
	}
	if (q->length == 0) {
		int rc = q->closed ? CV_ECLOSED : 0;
		pthread_mutex_unlock(&q->lock);
		return rc;
	}
	memcpy(item, q->items + q->head * q->item_size, q->item_size);
	q->head = (q->head + 1) % q->capacity;
	q->length--;
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return 1;
}

void cv_queue_close(struct cv_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	if (q->wake)
		q->wake(q->wake_ctx);
}

size_t cv_queue_length(struct cv_queue *q)
{
	pthread_mutex_lock(&q->lock);
	size_t n = q->length;
	pthread_mutex_unlock(&q->lock);
	return n;
}
