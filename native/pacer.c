/*
 * A sub-millisecond wake-up for the open-loop schedule. Node's timers have
 * 1 ms resolution (libuv's timer heap is in ms), so a schedule driven by them
 * sends each request up to ~1.1 ms after its intended time; latency measured
 * from the intended time (coordinated-omission correct) then carries the
 * load generator's own timer. At GetPage latencies of ~100 us that is most of
 * the figure (2,000 rps: p50 723 us from the intended time, 139 us from the
 * actual send; docs/run.md "Open-loop pacing").
 *
 * This is a one-shot timerfd (CLOCK_MONOTONIC, ns resolution, the clock
 * performance.now() reads) watched by a uv_poll on the calling thread's own
 * event loop: the thread sleeps in epoll like any idle Node thread, and the
 * kernel wakes it when the timer expires. No spinning, no extra thread.
 *
 * One pacer per Node environment (main thread or worker), as instance data:
 *   pacerStart(callback) -> 0, or -errno (timerfd_create, uv_poll_init)
 *   pacerArm(delayUs)    -> 0, or -errno; one shot, replaces any earlier arm;
 *                           delayUs <= 0 fires as soon as the loop polls
 *   pacerStop()          -> stops and frees (also at the environment's teardown)
 * The callback runs through napi_make_callback, so microtasks run after it
 * and an exception in it is the thread's uncaught exception.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#include "addon.h"

typedef struct {
  napi_env env;
  int fd;
  uv_poll_t poll;
  napi_ref callback;
  napi_async_context async;
} Pacer;

/* The environment's pacer, or NULL (napi instance data is taken by nothing else). */
static Pacer *current(napi_env env) {
  void *p = NULL;
  napi_get_instance_data(env, &p);
  return (Pacer *)p;
}

static void on_closed(uv_handle_t *h) {
  Pacer *p = (Pacer *)h->data;
  close(p->fd);
  free(p);
}

static void stop(napi_env env, Pacer *p) {
  napi_set_instance_data(env, NULL, NULL, NULL);
  uv_poll_stop(&p->poll);
  napi_delete_reference(env, p->callback);
  napi_async_destroy(env, p->async);
  uv_close((uv_handle_t *)&p->poll, on_closed);
}

/* The environment is going away (a worker terminated) with the pacer still open. */
static void cleanup(void *arg) {
  Pacer *p = (Pacer *)arg;
  if (current(p->env) == p) stop(p->env, p);
}

static void on_ready(uv_poll_t *h, int status, int events) {
  (void)events;
  Pacer *p = (Pacer *)h->data;
  uint64_t expirations;
  /* Non-blocking: a timer re-armed after it fired but before this ran reads EAGAIN. */
  if (status < 0 || read(p->fd, &expirations, sizeof expirations) != (ssize_t)sizeof expirations) return;
  napi_env env = p->env;
  napi_handle_scope scope;
  napi_value cb, recv;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_get_reference_value(env, p->callback, &cb);
  napi_get_global(env, &recv); /* napi_make_callback wants an object as `this` */
  if (napi_make_callback(env, p->async, recv, cb, 0, NULL, NULL) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static napi_value int_result(napi_env env, int r) {
  napi_value out;
  napi_create_int32(env, r, &out);
  return out;
}

napi_value PacerStart(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype t = napi_undefined;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "pacerStart(callback): a function");
    return NULL;
  }
  if (current(env) != NULL) {
    napi_throw_error(env, NULL, "pacerStart: this thread's pacer is already started");
    return NULL;
  }
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return int_result(env, -EINVAL);
  Pacer *p = (Pacer *)calloc(1, sizeof *p);
  if (p == NULL) return int_result(env, -ENOMEM);
  p->env = env;
  p->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (p->fd < 0) {
    int e = errno;
    free(p);
    return int_result(env, -e);
  }
  int r = uv_poll_init(loop, &p->poll, p->fd);
  if (r != 0) {
    close(p->fd);
    free(p);
    return int_result(env, r); /* libuv errors are -errno already */
  }
  p->poll.data = p;
  napi_value name;
  napi_create_string_utf8(env, "pagestream-bench:pacer", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[0], 1, &p->callback);
  napi_async_init(env, NULL, name, &p->async);
  uv_poll_start(&p->poll, UV_READABLE, on_ready);
  napi_set_instance_data(env, p, NULL, NULL);
  napi_add_env_cleanup_hook(env, cleanup, p);
  return int_result(env, 0);
}

napi_value PacerArm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  double us = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_double(env, argv[0], &us) != napi_ok) {
    napi_throw_type_error(env, NULL, "pacerArm(delayUs): a number");
    return NULL;
  }
  Pacer *p = current(env);
  if (p == NULL) return int_result(env, -EBADF);
  /* it_value 0 would disarm: the earliest expiry is 1 ns. */
  long long ns = us > 0 ? (long long)(us * 1000.0) : 1;
  if (ns < 1) ns = 1;
  struct itimerspec spec = {{0, 0}, {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)}};
  return int_result(env, timerfd_settime(p->fd, 0, &spec, NULL) == 0 ? 0 : -errno);
}

napi_value PacerStop(napi_env env, napi_callback_info info) {
  (void)info;
  Pacer *p = current(env);
  if (p != NULL) {
    napi_remove_env_cleanup_hook(env, cleanup, p);
    stop(env, p);
  }
  return int_result(env, 0);
}
