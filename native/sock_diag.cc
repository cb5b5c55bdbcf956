// sock_diag netlink query for one listening socket (see sock_diag.h). The socket is found
// by its inode (fstat's st_ino of a socket fd) in a dump of the listeners of its family;
// a dump asks for LISTEN sockets only, so the kernel sends back few messages.
#include "sock_diag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace uwsgi_ts {
namespace {

// The kernel's TCP_LISTEN state number (include/net/tcp_states.h), also used for unix
// stream sockets by sock_diag's state filter.
constexpr uint32_t kTcpListen = 10;

// One recv() of a dump: the kernel fills up to a page-sized batch of messages per recv;
// 32 KiB holds several batches' worth and keeps the stack frame modest.
constexpr size_t kReplyBufferBytes = 32 * 1024;

// A dump that never sends NLMSG_DONE would loop forever: bound the recv() calls. Each
// recv carries tens of listeners, so this allows hundreds of thousands of them.
constexpr int kMaxReplyBatches = 10000;

class NetlinkSocket {
 public:
  NetlinkSocket() : fd_(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) {}
  ~NetlinkSocket() {
    if (fd_ >= 0) close(fd_);
  }
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

ListenQueueStatus Failed(ListenQueue* out, ListenQueueStatus status, int error) {
  out->error = error;
  return status;
}

// What a dump message says about one listener, for the inode match.
struct Listener {
  uint64_t inode = 0;
  uint32_t depth = 0;
  uint32_t max = 0;
  bool has_queue = false;
};

bool ReadUnixListener(const nlmsghdr* h, Listener* l) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(unix_diag_msg))) return false;
  const auto* msg = static_cast<const unix_diag_msg*>(NLMSG_DATA(h));
  l->inode = msg->udiag_ino;
  int attr_len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(*msg)));
  // rtattr walk: the attributes follow the (aligned) message body.
  for (const rtattr* a = reinterpret_cast<const rtattr*>(msg + 1); RTA_OK(a, attr_len); a = RTA_NEXT(a, attr_len)) {
    if (a->rta_type == UNIX_DIAG_RQLEN && RTA_PAYLOAD(a) >= sizeof(unix_diag_rqlen)) {
      unix_diag_rqlen q;
      memcpy(&q, RTA_DATA(a), sizeof(q));
      l->depth = q.udiag_rqueue;
      l->max = q.udiag_wqueue;
      l->has_queue = true;
    }
  }
  return true;
}

bool ReadInetListener(const nlmsghdr* h, Listener* l) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) return false;
  const auto* msg = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
  // For a listener the kernel reports sk_ack_backlog in rqueue and sk_max_ack_backlog in
  // wqueue (tcp_diag_get_info).
  l->inode = msg->idiag_inode;
  l->depth = msg->idiag_rqueue;
  l->max = msg->idiag_wqueue;
  l->has_queue = true;
  return true;
}

template <typename Request>
ListenQueueStatus Dump(const Request& request, int family, uint64_t inode, ListenQueue* out) {
  NetlinkSocket nl;
  if (nl.fd() < 0) return Failed(out, ListenQueueStatus::NETLINK_FAILED, errno);
  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(nl.fd(), &request, sizeof(request), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return Failed(out, ListenQueueStatus::NETLINK_FAILED, errno);

  alignas(nlmsghdr) static thread_local char buffer[kReplyBufferBytes];
  bool found = false;
  for (int batch = 0; batch < kMaxReplyBatches; batch++) {
    ssize_t n;
    do {
      n = recv(nl.fd(), buffer, sizeof(buffer), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Failed(out, ListenQueueStatus::NETLINK_FAILED, errno);
    if (n == 0) return Failed(out, ListenQueueStatus::BAD_REPLY, 0);
    int len = static_cast<int>(n);
    for (const nlmsghdr* h = reinterpret_cast<const nlmsghdr*>(buffer); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        return found ? ListenQueueStatus::OK : Failed(out, ListenQueueStatus::NOT_LISTENING, 0);
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        int error = 0;
        if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr))) error = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
        return Failed(out, ListenQueueStatus::NETLINK_FAILED, error);
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || found) continue;
      Listener l;
      bool ok = family == AF_UNIX ? ReadUnixListener(h, &l) : ReadInetListener(h, &l);
      if (!ok) return Failed(out, ListenQueueStatus::BAD_REPLY, 0);
      if (l.inode != inode) continue;
      if (!l.has_queue) return Failed(out, ListenQueueStatus::BAD_REPLY, 0);
      out->depth = l.depth;
      out->max = l.max;
      found = true;  // keep reading to the end of the dump so the reply is consumed
    }
  }
  return Failed(out, ListenQueueStatus::BAD_REPLY, 0);
}

// A sock_diag dump request: the netlink header and the family's request body.
template <typename Body>
struct DumpRequest {
  nlmsghdr header;
  Body body;
};

template <typename Body>
DumpRequest<Body> MakeDumpRequest() {
  DumpRequest<Body> request = {};
  request.header.nlmsg_len = sizeof(request);
  request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  return request;
}

ListenQueueStatus DumpUnix(uint64_t inode, ListenQueue* out) {
  auto request = MakeDumpRequest<unix_diag_req>();
  request.body.sdiag_family = AF_UNIX;
  request.body.udiag_states = 1u << kTcpListen;
  request.body.udiag_show = UDIAG_SHOW_RQLEN;
  return Dump(request, AF_UNIX, inode, out);
}

ListenQueueStatus DumpTcp(int family, uint64_t inode, ListenQueue* out) {
  auto request = MakeDumpRequest<inet_diag_req_v2>();
  request.body.sdiag_family = static_cast<uint8_t>(family);
  request.body.sdiag_protocol = IPPROTO_TCP;
  request.body.idiag_states = 1u << kTcpListen;
  return Dump(request, family, inode, out);
}

}  // namespace

ListenQueueStatus ReadListenQueue(int fd, ListenQueue* out) {
  *out = ListenQueue();
  if (fd < 0) return ListenQueueStatus::BAD_ARGUMENTS;
  struct stat st;
  if (fstat(fd, &st) != 0) return Failed(out, ListenQueueStatus::NOT_A_SOCKET, errno);
  if (!S_ISSOCK(st.st_mode)) return Failed(out, ListenQueueStatus::NOT_A_SOCKET, ENOTSOCK);
  sockaddr_storage address = {};
  socklen_t address_len = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_len) != 0) {
    return Failed(out, ListenQueueStatus::NOT_A_SOCKET, errno);
  }
  const uint64_t inode = static_cast<uint64_t>(st.st_ino);
  switch (address.ss_family) {
    case AF_UNIX:
      return DumpUnix(inode, out);
    case AF_INET:
    case AF_INET6: {
      int type = 0;
      socklen_t type_len = sizeof(type);
      if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_STREAM) {
        return ListenQueueStatus::UNSUPPORTED_FAMILY;
      }
      return DumpTcp(address.ss_family, inode, out);
    }
    default:
      return ListenQueueStatus::UNSUPPORTED_FAMILY;
  }
}

}  // namespace uwsgi_ts
