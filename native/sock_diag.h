// Listen queue of a listening socket, read from Linux sock_diag netlink: the number of
// connections waiting to be accepted and the queue's maximum, what `ss -l` shows as
// Recv-Q and Send-Q on a listener. Works for unix sockets (UNIX_DIAG) and TCP (INET_DIAG);
// nothing else in /proc reports the unix figure. Core only: no N-API header, so it can be
// built and tested alone.
//
// src/metrics/listen-queue-status.ts holds the same status values with stable string
// codes (a test compares the files); never renumber, they cross N-API as int32.
#pragma once

#include <cstdint>

namespace uwsgi_ts {

enum class ListenQueueStatus : int32_t {
  OK = 0,
  // fd is negative or the output table is too small (binding misuse).
  BAD_ARGUMENTS = 1,
  // fstat/getsockname failed on fd, or fd is not a socket (errno kept where there is one).
  NOT_A_SOCKET = 2,
  // A socket of a family sock_diag is not asked about here (not unix, IPv4 or IPv6).
  UNSUPPORTED_FAMILY = 3,
  // The socket is not among the listeners the kernel reported: not listening (yet).
  NOT_LISTENING = 4,
  // socket(AF_NETLINK), send or recv failed (errno kept), or the kernel answered an error.
  NETLINK_FAILED = 5,
  // The kernel's answer did not have the expected shape.
  BAD_REPLY = 6,
  // Only the TypeScript twin returns this: the figure needs netlink, which Node cannot open.
  NEEDS_NETLINK = 7,
};

struct ListenQueue {
  // Connections waiting in the accept queue (sk_ack_backlog).
  uint32_t depth = 0;
  // The queue's maximum (sk_max_ack_backlog: the listen() backlog capped by somaxconn).
  uint32_t max = 0;
  // errno of the failing call for NOT_A_SOCKET and NETLINK_FAILED, else 0.
  int32_t error = 0;
};

ListenQueueStatus ReadListenQueue(int fd, ListenQueue* out);

}  // namespace uwsgi_ts
