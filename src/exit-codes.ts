/**
 * Process exit codes of the master and the workers. They are public API (scripts and
 * systemd units test them), documented in docs/signals.md: never renumber one.
 */
export const ExitCode = {
  /** Clean stop: graceful or fast stop finished. */
  OK: 0,
  /** An unexpected internal error (a bug): the message and stack are logged. */
  INTERNAL_ERROR: 1,
  /** A bad command line, environment variable or config file value. */
  USAGE: 2,
  /** The app module threw or failed to import while loading. */
  APP_LOAD_FAILED: 3,
  /** The app loaded but offered nothing to serve: no handler export and no listen() call. */
  APP_NO_HANDLER: 4,
  /** A listening socket could not be created (address in use, permissions, live socket file). */
  SOCKET_FAILED: 5,
  /** --uid/--gid/--chown-socket name an unknown user or group, or the switch is not permitted
   * (the master is not root) or did not take effect in a worker. */
  PRIVILEGES_FAILED: 7,
  /** --pidfile names a file that holds the pid of a running process, or it cannot be written. */
  PIDFILE_FAILED: 8,
  /** --logto names a file that cannot be opened for append. */
  LOG_FAILED: 9,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
