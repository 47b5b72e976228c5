/*
 * The project's one native helper, built by `npm install` (node-gyp). Four
 * things Node does not offer: a TCP socket's receive buffer (sockopt.c, for
 * the client), a write to a socket without a Writable chunk (writev.c: one
 * writev over slices of long-lived buffers for the emulator's output, one
 * write of a byte range for the client's request batches), another
 * process's CPU clock (cpuclock.c, the emulator's CPU at every time slice),
 * and a timer finer than 1 ms (pacer.c, the open-loop schedule). Everything works
 * without it, slower or with kernel-autotuned buffers, and says so.
 */
#include "addon.h"

static void add(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  add(env, exports, "setReceiveBuffer", SetReceiveBuffer);
  add(env, exports, "writeFrames", WriteFrames);
  add(env, exports, "writeBytes", WriteBytes);
  add(env, exports, "processCpuNs", ProcessCpuNs);
  add(env, exports, "pacerStart", PacerStart);
  add(env, exports, "pacerArm", PacerArm);
  add(env, exports, "pacerStop", PacerStop);
  return exports;
}
