/*
 * The one socket option Node does not expose for TCP: the receive buffer
 * (SO_RCVBUF). Setting it also turns off Linux's receive-buffer autotuning
 * for that socket (the kernel locks the size), so every connection of a run
 * gets the same buffer instead of one grown from its own first moments.
 *
 * setReceiveBuffer(fd, bytes) -> the buffer the kernel reports afterwards
 * (Linux doubles the request for its bookkeeping), or -errno on failure.
 * SO_RCVBUFFORCE is tried first: it passes net.core.rmem_max where the
 * process may (CAP_NET_ADMIN); otherwise SO_RCVBUF, capped at rmem_max.
 */
#include <errno.h>
#include <node_api.h>
#include <sys/socket.h>

#include "addon.h"

napi_value SetReceiveBuffer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1, bytes = 0;
  napi_value out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &bytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "setReceiveBuffer(fd, bytes): two integers");
    return NULL;
  }
  int r = -1;
#ifdef SO_RCVBUFFORCE
  r = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes);
#endif
  if (r != 0) r = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  int result = -errno;
  if (r == 0) {
    int got = 0;
    socklen_t len = sizeof got;
    result = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 ? got : -errno;
  }
  napi_create_int32(env, result, &out);
  return out;
}
