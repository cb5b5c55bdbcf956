// The --allow-from check for TCP peers on the native connection path: address/prefix
// networks, IPv4-mapped IPv6 peers (::ffff:a.b.c.d) matched as IPv4, as
// src/worker/peer-allow-list.ts does with net.BlockList for the JS transport. No N-API or
// libuv here.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <vector>

namespace uwsgi_ts {

struct Network {
  int family;  // AF_INET or AF_INET6
  uint8_t address[16];
  int prefix;
};

class PeerFilter {
 public:
  // "10.0.0.0/8", "::1/128", "192.168.1.5" (a full-length prefix). False when unusable.
  bool Add(const char* text);
  bool Allows(const sockaddr_storage& peer) const;
  void Clear() { networks_.clear(); }

 private:
  std::vector<Network> networks_;
};

}  // namespace uwsgi_ts
