// A client of HAProxy's Runtime API (its stats socket): one command per connection, as HAProxy's
// non-interactive mode expects; `show stat` read as CSV into named fields; `set server … state`.
import { connect } from 'node:net';

const COMMAND_TIMEOUT_MS = 3000;

export type ServerState = 'ready' | 'drain' | 'maint';

/** One line of `show stat`: a frontend, a backend, or one server of a backend. */
export interface ProxyStat {
  proxy: string;
  /** FRONTEND, BACKEND, or the server's name. */
  name: string;
  /** UP, DOWN, `UP 1/2` (going down), `DOWN 1/2` (coming up), DRAIN, MAINT, OPEN (a frontend)… */
  status: string;
  weight: number | null;
  /** The last health check: L7OK, L4CON (refused), L4TOUT, L7STS (wrong status)…; null without checks. */
  check: string | null;
  check_description: string | null;
  check_ms: number | null;
  /** Seconds since the status last changed. */
  last_change_s: number | null;
  /** Seconds spent DOWN since HAProxy started. */
  downtime_s: number | null;
  current_sessions: number;
  max_sessions: number;
  total_sessions: number;
  /** HTTP requests (servers and backends count them since HAProxy 1.9). */
  requests: number | null;
  /** Failed health checks, and how many times that took it from UP to DOWN. */
  failed_checks: number | null;
  downs: number | null;
  connect_errors: number | null;
  response_errors: number | null;
  retries: number | null;
  redispatches: number | null;
  responses: { '2xx': number | null; '5xx': number | null };
  address: string | null;
}

/** Split one CSV line; HAProxy quotes a field that holds a comma or a quote. */
export const splitCsvLine = (line: string): string[] => {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields;
};

const numberOrNull = (text: string | undefined): number | null =>
  text === undefined || text === '' || !/^-?\d+$/.test(text) ? null : Number(text);

/** `show stat` (CSV with a `# pxname,svname,…` header) → one record per line, fields by name. */
export const parseShowStat = (csv: string): ProxyStat[] => {
  const lines = csv.split('\n').filter((line) => line.trim() !== '');
  const header = lines.shift();
  if (header === undefined || !header.startsWith('# '))
    throw new Error(`Not the output of show stat: ${csv.slice(0, 120)}`);
  const names = splitCsvLine(header.slice(2));
  return lines.map((line) => {
    const values = splitCsvLine(line);
    const field = (name: string): string | undefined => {
      const index = names.indexOf(name);
      return index === -1 ? undefined : values[index];
    };
    const text = (name: string): string | null => {
      const value = field(name);
      return value === undefined || value === '' ? null : value;
    };
    return {
      proxy: field('pxname') ?? '',
      name: field('svname') ?? '',
      status: field('status') ?? '',
      weight: numberOrNull(field('weight')),
      check: text('check_status'),
      check_description: text('check_desc') ?? text('last_chk'),
      check_ms: numberOrNull(field('check_duration')),
      last_change_s: numberOrNull(field('lastchg')),
      downtime_s: numberOrNull(field('downtime')),
      current_sessions: numberOrNull(field('scur')) ?? 0,
      max_sessions: numberOrNull(field('smax')) ?? 0,
      total_sessions: numberOrNull(field('stot')) ?? 0,
      requests: numberOrNull(field('req_tot')),
      failed_checks: numberOrNull(field('chkfail')),
      downs: numberOrNull(field('chkdown')),
      connect_errors: numberOrNull(field('econ')),
      response_errors: numberOrNull(field('eresp')),
      retries: numberOrNull(field('wretr')),
      redispatches: numberOrNull(field('wredis')),
      responses: { '2xx': numberOrNull(field('hrsp_2xx')), '5xx': numberOrNull(field('hrsp_5xx')) },
      address: text('addr'),
    };
  });
};

export interface RuntimeApi {
  socket: string;
  /** Send one command, resolve to HAProxy's whole answer. */
  run(command: string): Promise<string>;
  showStat(): Promise<ProxyStat[]>;
  /** `set server <backend>/<server> state ready|drain|maint`; throws with HAProxy's words when refused. */
  setServerState(backend: string, server: string, state: ServerState): Promise<void>;
}

export const createRuntimeApi = (socket: string): RuntimeApi => {
  const run = (command: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const connection = connect(socket);
      let answer = '';
      connection.setEncoding('utf8');
      connection.setTimeout(COMMAND_TIMEOUT_MS, () =>
        connection.destroy(
          new Error(`HAProxy's Runtime API did not answer \`${command}\` within ${COMMAND_TIMEOUT_MS} ms.`),
        ),
      );
      connection.on('data', (chunk: string) => {
        answer += chunk;
      });
      connection.once('error', reject);
      connection.once('end', () => resolve(answer));
      connection.end(`${command}\n`);
    });
  return {
    socket,
    run,
    showStat: async () => parseShowStat(await run('show stat')),
    async setServerState(backend, server, state) {
      const answer = (await run(`set server ${backend}/${server} state ${state}`)).trim();
      if (answer !== '')
        throw new Error(`HAProxy refused \`set server ${backend}/${server} state ${state}\`: ${answer}`);
    },
  };
};
