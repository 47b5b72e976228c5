/*
 * writeFrames: one writev(2) of many slices of a few long-lived buffers, for
 * the emulator's output. Through Node, every response frame is a Writable
 * chunk: an entry in the stream's buffered list, a per-chunk pass in
 * StreamBase::Writev, and a Buffer object per cached page held in JS (the
 * Writable path's `_write` alone was 8 % of the emulator's CPU in a perf
 * profile at 270k responses/s). Here a pump passes (base, offset, length)
 * triples in one Float64Array and the kernel copies straight from them.
 *
 * writeFrames(fd, base0, base1, base2, iov, n) -> bytes written (>= 0), or
 * -errno when nothing could be written. iov holds n triples: base index
 * (0..2), byte offset, byte length. Partial writes are reported, not
 * retried: the caller queues the rest through Node, which waits for POLLOUT.
 */
#include <errno.h>
#include <limits.h>
#include <node_api.h>
#include <sys/uio.h>
#include <unistd.h>

#include "addon.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

napi_value WriteFrames(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int32_t fd = -1;
  uint32_t n = 0;
  void *base[3] = {NULL, NULL, NULL};
  size_t baseLen[3] = {0, 0, 0};
  napi_value out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_uint32(env, argv[5], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "writeFrames(fd, base0, base1, base2, iov, n)");
    return NULL;
  }
  for (int b = 0; b < 3; b++) {
    if (napi_get_buffer_info(env, argv[1 + b], &base[b], &baseLen[b]) != napi_ok) {
      napi_throw_type_error(env, NULL, "writeFrames: base0..base2 must be Buffers");
      return NULL;
    }
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, argv[4], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float64_array ||
      (size_t)n * 3 > length) {
    napi_throw_type_error(env, NULL, "writeFrames: iov must be a Float64Array of n (base, offset, length) triples");
    return NULL;
  }
  /* On the stack (16 KiB): the helper is loaded in every worker thread too. */
  struct iovec iovs[IOV_MAX];
  const double *t = (const double *)data;
  double total = 0;
  uint32_t done = 0;
  int result = 0;
  while (done < n) {
    uint32_t k = n - done < IOV_MAX ? n - done : IOV_MAX;
    size_t want = 0;
    for (uint32_t j = 0; j < k; j++) {
      const double *e = t + 3 * (size_t)(done + j);
      int b = (int)e[0];
      size_t off = (size_t)e[1], len = (size_t)e[2];
      if (b < 0 || b > 2 || off + len > baseLen[b]) {
        napi_throw_range_error(env, NULL, "writeFrames: a slice lies outside its base buffer");
        return NULL;
      }
      iovs[j].iov_base = (char *)base[b] + off;
      iovs[j].iov_len = len;
      want += len;
    }
    ssize_t w;
    do w = writev(fd, iovs, (int)k); while (w < 0 && errno == EINTR);
    if (w < 0) {
      if (total == 0) result = -errno;
      break;
    }
    total += (double)w;
    if ((size_t)w < want) break; /* socket buffer full: the rest goes through Node */
    done += k;
  }
  napi_create_double(env, result < 0 ? (double)result : total, &out);
  return out;
}

/*
 * writeBytes(fd, buf, offset, length) -> bytes written (>= 0), or -errno when
 * nothing could be written: one write(2) of buf[offset, offset + length), for
 * the client's request batches (a few hundred bytes each, one per socket read).
 */
napi_value WriteBytes(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd = -1;
  double off = 0, len = 0;
  void *data = NULL;
  size_t size = 0;
  napi_value out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_buffer_info(env, argv[1], &data, &size) != napi_ok ||
      napi_get_value_double(env, argv[2], &off) != napi_ok || napi_get_value_double(env, argv[3], &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "writeBytes(fd, buffer, offset, length)");
    return NULL;
  }
  if (off < 0 || len < 0 || off + len > (double)size) {
    napi_throw_range_error(env, NULL, "writeBytes: the range lies outside the buffer");
    return NULL;
  }
  ssize_t w;
  do w = write(fd, (char *)data + (size_t)off, (size_t)len); while (w < 0 && errno == EINTR);
  napi_create_double(env, w < 0 ? -(double)errno : (double)w, &out);
  return out;
}
