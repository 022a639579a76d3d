/* SPDX-License-Identifier: MIT */
/* pthread_create.c -- LOAD-TIME: the interposed pthread_create(3), which
 * gives every new thread an alternate signal stack.
 *
 * Zone: LOAD-TIME (the creating thread, then the new thread before and
 * after its start routine; never the handler). A stack overflow on a
 * thread without an alternate stack cannot run any handler, so threads
 * created after load get one at start (DESIGN §4.2); a thread-specific key
 * destructor unmaps it when the thread ends, however it ends.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "shim.h"

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *,
				 void *(*)(void *), void *);

struct start {
	void *(*fn)(void *);
	void *arg;
};

static pthread_key_t key;
static int key_ok;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void release(void *mem)
{
	tm__capture_altstack_release(mem, TM__CAPTURE_ALTSTACK_SIZE +
					  (size_t)sysconf(_SC_PAGESIZE));
}

static void make_key(void)
{
	key_ok = pthread_key_create(&key, release) == 0;
}

static void *trampoline(void *p)
{
	struct start s = *(struct start *)p;
	size_t size;
	void *mem;

	free(p);
	mem = tm__capture_altstack_ensure(&size);
	if (mem && (!key_ok || pthread_setspecific(key, mem) != 0))
		release(mem);
	return s.fn(s.arg);
}

/* LOAD-TIME. The interposer: same contract as pthread_create(3). */
__attribute__((visibility("default")))
int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
		   void *(*fn)(void *), void *arg)
{
	static pthread_create_fn real;
	struct start *s;
	int r;

	if (!real)
		real = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
	if (!real)
		return ENOSYS;
	if (!__atomic_load_n(&tm__capture.active, __ATOMIC_ACQUIRE))
		return real(thread, attr, fn, arg);
	pthread_once(&key_once, make_key);
	s = malloc(sizeof(*s));
	if (!s)
		return real(thread, attr, fn, arg);
	s->fn = fn;
	s->arg = arg;
	r = real(thread, attr, trampoline, s);
	if (r != 0)
		free(s);
	return r;
}
