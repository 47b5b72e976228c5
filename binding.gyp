{
  "targets": [
    {
      "target_name": "sockopt",
      "sources": ["native/sockopt.c"]
    }
  ]
}
