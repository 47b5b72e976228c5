{
  "targets": [
    {
      "target_name": "native",
      "sources": ["native/addon.c", "native/sockopt.c", "native/writev.c", "native/cpuclock.c", "native/pacer.c"]
    }
  ]
}
