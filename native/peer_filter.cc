// See peer_filter.h.
#include "peer_filter.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace uwsgi_ts {
namespace {

bool PrefixMatches(const uint8_t* a, const uint8_t* b, int prefix) {
  const int whole = prefix / 8;
  if (std::memcmp(a, b, static_cast<size_t>(whole)) != 0) return false;
  const int bits = prefix % 8;
  if (bits == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
  return (a[whole] & mask) == (b[whole] & mask);
}

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

bool PeerFilter::Add(const char* text) {
  std::string s(text);
  int prefix = -1;
  const size_t slash = s.find('/');
  if (slash != std::string::npos) {
    const std::string bits = s.substr(slash + 1);
    if (bits.empty() || bits.size() > 3) return false;
    for (char c : bits) {
      if (c < '0' || c > '9') return false;
    }
    prefix = std::atoi(bits.c_str());
    s.resize(slash);
  }
  Network n{};
  if (inet_pton(AF_INET, s.c_str(), n.address) == 1) {
    n.family = AF_INET;
    if (prefix < 0) prefix = 32;
    if (prefix > 32) return false;
  } else if (inet_pton(AF_INET6, s.c_str(), n.address) == 1) {
    n.family = AF_INET6;
    if (prefix < 0) prefix = 128;
    if (prefix > 128) return false;
  } else {
    return false;
  }
  n.prefix = prefix;
  networks_.push_back(n);
  return true;
}

bool PeerFilter::Allows(const sockaddr_storage& peer) const {
  uint8_t v4[4];
  const uint8_t* v6 = nullptr;
  bool have_v4 = false;
  if (peer.ss_family == AF_INET) {
    std::memcpy(v4, &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, 4);
    have_v4 = true;
  } else if (peer.ss_family == AF_INET6) {
    v6 = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr.s6_addr;
    if (std::memcmp(v6, kMappedPrefix, sizeof(kMappedPrefix)) == 0) {
      std::memcpy(v4, v6 + 12, 4);
      have_v4 = true;
    }
  } else {
    return false;
  }
  for (const Network& n : networks_) {
    if (n.family == AF_INET && have_v4 && PrefixMatches(v4, n.address, n.prefix)) return true;
    if (n.family == AF_INET6 && v6 != nullptr && PrefixMatches(v6, n.address, n.prefix)) return true;
  }
  return false;
}

}  // namespace uwsgi_ts
