/**
 * Where a configuration value came from. Error messages name the option the way the
 * operator wrote it (describeOrigin), and --print-config shows the winning source of each
 * value (sourceOf).
 */
export type ValueOrigin =
  | { readonly kind: 'default' }
  /** `flag` is the long flag ('--workers') or, for the positional argument, '<app>'. */
  | { readonly kind: 'cli'; readonly flag: string }
  | { readonly kind: 'env'; readonly name: string }
  | {
      readonly kind: 'file';
      /** Absolute path of the file. */
      readonly path: string;
      /** The key as written in the file (for a uWSGI ini: the uWSGI option name). */
      readonly key: string;
      /** 1-based line (INI files; JSON values have none). */
      readonly line?: number;
      /** 'ini': a [uwsgi-ts] section, 'json': a JSON config, 'uwsgi': a [uwsgi] section read with --ini. */
      readonly format: 'ini' | 'json' | 'uwsgi';
    };

/**
 * The source of a resolved value, as --print-config shows it:
 * `default`, `cli --workers`, `env UWSGI_TS_WORKERS`, `file /etc/app.ini`,
 * `file /etc/uwsgi.ini [uwsgi] processes` (a uWSGI key mapped to ours).
 */
export type Source = 'default' | `cli ${string}` | `env ${string}` | `file ${string}`;

/** The option as the operator wrote it: `--workers`, `UWSGI_TS_WORKERS`, `'workers' in /etc/app.ini:3`. */
export function describeOrigin(origin: ValueOrigin): string {
  switch (origin.kind) {
    case 'default':
      return 'the default';
    case 'cli':
      return origin.flag.startsWith('<') ? `the ${origin.flag} argument` : origin.flag;
    case 'env':
      return origin.name;
    case 'file': {
      const where = origin.line === undefined ? origin.path : `${origin.path}:${origin.line}`;
      const section = origin.format === 'uwsgi' ? '[uwsgi] ' : '';
      return `${section}'${origin.key}' in ${where}`;
    }
  }
}

export function sourceOf(origin: ValueOrigin): Source {
  switch (origin.kind) {
    case 'default':
      return 'default';
    case 'cli':
      return `cli ${origin.flag}`;
    case 'env':
      return `env ${origin.name}`;
    case 'file':
      return origin.format === 'uwsgi' ? `file ${origin.path} [uwsgi] ${origin.key}` : `file ${origin.path}`;
  }
}
