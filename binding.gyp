{
  "targets": [
    {
      "target_name": "uwsgi_ts",
      "sources": [
        "native/addon.cc",
        "native/connection_path.cc",
        "native/packet_frame.cc",
        "native/parent_watch.cc",
        "native/peer_filter.cc",
        "native/parser_binding.cc",
        "native/socket_ops.cc",
        "native/sock_diag.cc",
        "native/sock_diag_binding.cc",
        "native/vars_parser.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-exceptions", "-Wall", "-Wextra"],
      "cflags_cc!": ["-fno-rtti"]
    }
  ]
}
