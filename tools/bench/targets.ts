// The performance targets from the issues, judged on ratios measured in the same run (absolute
// figures drift from machine to machine; ratios to a baseline measured alongside do much less).
import type { BenchResult, RouteResult, TargetResult } from './result.js';

export const READY_TARGET_MS = 1000;
export const RSS_TARGET_MB = 80;
export const FILE_VS_LOCKFILE_TARGET = 10;

const fixed = (value: number, digits = 2): string => value.toFixed(digits);

const routeRatio = (routes: readonly RouteResult[], path: string): RouteResult | undefined =>
  routes.find((route) => route.route === path && route.ratio !== null);

const notMeasured = (id: string, target: string, why: string): TargetResult => ({
  id,
  target,
  measured: null,
  detail: `not measured: ${why}`,
  met: null,
});

const missingWhy = (routes: readonly RouteResult[], path: string): string => {
  const route = routes.find((candidate) => candidate.route === path);
  return route === undefined ? `${path} not in --routes` : `${path} ${route.reason ?? 'not available'}`;
};

const versusBaseline = (routes: readonly RouteResult[], id: string, path: string, min: number): TargetResult => {
  const target = `${path} ≥ ${min} × baseline`;
  const route = routeRatio(routes, path);
  if (route?.ratio == null) return notMeasured(id, target, missingWhy(routes, path));
  return { id, target, measured: route.ratio, detail: `${fixed(route.ratio)} × baseline`, met: route.ratio >= min };
};

// Each route's ratio is to the baseline runs interleaved with it, so dividing two ratios cancels the
// machine's drift between the two routes' measurements.
const versusLocal = (routes: readonly RouteResult[], id: string, path: string, min: number): TargetResult => {
  const target = `${path} ≥ ${min} × /counter/local`;
  const route = routeRatio(routes, path);
  const local = routeRatio(routes, '/counter/local');
  if (route?.ratio == null) return notMeasured(id, target, missingWhy(routes, path));
  if (local?.ratio == null || local.ratio === 0) return notMeasured(id, target, missingWhy(routes, '/counter/local'));
  const ratio = route.ratio / local.ratio;
  return {
    id,
    target,
    measured: ratio,
    detail: `${fixed(ratio)} × local (${fixed(route.ratio)} vs ${fixed(local.ratio)} × baseline)`,
    met: ratio >= min,
  };
};

export const judgeTargets = (result: Omit<BenchResult, 'targets'>): TargetResult[] => {
  const { routes, file_comparison: file, four_workers: four } = result;
  const targets: TargetResult[] = [
    versusBaseline(routes, 'local-vs-baseline', '/counter/local', 0.85),
    versusBaseline(routes, 'lru-vs-baseline', '/user/lru/:id', 0.8),
    versusLocal(routes, 'ipc-vs-local', '/counter/ipc', 0.5),
    versusLocal(routes, 'redis-vs-local', '/counter/redis', 0.6),
  ];

  const fileExact = `/counter/file exact at 4 workers × ${result.options.connections} connections`;
  const fileRate = `/counter/file at 4 workers ≥ ${FILE_VS_LOCKFILE_TARGET} × one proper-lockfile lock per increment`;
  if (file === null) {
    const why = missingWhy(routes, '/counter/file');
    targets.push(notMeasured('file-exact', fileExact, why), notMeasured('file-vs-lockfile', fileRate, why));
  } else {
    const { lab_exact: exact } = file;
    targets.push({
      id: 'file-exact',
      target: fileExact,
      measured: exact.counted,
      detail: `${exact.ok_2xx} answers 2xx, count +${exact.counted} (${exact.requests} sent)`,
      met: exact.exact && exact.ok_2xx === exact.requests,
    });
    targets.push(
      file.ratio === null
        ? notMeasured('file-vs-lockfile', fileRate, 'the lockfile counter made no increment')
        : {
            id: 'file-vs-lockfile',
            target: fileRate,
            measured: file.ratio,
            detail: `${fixed(file.ratio, 1)} × (${Math.round(file.lab.requests_per_s)} vs ${fixed(file.lockfile.increments_per_s, 1)} increments/s)`,
            met: file.ratio >= FILE_VS_LOCKFILE_TARGET,
          },
    );
  }

  const readyTarget = `cluster ready for 4 workers ≤ ${READY_TARGET_MS / 1000} s`;
  targets.push(
    four === null
      ? notMeasured('ready-4-workers', readyTarget, 'the 4-worker lab did not start')
      : {
          id: 'ready-4-workers',
          target: readyTarget,
          measured: four.ready_ms,
          detail: `${four.ready_ms} ms (banner)`,
          met: four.ready_ms <= READY_TARGET_MS,
        },
  );

  // Judged where the issue reads it: the banner's workers, idle after start. What they keep once
  // a load has grown V8's heap is shown alongside, not judged.
  const idle = [...result.lab.worker_rss_mb.idle_at_start, ...(four?.worker_rss_mb_idle ?? [])];
  const afterLoad = result.lab.worker_rss_mb.idle_after_load;
  const rssTarget = `idle worker RSS ≤ ${RSS_TARGET_MB} MB`;
  const worst = Math.max(...idle);
  const later = afterLoad.length > 0 ? `; ${fixed(Math.max(...afterLoad), 1)} MB once idle again after the load` : '';
  targets.push(
    idle.length === 0
      ? notMeasured('idle-rss', rssTarget, 'no /proc/<pid>/status to read')
      : {
          id: 'idle-rss',
          target: rssTarget,
          measured: worst,
          detail: `max ${fixed(worst, 1)} MB right after start (VmRSS of ${idle.length} workers)${later}`,
          met: worst <= RSS_TARGET_MB,
        },
  );
  return targets;
};
