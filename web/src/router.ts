/**
 * Hash routes (`#/tasks/t_…`): every view has an address to share or reload, and the
 * coordinator serves one page for all of them.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** First path segment: overview, tasks, jobs, operators, economics, events. */
  view: string;
  /** The rest of the path (a task id). */
  arg: string;
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [view = 'overview', ...rest] = path.split('/').filter(Boolean);
  return { view, arg: decodeURIComponent(rest.join('/')), params: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function go(path: string): void {
  location.hash = `#/${path}`;
}

export function taskHref(id: string): string {
  return `#/tasks/${encodeURIComponent(id)}`;
}
