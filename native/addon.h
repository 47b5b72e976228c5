/* The functions of the project's one native helper (see addon.c). */
#ifndef PAGESTREAM_BENCH_ADDON_H
#define PAGESTREAM_BENCH_ADDON_H
#include <node_api.h>
napi_value SetReceiveBuffer(napi_env env, napi_callback_info info);
napi_value WriteFrames(napi_env env, napi_callback_info info);
napi_value WriteBytes(napi_env env, napi_callback_info info);
napi_value ProcessCpuNs(napi_env env, napi_callback_info info);
napi_value PacerStart(napi_env env, napi_callback_info info);
napi_value PacerArm(napi_env env, napi_callback_info info);
napi_value PacerStop(napi_env env, napi_callback_info info);
#endif
