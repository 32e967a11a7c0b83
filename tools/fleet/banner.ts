// What the fleet prints for people once it is ready (tools read the JSON ready event instead).
import type { FleetOptions } from './args.js';
import type { FleetReadyEvent } from './ready-event.js';

export const formatBanner = (ready: FleetReadyEvent, options: Pick<FleetOptions, 'workers'>): string => {
  const redis =
    ready.redis.origin === 'none'
      ? 'none (no redis-server on PATH): the Redis routes answer 503'
      : ready.redis.origin === 'private'
        ? `a private redis-server (pid ${ready.redis.pid}) on ${ready.redis.url}; its password is in ${ready.redis.password_file}`
        : `${ready.redis.url} (--redis-url)`;
  const width = Math.max(...ready.hosts.map((host) => host.instance.length));
  const lines = [
    `Fleet ready in ${(ready.ready_ms / 1000).toFixed(1)} s: ${ready.hosts.length} host(s) × ${options.workers} worker(s) behind HAProxy ${ready.haproxy.version} on ${ready.url} (balance ${ready.balance})`,
    ...ready.hosts.map(
      (host) =>
        `  ${host.instance.padEnd(width)}  ${host.url}  primary ${host.primary_pid}, workers ${host.workers.map((worker) => worker.pid).join(', ')}  data ${host.data_dir}`,
    ),
    `  Redis: ${redis}`,
    `  The fleet: ${ready.url}/fleet (JSON) and ${ready.url}/fleet/dashboard`,
    `  HAProxy's Runtime API: echo 'show stat' | socat - UNIX-CONNECT:${ready.haproxy.stats_socket}  (socat: apt-get install -y socat)`,
    `  Control: curl --unix-socket ${ready.control_socket} -X POST http://fleet/fleet/hosts/host-1/drain  (drain|ready|maint|stop|kill|start|restart)`,
    '  Ctrl-C stops every process of the fleet.',
    '',
  ];
  return lines.join('\n');
};
