/**
 * Protocol limits and timeouts. Each is a named constant with the reason for its value;
 * the ones operators may need to change become options (docs/options.md) that default
 * to these.
 */

/** The uwsgi header's datasize is a u16: no vars block can be larger. nginx really sends
 * blocks of 60-65 KB when headers are big, so the default accepts all of it (uWSGI's
 * 4096-byte default buffer is its most reported error). */
export const MAX_VARS_BLOCK_BYTES = 65535;

/** modifier1 (u8) + datasize (u16le) + modifier2 (u8). */
export const PACKET_HEADER_BYTES = 4;

/** modifier1 of a plain WSGI-style request: the only kind nginx's uwsgi_pass sends by
 * default (uwsgi_modifier1 0) and the only one Apache's mod_proxy_uwsgi sends. */
export const MODIFIER1_REQUEST = 0;

/** modifier1 of uWSGI's ping (`uwsgi --ping`, health checkers): answered the way uWSGI
 * answers it, with a bare header of modifier1 100, datasize 0 and modifier2 1 (no warning
 * message), then the connection closes. Any vars it carries are ignored. */
export const MODIFIER1_PING = 100;
export const PING_REPLY: Readonly<Uint8Array> = Uint8Array.of(MODIFIER1_PING, 0, 0, 1);

/** Pairs per vars block (--max-vars). A real nginx request carries 15-40 vars; 1024 leaves
 * room for a full 64 KiB block of hundreds of headers, keeps the pairs table (4 int32 per
 * pair) at 16 KiB, and still stops a block of thousands of tiny vars early. */
export const DEFAULT_MAX_VARS = 1024;

/** --socket-timeout: (a) the deadline from accept to a complete vars block — total, not
 * per read, so a peer trickling a byte at a time cannot hold a connection; nginx writes
 * the packet right after connect, so only a broken or hostile peer gets near it — and
 * (b) the longest silence while reading a body. With `uwsgi_request_buffering off` a body
 * arrives at the client's pace; nginx's own uwsgi_send_timeout defaults to 60 s, so
 * waiting as long as nginx keeps trying is enough and never cuts off what nginx would
 * still deliver. */
export const DEFAULT_SOCKET_TIMEOUT_S = 60;

/** --listen: nginx opens a new connection per request, so the backlog absorbs bursts and
 * reloads. uWSGI's 100 fills at modest load (its "listen queue full" 502s); Node's 511 is
 * still small; Linux's somaxconn defaults to 4096 since 5.4, so 1024 stays under it. */
export const DEFAULT_LISTEN_BACKLOG = 1024;

/** --max-connections: open connections per worker before it stops accepting (the rest
 * wait in the backlog for other workers). nginx opens one upstream connection per
 * request in flight, and Debian's nginx allows 768 connections per nginx worker (client
 * and upstream together), so legitimate traffic to one worker stays well below 1024;
 * a crowd of idle or trickling connections is what reaches it. At the limit a worker
 * holds at most 1024 fds and 1024 partial vars blocks (64 MiB at the 65535-byte maximum). */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/** After the response is complete, unread request body is read and discarded before the
 * close (closing an AF_UNIX socket with unread bytes makes nginx answer 502). Bounded so a
 * huge or stalled upload cannot keep a finished connection open. */
export const DRAIN_MAX_BYTES = 16 * 1024 * 1024;
export const DRAIN_TIMEOUT_MS = 5_000;

/** CONTENT_LENGTH digits beyond this are above 2^53 (not exactly representable as a JS
 * number), so they are refused (413) before any arithmetic on them. */
export const MAX_CONTENT_LENGTH_DIGITS = 15;

/** Largest body length accepted when no --limit-post is set: the largest integer a JS
 * number holds exactly. Bodies are streamed, never buffered whole, so size alone is safe. */
export const MAX_SAFE_CONTENT_LENGTH = Number.MAX_SAFE_INTEGER;

/** The native connection path's first read takes up to this much request body along with
 * the packet and hands it to the app with the request, so a small POST (nginx sends it in
 * the same burst as the packet) needs no per-connection watcher; the rest of a larger body
 * is streamed as it arrives. 64 KiB covers form posts and JSON APIs while bounding the
 * shared read arena (packet + this). */
export const INLINE_BODY_MAX_BYTES = 64 * 1024;

/** Request body the native connection path streams to the app is read straight into a
 * slab of this size and handed out as views of it, never copied. An AF_UNIX read returns
 * up to the sender's buffer (about 208 KiB on Linux), so a slab takes a few reads and a
 * MiB of body costs two allocations instead of sixteen 64 KiB copies; and a chunk an app
 * keeps pins at most this much memory. */
export const BODY_SLAB_BYTES = 512 * 1024;

/** A slab with less free space than this is replaced before the next read, and native
 * code only reads into a slab with at least this much room (it gets this value at ioInit):
 * a read into the slab is never smaller than one into the arena. */
export const BODY_SLAB_MIN_FREE_BYTES = 64 * 1024;

/** Request body a transport keeps for an adapter that has not asked for it yet (a uwsgi
 * handler reads its body when it wants to, or never) before it stops reading from the
 * client: enough that a body read after a short await never stalls the socket, bounded so
 * an ignored upload cannot fill the worker's memory. */
export const PARKED_BODY_MAX_BYTES = 256 * 1024;

/** Response bytes queued per connection before write() asks the app to wait for 'drain':
 * net.Socket's default, which node:http apps are tuned to. */
export const WRITE_HIGH_WATER_BYTES = 16 * 1024;
