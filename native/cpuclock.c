/*
 * Another process's CPU time (all its threads, user + system) in one system
 * call: clock_gettime on the clock clock_getcpuclockid(2) names for that pid.
 * The load generator reads the embedded emulator's CPU at every 10 ms time
 * slice switch; /proc/<pid>/task/<tid>/schedstat needs one read per thread
 * (~10 for the emulator), ~15 % of the generator's main-thread work at the
 * switches in the eighth session's profile. The kernel answers this clock from
 * the scheduler's own runtime accounting, to the nanosecond, including the
 * time of threads still running on another CPU.
 *
 * processCpuNs(pid) -> nanoseconds (a double: exact below 2^53 ns, 104 days),
 * or -errno (ESRCH: no such process; EPERM where the kernel refuses).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <time.h>

#include "addon.h"

napi_value ProcessCpuNs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t pid = 0;
  napi_value out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) {
    napi_throw_type_error(env, NULL, "processCpuNs(pid): a positive integer");
    return NULL;
  }
  clockid_t cid;
  int r = clock_getcpuclockid((pid_t)pid, &cid);
  double result;
  if (r != 0) {
    result = -(double)r;
  } else {
    struct timespec ts;
    result = clock_gettime(cid, &ts) == 0 ? (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec : -(double)errno;
  }
  napi_create_double(env, result, &out);
  return out;
}
